import { z } from 'zod';

/** Thrown by `parseEnv` with every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables against a zod object schema whose keys are variable names.
 * Reports every problem at once (not the first one) by throwing a ConfigError.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  // An empty (or blank) variable means "unset": `FOO= npm start` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
}

/**
 * For `main.ts` files: parse, or print every problem and exit once with status 1.
 * The only place in UMP that reads `process.env`.
 */
export function loadConfigOrExit<S extends z.ZodObject>(schema: S): z.infer<S> {
  try {
    return parseEnv(schema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`\n${error.message}\n\nSee the Configuration section of the README.\n`);
    process.exit(1);
  }
}
