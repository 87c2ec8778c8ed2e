// What a database has, read from pg_catalog into the same shape as drift-expected.ts.
// json_agg keeps column lists identical across node-postgres and PGlite, whose array
// parsing differs for catalog types such as name[] and int2vector.
import type { SqlQueryable } from './sql-executor';
import { normalizeDefault, type SchemaShape } from './schema-shape';

// pg_constraint's one-letter referential actions, in Prisma's names.
const ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

/** Prisma's own bookkeeping table, never part of a datamodel. */
export const MIGRATIONS_TABLE = '_prisma_migrations';

/**
 * Reads the tables (with columns, types, nullability and defaults), enums, indexes
 * (primary keys included) and foreign keys of the given Postgres schemas.
 * `_prisma_migrations` is left out.
 */
export async function describeDatabase(db: SqlQueryable, schemas: readonly string[] = ['public']): Promise<SchemaShape> {
  const shape: SchemaShape = { tables: {}, enums: {}, indexes: {}, foreignKeys: {} };
  const params = [schemas as string[]];

  const columns = await db.query<{
    schema: string;
    table: string;
    column: string | null;
    type: string | null;
    nullable: boolean | null;
    default: string | null;
  }>(
    `SELECT n.nspname::text AS schema, c.relname::text AS table, a.attname::text AS column,
            format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
            pg_get_expr(d.adbin, d.adrelid) AS default
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1::text[])
       AND c.relname <> '${MIGRATIONS_TABLE}'
     ORDER BY 1, 2, a.attnum`,
    params,
  );
  for (const row of columns) {
    const table = (shape.tables[`${row.schema}.${row.table}`] ??= {});
    if (row.column === null || row.type === null) continue; // a table without columns
    table[row.column] = {
      type: unquote(row.type),
      nullable: row.nullable,
      default: row.default === null ? null : normalizeDefault(row.default),
    };
  }

  const enums = await db.query<{ schema: string; name: string; labels: string[] }>(
    `SELECT n.nspname::text AS schema, t.typname::text AS name,
            json_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
     FROM pg_type t
     JOIN pg_namespace n ON n.oid = t.typnamespace
     JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE n.nspname = ANY($1::text[])
     GROUP BY 1, 2`,
    params,
  );
  for (const row of enums) shape.enums[`${row.schema}.${row.name}`] = row.labels;

  const indexes = await db.query<{
    schema: string;
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    method: string;
    columns: string[];
  }>(
    `SELECT n.nspname::text AS schema, t.relname::text AS table, i.relname::text AS name,
            x.indisunique AS unique, x.indisprimary AS primary, am.amname::text AS method,
            (SELECT json_agg(coalesce(a.attname::text, '<expression>')
                             || CASE WHEN x.indoption[k.ord - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                             ORDER BY k.ord)
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= x.indnkeyatts) AS columns
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_am am ON am.oid = i.relam
     WHERE n.nspname = ANY($1::text[]) AND t.relkind IN ('r', 'p') AND t.relname <> '${MIGRATIONS_TABLE}'`,
    params,
  );
  for (const row of indexes) {
    shape.indexes[`${row.schema}.${row.name}`] = {
      table: `${row.schema}.${row.table}`,
      columns: row.columns,
      unique: row.unique,
      primary: row.primary,
      method: row.method,
    };
  }

  const foreignKeys = await db.query<{
    schema: string;
    table: string;
    name: string;
    ref_schema: string;
    ref_table: string;
    on_delete: string;
    on_update: string;
    columns: string[];
    ref_columns: string[];
  }>(
    `SELECT n.nspname::text AS schema, t.relname::text AS table, c.conname::text AS name,
            rn.nspname::text AS ref_schema, r.relname::text AS ref_table,
            c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update,
            (SELECT json_agg(a.attname::text ORDER BY k.ord)
             FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
            (SELECT json_agg(a.attname::text ORDER BY k.ord)
             FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns
     FROM pg_constraint c
     JOIN pg_class t ON t.oid = c.conrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_class r ON r.oid = c.confrelid
     JOIN pg_namespace rn ON rn.oid = r.relnamespace
     WHERE c.contype = 'f' AND n.nspname = ANY($1::text[])`,
    params,
  );
  for (const row of foreignKeys) {
    const table = `${row.schema}.${row.table}`;
    shape.foreignKeys[`${table}.${row.name}`] = {
      table,
      columns: row.columns,
      referencedTable: `${row.ref_schema}.${row.ref_table}`,
      referencedColumns: row.ref_columns,
      onDelete: ACTIONS[row.on_delete] ?? row.on_delete,
      onUpdate: ACTIONS[row.on_update] ?? row.on_update,
    };
  }
  return shape;
}

// format_type() quotes names that need it ("Role", "Role"[]); the datamodel side has none.
function unquote(type: string): string {
  return type.replace(/"((?:[^"]|"")*)"/g, (_, name: string) => name.replace(/""/g, '"'));
}
