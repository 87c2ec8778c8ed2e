// The Prisma datamodel as Prisma itself parses it, offline and without the schema engine:
// the `prisma` package ships the schema parser compiled to Wasm (build/prisma_schema_build_bg.wasm,
// the same code `prisma generate` runs). Its wasm-bindgen glue is bundled inside the CLI and
// not exported, so the few lines of glue `get_dmmf` needs are here.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** prisma/schema of this package: one .prisma file per domain plus main.prisma. */
export const defaultSchemaDir = path.resolve(__dirname, '..', 'schema');

/** A field default: a literal, a list of literals, or a function such as now() or uuid(7). */
export type DmmfDefault =
  | string
  | number
  | boolean
  | readonly (string | number | boolean)[]
  | { name: string; args: readonly unknown[] };

export interface DmmfField {
  name: string;
  /** Column name when mapped with @map. */
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  default?: DmmfDefault;
  /** e.g. ['Timestamptz', ['3']] for @db.Timestamptz(3). */
  nativeType?: readonly [string, readonly string[]] | null;
  relationName?: string | null;
  relationFromFields?: readonly string[];
  relationToFields?: readonly string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  /** Table name when mapped with @@map. */
  dbName: string | null;
  /** Postgres schema under multiSchema, else null. */
  schema: string | null;
  fields: readonly DmmfField[];
}

export interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: readonly { name: string; dbName?: string | null }[];
}

export interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  /** Constraint name when given with map:. */
  dbName?: string | null;
  algorithm?: string;
  fields: readonly { name: string; sortOrder?: 'asc' | 'desc'; length?: number; operatorClass?: string }[];
}

export interface DmmfDatamodel {
  enums: readonly DmmfEnum[];
  models: readonly DmmfModel[];
  indexes: readonly DmmfIndex[];
}

/**
 * Parses the .prisma files of `schemaDir` (default prisma/schema) into Prisma's DMMF
 * datamodel, the structure `prisma generate` works from. Files are read in name order, as the
 * CLI does. Rejects with Prisma's validation message when the schema is invalid.
 */
export async function loadDatamodel(schemaDir: string = defaultSchemaDir): Promise<DmmfDatamodel> {
  const names = (await fs.readdir(schemaDir)).filter((name) => name.endsWith('.prisma')).sort();
  const files = await Promise.all(
    names.map(async (name): Promise<[string, string]> => {
      const file = path.join(schemaDir, name);
      return [file, await fs.readFile(file, 'utf8')];
    }),
  );
  const dmmf = (await schemaWasm()).getDmmf(JSON.stringify({ prismaSchema: files, noColor: true }));
  return (JSON.parse(dmmf) as { datamodel: DmmfDatamodel }).datamodel;
}

// The slice of the WebAssembly API used here: this package compiles without the DOM lib,
// and @types/node does not declare it.
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: unknown }>;
  Module: { imports(module: WasmModule): { module: string; name: string }[] };
}
type WasmModule = { readonly __brand: 'WebAssembly.Module' };

interface SchemaWasmExports {
  memory: { buffer: ArrayBuffer };
  __wbindgen_externrefs: { grow(delta: number): number; get(index: number): unknown; set(index: number, value: unknown): void };
  __wbindgen_start(): void;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  __externref_table_dealloc(index: number): void;
  get_dmmf(ptr: number, len: number): [number, number, number, number];
}

// A fresh instance per call: the module is not kept between calls (no module state), and a
// Rust panic leaves an instance unusable anyway.
async function schemaWasm(): Promise<{ getDmmf(params: string): string }> {
  const { WebAssembly } = globalThis as unknown as { WebAssembly: WasmApi };
  const prismaDir = path.dirname(require.resolve('prisma/package.json'));
  const module = await WebAssembly.compile(await fs.readFile(path.join(prismaDir, 'build', 'prisma_schema_build_bg.wasm')));
  let exports: SchemaWasmExports | undefined;
  let panic: string | undefined;
  const wasm = (): SchemaWasmExports => {
    if (!exports) throw new Error('prisma schema wasm used before instantiation');
    return exports;
  };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const readString = (ptr: number, len: number) =>
    decoder.decode(new Uint8Array(wasm().memory.buffer, ptr >>> 0, len));

  // The import names carry a hash that changes between Prisma versions; match by prefix.
  const imports: Record<string, Record<string, (...args: number[]) => unknown>> = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    let fn: (...args: number[]) => unknown;
    if (name.startsWith('__wbg_Error_')) fn = (ptr, len) => new Error(readString(ptr!, len!));
    else if (name.startsWith('__wbg___wbindgen_throw_')) {
      fn = (ptr, len) => {
        throw new Error(readString(ptr!, len!));
      };
    } else if (name.startsWith('__wbg_set_message_')) fn = (ptr, len) => void (panic = readString(ptr!, len!));
    else if (name === '__wbindgen_init_externref_table') {
      fn = () => {
        const table = wasm().__wbindgen_externrefs;
        const offset = table.grow(4);
        table.set(0, undefined);
        table.set(offset, undefined);
        table.set(offset + 1, null);
        table.set(offset + 2, true);
        table.set(offset + 3, false);
      };
    } else {
      throw new Error(`The installed prisma's schema wasm needs an unknown import ${name}; update src/dmmf.ts`);
    }
    (imports[from] ??= {})[name] = fn;
  }
  const instance = await WebAssembly.instantiate(module, imports);
  exports = instance.exports as unknown as SchemaWasmExports;
  exports.__wbindgen_start();

  return {
    getDmmf(params: string): string {
      const w = wasm();
      const bytes = new TextEncoder().encode(params);
      const ptr = w.__wbindgen_malloc(bytes.length, 1) >>> 0;
      new Uint8Array(w.memory.buffer).set(bytes, ptr);
      let result: [number, number, number, number];
      try {
        result = w.get_dmmf(ptr, bytes.length);
      } catch (error) {
        throw new Error(`prisma schema wasm crashed${panic ? `: ${panic}` : ''}`, { cause: error });
      }
      const [outPtr, outLen, errorIndex, failed] = result;
      if (failed) {
        const error = w.__wbindgen_externrefs.get(errorIndex) as Error;
        w.__externref_table_dealloc(errorIndex);
        throw new Error(`Invalid Prisma schema: ${readableError(error.message)}`);
      }
      try {
        return readString(outPtr, outLen);
      } finally {
        w.__wbindgen_free(outPtr, outLen, 1);
      }
    },
  };
}

// Validation errors come as JSON {error_code, message}; the message is what a person needs.
function readableError(raw: string): string {
  try {
    const parsed = JSON.parse(raw) as { message?: string };
    return parsed.message ?? raw;
  } catch {
    return raw;
  }
}
