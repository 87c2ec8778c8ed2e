// Drift check: does a migrated database match the Prisma datamodel? `prisma migrate diff`
// answers that with the native schema engine, which this workspace cannot download, so
// this compares Prisma's own parse of the schema (dmmf.ts) with pg_catalog instead.
import { describeDatabase } from './drift-actual';
import { expectedSchema } from './drift-expected';
import { loadDatamodel } from './dmmf';
import type { SqlQueryable } from './sql-executor';
import { ANY_DEFAULT, type ColumnShape, type ForeignKeyShape, type IndexShape, type SchemaShape } from './schema-shape';

export { describeDatabase } from './drift-actual';
export { expectedSchema } from './drift-expected';
export { loadDatamodel, type DmmfDatamodel } from './dmmf';
export type { SchemaShape } from './schema-shape';

/** Options of {@link checkDrift}. */
export interface DriftOptions {
  /** Folder of the .prisma files; default this package's prisma/schema. */
  schemaDir?: string;
  /** Postgres schema of models without @@schema; default 'public'. */
  defaultSchema?: string;
}

/**
 * Compares the database behind `db` with the Prisma datamodel and resolves to one line per
 * difference ([] when they agree): missing or unexpected tables, columns, enums, enum values,
 * indexes and foreign keys; column types (native types included), nullability and defaults;
 * index uniqueness, columns, order and method; foreign key columns, targets and referential
 * actions. Defaults Prisma fills in client-side (uuid(), cuid(), ...) are expected absent.
 * Rejects when the schema does not parse or uses something the comparison does not model
 * (see expectedSchema).
 */
export async function checkDrift(db: SqlQueryable, opts: DriftOptions = {}): Promise<string[]> {
  const expected = expectedSchema(await loadDatamodel(opts.schemaDir), opts.defaultSchema);
  const schemas = new Set(Object.keys(expected.tables).map((table) => table.slice(0, table.indexOf('.'))));
  schemas.add(opts.defaultSchema ?? 'public');
  return diffSchemas(expected, await describeDatabase(db, [...schemas]));
}

/** The differences between what the datamodel expects and what the database has. */
export function diffSchemas(expected: SchemaShape, actual: SchemaShape): string[] {
  const out: string[] = [];
  diffKeyed('table', expected.tables, actual.tables, out, (name, want, have) => diffColumns(name, want, have, out));
  diffKeyed('enum', expected.enums, actual.enums, out, (name, want, have) => {
    const missing = want.filter((value) => !have.includes(value));
    const extra = have.filter((value) => !want.includes(value));
    if (missing.length > 0) out.push(`enum ${name}: missing values ${missing.join(', ')}`);
    if (extra.length > 0) out.push(`enum ${name}: unexpected values ${extra.join(', ')}`);
  });
  diffKeyed(
    'index',
    expected.indexes,
    actual.indexes,
    out,
    (name, want, have) => {
      if (describeIndex(want) !== describeIndex(have)) {
        out.push(`index ${name}: is ${describeIndex(have)}, the datamodel expects ${describeIndex(want)}`);
      }
    },
    describeIndex,
  );
  diffKeyed(
    'foreign key',
    expected.foreignKeys,
    actual.foreignKeys,
    out,
    (name, want, have) => {
      if (describeForeignKey(want) !== describeForeignKey(have)) {
        out.push(`foreign key ${name}: is ${describeForeignKey(have)}, the datamodel expects ${describeForeignKey(want)}`);
      }
    },
    describeForeignKey,
  );
  return out;
}

function diffColumns(
  table: string,
  want: Record<string, ColumnShape>,
  have: Record<string, ColumnShape>,
  out: string[],
): void {
  const compare = (name: string, w: ColumnShape, h: ColumnShape) => {
    const where = `column ${name}`;
    if (w.type !== h.type) out.push(`${where}: type is ${h.type}, the datamodel expects ${w.type}`);
    if (w.nullable !== null && w.nullable !== h.nullable) {
      const is = (nullable: boolean | null) => (nullable ? 'nullable' : 'NOT NULL');
      out.push(`${where}: is ${is(h.nullable)}, the datamodel expects ${is(w.nullable)}`);
    }
    const defaultDiffers = w.default === ANY_DEFAULT ? h.default === null : w.default !== h.default;
    if (defaultDiffers) out.push(`${where}: default is ${h.default ?? 'none'}, the datamodel expects ${w.default ?? 'none'}`);
  };
  diffKeyed('column', prefixed(table, want), prefixed(table, have), out, compare, (column) => column.type);
}

// Column maps keyed by `table.column`, for messages that name both.
function prefixed<T>(table: string, columns: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(columns).map(([column, value]) => [`${table}.${column}`, value]));
}

// Reports keys on one side only, and hands keys on both sides to `compare`.
function diffKeyed<T>(
  kind: string,
  want: Record<string, T>,
  have: Record<string, T>,
  out: string[],
  compare: (name: string, want: T, have: T) => void,
  describe: (value: T) => string = () => '',
): void {
  const detail = (value: T) => {
    const text = describe(value);
    return text ? ` (${text})` : '';
  };
  for (const [name, value] of Object.entries(want)) {
    const actual = have[name];
    if (actual === undefined) out.push(`missing ${kind} ${name}${detail(value)}`);
    else compare(name, value, actual);
  }
  for (const [name, value] of Object.entries(have)) {
    if (!(name in want)) out.push(`unexpected ${kind} ${name}${detail(value)}`);
  }
}

function describeIndex(index: IndexShape): string {
  const kind = index.primary ? 'primary key' : index.unique ? 'unique index' : 'index';
  return `${kind} ${index.method} on ${index.table}(${index.columns.join(', ')})`;
}

function describeForeignKey(fk: ForeignKeyShape): string {
  return (
    `${fk.table}(${fk.columns.join(', ')}) -> ${fk.referencedTable}(${fk.referencedColumns.join(', ')}) ` +
    `ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`
  );
}
