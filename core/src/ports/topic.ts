import type { ZodType } from 'zod';

/** Outcome of {@link TopicContract.parse}: never throws, so consumers can dead-letter failures. */
export type TopicParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A topic's name and the schema its messages must satisfy. */
export interface TopicContract<T> {
  /** Full topic name including the version, e.g. 'telemetry.v1'. */
  name: string;
  /** Name without the version, e.g. 'telemetry'. */
  base: string;
  version: number;
  schema: ZodType<T>;
  /** Validates a consumed value; on failure `reason` lists every issue as `path: message`. */
  parse(value: unknown): TopicParseResult<T>;
}

/** Arguments of {@link defineTopic}. */
export interface TopicDefinition<T> {
  /** Base name: lowercase letters, digits, '.', '_' and '-', not itself ending in a version. */
  name: string;
  /** Positive integer; bump it (a new topic) for changes old consumers cannot read. */
  version: number;
  schema: ZodType<T>;
}

const BASE_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const VERSION_SUFFIX = /\.v\d+$/;

/**
 * Declares a versioned topic: `defineTopic({ name: 'telemetry', version: 1, schema })` has
 * the name 'telemetry.v1'. The version lives in the name because Kafka topics cannot change
 * schema in place: a breaking change is a new topic that producers and consumers migrate to.
 * Throws a TypeError for an invalid name or a RangeError for an invalid version.
 */
export function defineTopic<T>({ name, version, schema }: TopicDefinition<T>): TopicContract<T> {
  if (!BASE_NAME.test(name) || VERSION_SUFFIX.test(name) || name.includes('..')) {
    throw new TypeError(`invalid topic base name '${name}': lowercase [a-z0-9._-], no version suffix`);
  }
  if (!Number.isInteger(version) || version < 1) {
    throw new RangeError(`topic version must be a positive integer, got ${version}`);
  }
  return {
    name: `${name}.v${version}`,
    base: name,
    version,
    schema,
    parse(value) {
      const result = schema.safeParse(value);
      if (result.success) return { ok: true, value: result.data };
      const reason = result.error.issues
        .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
        .join('; ');
      return { ok: false, reason };
    },
  };
}

/**
 * The dead-letter topic for a topic: 'telemetry.v1' (or its contract, or plain 'telemetry')
 * gives 'telemetry.dlq.v1'. Every version of a topic shares one dead-letter topic, whose own
 * envelope is versioned separately (hence always '.v1' here), so operators watch one place.
 */
export function deadLetterName(topic: string | Pick<TopicContract<unknown>, 'base'>): string {
  const base = typeof topic === 'string' ? topic.replace(VERSION_SUFFIX, '') : topic.base;
  if (!BASE_NAME.test(base)) throw new TypeError(`invalid topic name '${typeof topic === 'string' ? topic : base}'`);
  return `${base}.dlq.v1`;
}
