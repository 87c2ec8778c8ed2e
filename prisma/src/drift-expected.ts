// What the Prisma datamodel implies for a Postgres schema: the tables, columns, enums,
// indexes and foreign keys `prisma migrate diff` would create, named as Prisma names them.
import type { DmmfDatamodel, DmmfEnum, DmmfField, DmmfModel } from './dmmf';
import { ANY_DEFAULT, normalizeDefault, type ColumnShape, type SchemaShape } from './schema-shape';

// Postgres truncates identifiers to 63 bytes; Prisma shortens generated names to fit first.
const MAX_IDENTIFIER = 63;

// The column type of a Prisma scalar without a @db attribute.
const DEFAULT_NATIVE_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

// @db.<Name>(args) to format_type() text; `precision` renders `(n)` only when given.
const NATIVE_TYPES: Record<string, (args: readonly string[]) => string> = {
  Text: () => 'text',
  Char: (a) => `character(${a[0] ?? 1})`,
  VarChar: (a) => (a[0] ? `character varying(${a[0]})` : 'character varying'),
  Bit: (a) => `bit(${a[0] ?? 1})`,
  VarBit: (a) => (a[0] ? `bit varying(${a[0]})` : 'bit varying'),
  Uuid: () => 'uuid',
  Xml: () => 'xml',
  Inet: () => 'inet',
  Citext: () => 'citext',
  Json: () => 'json',
  JsonB: () => 'jsonb',
  ByteA: () => 'bytea',
  Boolean: () => 'boolean',
  SmallInt: () => 'smallint',
  Integer: () => 'integer',
  BigInt: () => 'bigint',
  Oid: () => 'oid',
  Real: () => 'real',
  DoublePrecision: () => 'double precision',
  Money: () => 'money',
  Decimal: (a) => (a.length > 0 ? `numeric(${a.join(',')})` : 'numeric'),
  Date: () => 'date',
  Timestamp: (a) => `timestamp${precision(a)} without time zone`,
  Timestamptz: (a) => `timestamp${precision(a)} with time zone`,
  Time: (a) => `time${precision(a)} without time zone`,
  Timetz: (a) => `time${precision(a)} with time zone`,
};

const precision = (args: readonly string[]) => (args[0] !== undefined ? `(${args[0]})` : '');

// Defaults the Prisma client fills in itself: no column default in the database.
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

/**
 * The schema the datamodel describes, with models in `defaultSchema` unless they name
 * another (multiSchema). Throws for what the comparison does not model, rather than
 * passing it silently: implicit many-to-many relations and Unsupported(...) fields.
 * Foreign keys get Prisma's default names, since DMMF does not carry `@relation(map:)`.
 */
export function expectedSchema(datamodel: DmmfDatamodel, defaultSchema = 'public'): SchemaShape {
  const shape: SchemaShape = { tables: {}, enums: {}, indexes: {}, foreignKeys: {} };
  const enums = new Map(datamodel.enums.map((e) => [e.name, e]));
  const models = new Map(datamodel.models.map((m) => [m.name, m]));
  const tableOf = (model: DmmfModel) => model.dbName ?? model.name;
  const qualified = (model: DmmfModel, name: string) => `${model.schema ?? defaultSchema}.${name}`;

  for (const e of datamodel.enums) {
    shape.enums[`${defaultSchema}.${e.dbName ?? e.name}`] = e.values.map((v) => v.dbName ?? v.name);
  }

  for (const model of datamodel.models) {
    const table = qualified(model, tableOf(model));
    const columns: Record<string, ColumnShape> = {};
    for (const field of model.fields) {
      if (field.kind === 'unsupported') {
        throw new Error(`${model.name}.${field.name}: Unsupported(...) fields are not covered by the drift check`);
      }
      if (field.kind === 'object') continue;
      columns[columnName(field)] = {
        type: columnType(field, enums),
        nullable: field.isList ? null : !field.isRequired,
        default: columnDefault(field, enums),
      };
    }
    shape.tables[table] = columns;

    for (const field of model.fields) {
      if (field.kind !== 'object') continue;
      const target = models.get(field.type);
      if (!target) throw new Error(`${model.name}.${field.name}: unknown model ${field.type}`);
      const from = field.relationFromFields ?? [];
      if (from.length === 0) {
        const back = target.fields.find((f) => f.relationName === field.relationName && f !== field);
        if (field.isList && back?.isList) {
          throw new Error(`${model.name}.${field.name}: implicit many-to-many relations are not covered by the drift check`);
        }
        continue; // the other side holds the foreign key
      }
      const fromColumns = from.map((name) => columnName(fieldNamed(model, name)));
      const tableName = tableOf(model);
      shape.foreignKeys[`${table}.${truncated(`${tableName}_${fromColumns.join('_')}`, '_fkey')}`] = {
        table,
        columns: fromColumns,
        referencedTable: qualified(target, tableOf(target)),
        referencedColumns: (field.relationToFields ?? []).map((name) => columnName(fieldNamed(target, name))),
        // Prisma's defaults: Restrict for a required relation, SetNull for an optional one; Cascade on update.
        onDelete: field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull'),
        onUpdate: field.relationOnUpdate ?? 'Cascade',
      };
    }
  }

  for (const index of datamodel.indexes) {
    if (index.type === 'fulltext') continue; // MySQL only
    const model = models.get(index.model);
    if (!model) throw new Error(`index on unknown model ${index.model}`);
    const tableName = tableOf(model);
    const columns = index.fields.map((f) => columnName(fieldNamed(model, f.name)));
    const name =
      index.dbName ??
      (index.type === 'id'
        ? truncated(tableName, '_pkey')
        : truncated(`${tableName}_${columns.join('_')}`, index.type === 'unique' ? '_key' : '_idx'));
    shape.indexes[qualified(model, name)] = {
      table: qualified(model, tableName),
      columns: index.fields.map((f, i) => `${columns[i]}${f.sortOrder === 'desc' ? ' DESC' : ''}`),
      unique: index.type !== 'normal',
      primary: index.type === 'id',
      method: (index.algorithm ?? 'BTree').toLowerCase(),
    };
  }
  return shape;
}

function columnName(field: DmmfField): string {
  return field.dbName ?? field.name;
}

function fieldNamed(model: DmmfModel, name: string): DmmfField {
  const field = model.fields.find((f) => f.name === name);
  if (!field) throw new Error(`${model.name} has no field ${name}`);
  return field;
}

// Prisma's ConstraintNames: cut the base so that base + suffix fits the identifier limit.
function truncated(base: string, suffix: string): string {
  const limit = MAX_IDENTIFIER - suffix.length;
  const bytes = Buffer.from(base, 'utf8');
  if (bytes.length < limit) return base + suffix;
  let cut = limit;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut -= 1; // stay on a character boundary
  return bytes.subarray(0, cut).toString('utf8') + suffix;
}

function columnType(field: DmmfField, enums: Map<string, DmmfEnum>): string {
  let base: string;
  if (field.kind === 'enum') {
    const e = enums.get(field.type);
    base = e?.dbName ?? field.type;
  } else if (field.nativeType) {
    const [name, args] = field.nativeType;
    const render = NATIVE_TYPES[name];
    if (!render) throw new Error(`${field.name}: native type @db.${name} is not covered by the drift check`);
    base = render(args);
  } else {
    const type = DEFAULT_NATIVE_TYPES[field.type];
    if (!type) throw new Error(`${field.name}: scalar type ${field.type} is not covered by the drift check`);
    base = type;
  }
  return field.isList ? `${base}[]` : base;
}

function columnDefault(field: DmmfField, enums: Map<string, DmmfEnum>): string | null {
  const value = field.default;
  if (value === undefined) return null;
  if (Array.isArray(value)) return `ARRAY[${value.map((item) => literal(field, item, enums)).join(', ')}]`;
  if (typeof value === 'object' && value !== null && 'name' in value) {
    if (CLIENT_SIDE_DEFAULTS.has(value.name)) return null;
    if (value.name === 'now') return 'now()';
    if (value.name === 'autoincrement') return 'autoincrement()';
    if (value.name === 'dbgenerated' && typeof value.args[0] === 'string') return normalizeDefault(value.args[0]);
    return ANY_DEFAULT;
  }
  return literal(field, value as string | number | boolean, enums);
}

function literal(field: DmmfField, value: string | number | boolean, enums: Map<string, DmmfEnum>): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (['Int', 'BigInt', 'Float', 'Decimal'].includes(field.type)) return value;
  // Prisma renders these in its own formats (timestamps, hex); only their presence is compared.
  if (field.type === 'DateTime' || field.type === 'Bytes') return ANY_DEFAULT;
  const text =
    field.kind === 'enum'
      ? (enums.get(field.type)?.values.find((v) => v.name === value)?.dbName ?? value)
      : value;
  return `'${text.replace(/'/g, "''")}'`;
}
