// The parts of a Postgres schema the drift check compares, in one form for both sides:
// what the Prisma datamodel implies (drift-expected.ts) and what a database has (drift-actual.ts).

/** Marks a default that must exist but whose expression is not compared (dbgenerated(), literal dates). */
export const ANY_DEFAULT = '<any default>';

export interface ColumnShape {
  /** As Postgres' format_type() prints it, without quotes: `text`, `timestamp(3) with time zone`, `Role[]`. */
  type: string;
  /** null where Prisma does not care (list columns). */
  nullable: boolean | null;
  /** Normalized default expression (see normalizeDefault), ANY_DEFAULT, or null for none. */
  default: string | null;
}

export interface IndexShape {
  table: string;
  /** Key columns in order, `col DESC` for descending ones; `<expression>` for expression parts. */
  columns: string[];
  unique: boolean;
  primary: boolean;
  /** Access method: btree, hash, gin, ... */
  method: string;
}

export interface ForeignKeyShape {
  table: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  /** Prisma's names: Cascade, Restrict, NoAction, SetNull, SetDefault. */
  onDelete: string;
  onUpdate: string;
}

/** Everything keyed by schema-qualified name, e.g. `public.users`, `public.users_email_key`. */
export interface SchemaShape {
  tables: Record<string, Record<string, ColumnShape>>;
  enums: Record<string, string[]>;
  /** Primary keys included, keyed by constraint/index name (unique per Postgres schema). */
  indexes: Record<string, IndexShape>;
  /** Keyed by `<table>.<constraint name>` (foreign key names are unique per table). */
  foreignKeys: Record<string, ForeignKeyShape>;
}

/**
 * Canonical text of a column default, so that what Prisma writes (`CURRENT_TIMESTAMP`,
 * `'{}'`) and what pg_get_expr() prints back (`'{}'::jsonb`) compare equal: casts are
 * dropped, now() and CURRENT_TIMESTAMP become `now()`, sequences become `autoincrement()`,
 * quoted numbers lose their quotes, and an empty array literal becomes `ARRAY[]`.
 */
export function normalizeDefault(expression: string): string {
  let text = expression.trim();
  while (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim();
  if (/^nextval\(/i.test(text)) return 'autoincrement()';
  text = text.replace(CAST, '');
  if (/^(now\(\)|current_timestamp(\(\d+\))?)$/i.test(text)) return 'now()';
  const quotedNumber = text.match(/^'(-?\d+(?:\.\d+)?)'$/);
  if (quotedNumber?.[1] !== undefined) return quotedNumber[1];
  if (text === "'{}'" && /\[\]$/.test(castType(expression))) return 'ARRAY[]';
  return text;
}

// `::type` in the spellings format_type() uses: quoted names, multi-word names, modifiers, arrays.
const CAST =
  /::(?:"(?:[^"]|"")+"(?:\."(?:[^"]|"")+")?|character varying|double precision|bit varying|time(?:stamp)?(?:\(\d+\))? with(?:out)? time zone|[A-Za-z_][\w.]*)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*/g;

function castType(expression: string): string {
  const casts = expression.match(CAST);
  return casts?.[casts.length - 1] ?? '';
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0;
}
