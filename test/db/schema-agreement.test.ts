/**
 * prisma/schema.prisma (the data model, from which the Kysely table types are generated) and
 * prisma/migrations (what the database is) are written by hand side by side; this file proves they agree:
 * (a) every model, field, type, nullability, default, key, index and relation of the schema exists
 *     in a freshly migrated database, and the database has nothing the schema does not know;
 * (b) the generated Kysely types name exactly the schema's tables and columns, and Kysely writes and
 *     reads back one row of every table with every column set.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrator.js';
import type { DB } from '../../src/generated/kysely/types.js';
import { createLogger } from '../../src/lib/logger.js';
import { tenantsRepository } from '../../src/modules/tenants/tenants.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// ---------------------------------------------------------------------------------------------
// A small parser of the parts of the Prisma schema language this project uses.

interface Attribute {
  readonly name: string; // 'id', 'unique', 'default', 'map', 'db.Uuid', 'relation', …
  readonly args: string | undefined; // the text between the parentheses, if any
}

interface Field {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly list: boolean;
  readonly attributes: readonly Attribute[];
  readonly column: string;
}

interface IndexSpec {
  readonly kind: 'unique' | 'index' | 'id';
  readonly fields: ReadonlyArray<{ name: string; desc: boolean }>;
  readonly map: string | undefined;
}

interface Model {
  readonly name: string;
  readonly table: string;
  /** Scalar fields (relation fields are left out). */
  readonly fields: readonly Field[];
  readonly relations: readonly Field[];
  readonly indexes: readonly IndexSpec[];
}

const SCALARS = new Set([
  'String',
  'Int',
  'BigInt',
  'Float',
  'Decimal',
  'Boolean',
  'DateTime',
  'Json',
  'Bytes',
]);

/** Removes `//` and `///` comments that are not inside a string. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (c === '"' && line[i - 1] !== '\\') inString = !inString;
    if (!inString && c === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

/** Parses `@name(args) @other …` (and `@@name(args)`) into attributes, balancing parentheses. */
function parseAttributes(text: string, prefix: '@' | '@@'): Attribute[] {
  const attributes: Attribute[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith(prefix, i) && (prefix === '@@' || text[i + 1] !== '@')) {
      i += prefix.length;
      const nameMatch = /^[A-Za-z_][\w.]*/.exec(text.slice(i));
      if (!nameMatch) throw new Error(`cannot parse attribute in: ${text}`);
      const name = nameMatch[0];
      i += name.length;
      let args: string | undefined;
      if (text[i] === '(') {
        let depth = 0;
        let inString = false;
        const start = i + 1;
        for (; i < text.length; i += 1) {
          const c = text[i];
          if (c === '"' && text[i - 1] !== '\\') inString = !inString;
          if (inString) continue;
          if (c === '(') depth += 1;
          if (c === ')') {
            depth -= 1;
            if (depth === 0) break;
          }
        }
        args = text.slice(start, i);
        i += 1;
      }
      attributes.push({ name, args });
    } else {
      i += 1;
    }
  }
  return attributes;
}

const stringArg = (args: string | undefined) => /^\s*"([^"]*)"/.exec(args ?? '')?.[1];

/** `[a, b(sort: Desc)]` (optionally followed by `, map: "x"`) → fields and map. */
function parseFieldList(args: string): { fields: Array<{ name: string; desc: boolean }>; map?: string } {
  const list = /\[([^\]]*)\]/.exec(args)?.[1] ?? '';
  const fields = list
    .split(/,(?![^(]*\))/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => ({ name: /^\w+/.exec(s)![0], desc: /sort:\s*Desc/.test(s) }));
  const map = /map:\s*"([^"]+)"/.exec(args)?.[1];
  return map ? { fields, map } : { fields };
}

function parseSchema(text: string): Model[] {
  const models: Model[] = [];
  const blocks = text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm);
  const modelNames = new Set([...text.matchAll(/^model\s+(\w+)/gm)].map((m) => m[1]!));
  for (const [, name, body] of blocks) {
    const fields: Field[] = [];
    const relations: Field[] = [];
    const indexes: IndexSpec[] = [];
    let table = name!;
    for (const raw of body!.split('\n')) {
      const line = stripComment(raw).trim();
      if (line === '') continue;
      if (line.startsWith('@@')) {
        for (const attribute of parseAttributes(line, '@@')) {
          if (attribute.name === 'map') table = stringArg(attribute.args)!;
          else if (attribute.name === 'unique' || attribute.name === 'index' || attribute.name === 'id') {
            const parsed = parseFieldList(attribute.args ?? '');
            indexes.push({ kind: attribute.name, fields: parsed.fields, map: parsed.map });
          } else throw new Error(`unsupported block attribute @@${attribute.name} in model ${name}`);
        }
        continue;
      }
      const match = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!match) throw new Error(`cannot parse field line in model ${name}: ${line}`);
      const [, fieldName, type, list, optional, rest] = match;
      const attributes = parseAttributes(rest!, '@');
      const field: Field = {
        name: fieldName!,
        type: type!,
        list: list !== undefined,
        optional: optional !== undefined,
        attributes,
        column: stringArg(attributes.find((a) => a.name === 'map')?.args) ?? fieldName!,
      };
      if (modelNames.has(type!)) {
        relations.push(field);
        continue;
      }
      if (!SCALARS.has(type!)) throw new Error(`unsupported field type ${type} in model ${name}`);
      fields.push(field);
    }
    // field-level @id / @unique become index specs too
    for (const field of fields) {
      for (const attribute of field.attributes) {
        if (attribute.name === 'id' || attribute.name === 'unique') {
          indexes.push({
            kind: attribute.name,
            fields: [{ name: field.name, desc: false }],
            map: /map:\s*"([^"]+)"/.exec(attribute.args ?? '')?.[1],
          });
        }
      }
    }
    models.push({ name: name!, table, fields, relations, indexes });
  }
  return models;
}

// ---------------------------------------------------------------------------------------------
// What each schema type becomes in PostgreSQL, the way `prisma migrate` renders it.

const attr = (field: Field, name: string) => field.attributes.find((a) => a.name === name);

/** The expected pg type (udt name, `_x` for arrays) and timestamp precision of a scalar field. */
function expectedType(field: Field): { udt: string; precision?: number } {
  const native = field.attributes.find((a) => a.name.startsWith('db.'));
  let udt: string;
  let precision: number | undefined;
  switch (field.type) {
    case 'String':
      udt = native?.name === 'db.Uuid' ? 'uuid' : native ? `unsupported ${native.name}` : 'text';
      break;
    case 'Int':
      udt = 'int4';
      break;
    case 'BigInt':
      udt = 'int8';
      break;
    case 'Float':
      udt = 'float8';
      break;
    case 'Boolean':
      udt = 'bool';
      break;
    case 'DateTime':
      if (native?.name === 'db.Timestamptz') udt = 'timestamptz';
      else if (!native || native.name === 'db.Timestamp') udt = 'timestamp';
      else udt = `unsupported ${native.name}`;
      precision = Number(native?.args ?? 3);
      break;
    case 'Json':
      udt = native?.name === 'db.Json' ? 'json' : 'jsonb';
      break;
    case 'Bytes':
      udt = 'bytea';
      break;
    default:
      udt = `unsupported ${field.type}`;
  }
  return { udt: field.list ? `_${udt}` : udt, ...(precision !== undefined ? { precision } : {}) };
}

/**
 * The SQL default `prisma migrate` renders for a field's @default, as Postgres reports it back in
 * information_schema (null when the value is made by the client: uuid(), cuid(), …).
 */
function expectedDefault(field: Field): string | null {
  const def = attr(field, 'default');
  if (!def) return null;
  const value = (def.args ?? '').trim();
  if (/^(uuid|cuid|nanoid|ulid)\(.*\)$/.test(value)) return null;
  if (value === 'now()') return 'CURRENT_TIMESTAMP';
  if (value === 'autoincrement()') return 'nextval';
  const { udt } = expectedType(field);
  if (value === '[]') return `ARRAY[]::${udt.slice(1)}[]`;
  if (value === 'true' || value === 'false' || /^-?\d+$/.test(value)) return value;
  const text = /^"(.*)"$/.exec(value)?.[1];
  if (text !== undefined) return `'${text.replace(/'/g, "''")}'::${udt === 'jsonb' ? 'jsonb' : 'text'}`;
  throw new Error(`unsupported default ${value} on ${field.name}`);
}

/** Prisma's default constraint/index names. */
function defaultIndexName(table: string, columns: readonly string[], kind: IndexSpec['kind']): string {
  if (kind === 'id') return `${table}_pkey`;
  return `${table}_${columns.join('_')}_${kind === 'unique' ? 'key' : 'idx'}`;
}

// ---------------------------------------------------------------------------------------------

interface DbColumn {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  datetime_precision: number | null;
}

interface DbIndex {
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  partial: boolean;
  columns: string[];
  desc: boolean[];
}

interface DbForeignKey {
  table: string;
  name: string;
  columns: string[];
  ref_table: string;
  ref_columns: string[];
  on_delete: string;
  on_update: string;
}

let testDb: TestDatabase;
let database: Database;
let models: Model[];
let columns: DbColumn[];
let indexes: DbIndex[];
let foreignKeys: DbForeignKey[];
let tables: string[];

beforeAll(async () => {
  models = parseSchema(await readFile(resolve('prisma/schema.prisma'), 'utf8'));
  testDb = await createTestDatabase('schema');
  database = openDatabase({ url: testDb.url, poolMax: 3 });
  await migrate(database.pool, createLogger('silent'));
  const pool = database.pool;
  tables = (
    await pool.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    )
  ).rows.map((r) => r.table_name);
  columns = (
    await pool.query<DbColumn>(
      `SELECT table_name, column_name, udt_name, is_nullable, column_default, datetime_precision
         FROM information_schema.columns WHERE table_schema = current_schema()`,
    )
  ).rows;
  indexes = (
    await pool.query<DbIndex>(
      `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
              x.indpred IS NOT NULL AS partial,
              array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
              array(SELECT (o & 1) = 1 FROM unnest(x.indoption::int2[]) WITH ORDINALITY o(o, n) ORDER BY o.n) AS desc
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE ns.nspname = current_schema()`,
    )
  ).rows;
  foreignKeys = (
    await pool.query<DbForeignKey>(
      `SELECT t.relname AS table, c.conname AS name,
              array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
              r.relname AS ref_table,
              array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n) AS ref_columns,
              c.confdeltype AS on_delete, c.confupdtype AS on_update
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE c.contype = 'f' AND ns.nspname = current_schema()`,
    )
  ).rows;
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const columnOf = (table: string, column: string) =>
  columns.find((c) => c.table_name === table && c.column_name === column);

/**
 * The tables of the generated Kysely types (src/generated/kysely/types.ts, written by prisma-kysely
 * at build time), read from the file's text: table → model type → columns.
 */
function generatedTables(text: string): Map<string, { type: string; columns: string[] }> {
  const types = new Map<string, string[]>();
  for (const [, name, body] of text.matchAll(/^export type (\w+) = \{\n([\s\S]*?)^\};/gm)) {
    const members = body!
      .replace(/\/\*\*[\s\S]*?\*\//g, '')
      .split('\n')
      .map((line) => /^\s*"?(\w+)"?\??:/.exec(line)?.[1])
      .filter((m): m is string => m !== undefined);
    types.set(name!, members);
  }
  const db = text.match(/^export type DB = \{\n([\s\S]*?)^\};/m)?.[1] ?? '';
  const tables = new Map<string, { type: string; columns: string[] }>();
  for (const [, table, type] of db.matchAll(/^\s*(\w+): (\w+);/gm)) {
    tables.set(table!, { type: type!, columns: types.get(type!) ?? [] });
  }
  return tables;
}

describe('the schema parser and the generated Kysely types', () => {
  it('finds a table in the generated types for every model, of the type named after it, and no other', async () => {
    const generated = generatedTables(await readFile(resolve('src/generated/kysely/types.ts'), 'utf8'));
    expect([...generated.keys()].sort()).toEqual(models.map((m) => m.table).sort());
    for (const model of models) expect(generated.get(model.table)?.type, model.table).toBe(model.name);
  });

  it('finds the same columns as the generated types, model by model', async () => {
    const generated = generatedTables(await readFile(resolve('src/generated/kysely/types.ts'), 'utf8'));
    for (const model of models) {
      expect(model.fields.map((f) => f.column).sort(), model.name).toEqual(
        [...(generated.get(model.table)?.columns ?? [])].sort(),
      );
    }
  });
});

describe('prisma/schema.prisma and the migrated database', () => {
  it('has a table for every model, and no table without a model (besides _prisma_migrations)', () => {
    expect(tables.filter((t) => t !== '_prisma_migrations').sort()).toEqual(
      models.map((m) => m.table).sort(),
    );
  });

  it('has a column of the same type for every scalar field', () => {
    const problems: string[] = [];
    for (const model of models) {
      for (const field of model.fields) {
        const column = columnOf(model.table, field.column);
        if (!column) {
          problems.push(`${model.name}.${field.name}: no column ${model.table}.${field.column}`);
          continue;
        }
        const expected = expectedType(field);
        if (column.udt_name !== expected.udt) {
          problems.push(
            `${model.name}.${field.name}: ${column.udt_name} in the database, ${expected.udt} expected`,
          );
        }
        if (expected.precision !== undefined && column.datetime_precision !== expected.precision) {
          problems.push(
            `${model.name}.${field.name}: precision ${column.datetime_precision}, ${expected.precision} expected`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has the same nullability: optional fields and lists nullable, everything else NOT NULL', () => {
    // `prisma migrate` renders scalar lists without NOT NULL (`"roles" TEXT[]`): the client never
    // writes NULL into them, but the column allows it.
    const problems: string[] = [];
    for (const model of models) {
      for (const field of model.fields) {
        const column = columnOf(model.table, field.column);
        const nullable = field.optional || field.list;
        if (column && (column.is_nullable === 'YES') !== nullable) {
          problems.push(
            `${model.name}.${field.name}: is_nullable=${column.is_nullable}, expected ${nullable}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has an SQL default exactly where the schema has a database default, with the same value', () => {
    const problems: string[] = [];
    for (const model of models) {
      for (const field of model.fields) {
        const column = columnOf(model.table, field.column);
        if (!column) continue;
        const expected = expectedDefault(field);
        const actual = column.column_default;
        const same =
          expected === null
            ? actual === null
            : expected === 'nextval'
              ? actual?.startsWith('nextval(')
              : actual === expected;
        if (!same) problems.push(`${model.name}.${field.name}: default ${actual}, expected ${expected}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no column that the schema does not know', () => {
    const known = new Set(models.flatMap((m) => m.fields.map((f) => `${m.table}.${f.column}`)));
    const unknown = columns
      .filter((c) => c.table_name !== '_prisma_migrations' && !known.has(`${c.table_name}.${c.column_name}`))
      .map((c) => `${c.table_name}.${c.column_name}`);
    expect(unknown).toEqual([]);
  });

  it('has every @id, @unique, @@unique and @@index as an index with the same columns, order and name', () => {
    const problems: string[] = [];
    for (const model of models) {
      for (const spec of model.indexes) {
        const cols = spec.fields.map(
          (f) => model.fields.find((x) => x.name === f.name)?.column ?? `?${f.name}`,
        );
        const name = spec.map ?? defaultIndexName(model.table, cols, spec.kind);
        const found = indexes.find((i) => i.table === model.table && i.name === name);
        const describe = `${model.name} ${spec.kind}(${cols.join(', ')}) as ${name}`;
        if (!found) {
          problems.push(`${describe}: missing`);
          continue;
        }
        if (found.columns.join(',') !== cols.join(','))
          problems.push(`${describe}: columns ${found.columns}`);
        if (found.desc.join(',') !== spec.fields.map((f) => f.desc).join(',')) {
          problems.push(`${describe}: sort order ${found.desc}`);
        }
        if (found.unique !== (spec.kind !== 'index')) problems.push(`${describe}: unique=${found.unique}`);
        if (found.primary !== (spec.kind === 'id')) problems.push(`${describe}: primary=${found.primary}`);
        if (found.partial) problems.push(`${describe}: is partial`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a primary key on every table of a model', () => {
    for (const model of models) {
      expect(
        indexes.filter((i) => i.table === model.table && i.primary),
        model.table,
      ).toHaveLength(1);
      expect(
        model.indexes.filter((i) => i.kind === 'id'),
        model.name,
      ).toHaveLength(1);
    }
  });

  it('has a foreign key for every relation, with its referential actions', () => {
    // Prisma's defaults: onDelete Restrict for required relations, SetNull for optional; onUpdate Cascade.
    const actions: Record<string, string> = {
      Restrict: 'r',
      Cascade: 'c',
      SetNull: 'n',
      NoAction: 'a',
      SetDefault: 'd',
    };
    const problems: string[] = [];
    for (const model of models) {
      for (const relation of model.relations) {
        const args = attr(relation, 'relation')?.args;
        if (!args?.includes('fields:')) continue; // the side without the foreign key
        const target = models.find((m) => m.name === relation.type)!;
        const fields = /fields:\s*\[([^\]]*)\]/
          .exec(args)![1]!
          .split(',')
          .map((s) => s.trim());
        const references = /references:\s*\[([^\]]*)\]/
          .exec(args)![1]!
          .split(',')
          .map((s) => s.trim());
        const cols = fields.map((f) => model.fields.find((x) => x.name === f)!.column);
        const refCols = references.map((f) => target.fields.find((x) => x.name === f)!.column);
        const name = `${model.table}_${cols.join('_')}_fkey`;
        const onDelete = /onDelete:\s*(\w+)/.exec(args)?.[1] ?? (relation.optional ? 'SetNull' : 'Restrict');
        const onUpdate = /onUpdate:\s*(\w+)/.exec(args)?.[1] ?? 'Cascade';
        const found = foreignKeys.find((f) => f.table === model.table && f.name === name);
        if (!found) {
          problems.push(`${model.name}.${relation.name}: no foreign key ${name}`);
          continue;
        }
        expect(
          { columns: found.columns, ref_table: found.ref_table, ref_columns: found.ref_columns },
          name,
        ).toEqual({ columns: cols, ref_table: target.table, ref_columns: refCols });
        if (found.on_delete !== actions[onDelete]) problems.push(`${name}: on delete ${found.on_delete}`);
        if (found.on_update !== actions[onUpdate]) problems.push(`${name}: on update ${found.on_update}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Kysely on the migrated database', () => {
  /** Comparable form of a value written or read. */
  const comparable = (value: unknown): unknown => {
    if (value instanceof Date) return `date:${value.toISOString()}`;
    if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
    if (Array.isArray(value)) return value.map(comparable);
    return value;
  };

  const modelNamed = (name: string) => models.find((m) => m.name === name) as Model;
  const columnsOf = (name: string) =>
    modelNamed(name)
      .fields.map((f) => f.column)
      .sort();
  /** A row of the model's fields (schema names) as the table's columns. */
  // A Json field holding an array is sent as JSON text: pg would send a JS array as a PostgreSQL
  // array literal, which jsonb refuses (the repositories stringify their JSON the same way).
  const asColumns = (name: string, row: Record<string, unknown>, forWrite = true) =>
    Object.fromEntries(
      Object.entries(row).map(([field, value]) => {
        const spec = modelNamed(name).fields.find((f) => f.name === field);
        const sent =
          forWrite && spec?.type === 'Json' && Array.isArray(value) ? JSON.stringify(value) : value;
        return [spec?.column ?? `unknown field ${field}`, sent];
      }),
    );
  /** Writes a row of the model's table, and reads it back by its primary key. */
  async function roundTrip(name: string, row: Record<string, unknown>) {
    const model = modelNamed(name);
    const table = model.table as keyof DB;
    const key = model.indexes.find((i) => i.kind === 'id')?.fields[0]?.name as string;
    const keyColumn = model.fields.find((f) => f.name === key)?.column as string;
    const db = database.db;
    await db
      .insertInto(table)
      .values(asColumns(name, row) as never)
      .execute();
    return (await db
      .selectFrom(table)
      .selectAll()
      .where(keyColumn as never, '=', row[key] as never)
      .executeTakeFirstOrThrow()) as Record<string, unknown>;
  }

  it('writes and reads back one row of every table with every column set to a non-default value', async () => {
    const at = (iso: string) => new Date(iso);
    const tenantId = randomUUID();
    const orgId = randomUUID();
    const keyId = randomUUID();
    const platformKeyId = randomUUID();
    const versionId = randomUUID();
    const deploymentId = randomUUID();
    const webhookEndpointId = randomUUID();
    const webhookEventId = randomUUID();
    const webhookDeliveryId = randomUUID();
    const personId = randomUUID();

    // One row per model, in an order that satisfies the foreign keys. Every value differs from the
    // field's default (and timestamps carry milliseconds, the precision of timestamptz(3)).
    const rows = {
      Tenant: {
        id: tenantId,
        slug: 'schema-agreement',
        name: 'Schema agreement tenant',
        allowSelfApproval: true,
        allowRollbackApproval: true,
        revision: 7,
        createdAt: at('2026-01-02T03:04:05.678Z'),
        updatedAt: at('2026-02-03T04:05:06.789Z'),
      },
      TenantSecretKey: {
        tenantId,
        masterKeyId: 'k-schema',
        wrappedKey: 'v1.wrapped.tenant.key',
        createdAt: at('2026-01-02T03:04:05.001Z'),
        rewrappedAt: at('2026-03-04T05:06:07.002Z'),
      },
      ApiKey: {
        id: keyId,
        tenantId,
        kind: 'tenant', // the only kind a key with a tenant may have (CHECK); 'platform' is written below
        name: 'schema key',
        prefix: 'ssok_schema01',
        secretHash: Buffer.from([0, 1, 2, 253, 254, 255]),
        roles: ['admin', 'auditor'],
        orgScope: [randomUUID(), randomUUID()],
        createdAt: at('2026-01-01T00:00:00.123Z'),
        createdById: randomUUID(),
        expiresAt: at('2027-01-01T00:00:00.456Z'),
        lastUsedAt: at('2026-06-01T12:00:00.789Z'),
        revokedAt: at('2026-07-01T12:00:00.010Z'),
        revokedById: randomUUID(),
      },
      Org: {
        id: orgId,
        tenantId,
        slug: 'schema-org',
        name: 'Schema org',
        labels: { region: 'eu', tier: 'gold', nested: { ok: true, n: [1, 2] } },
        revision: 3,
        createdAt: at('2026-01-05T00:00:00.111Z'),
        updatedAt: at('2026-01-06T00:00:00.222Z'),
        archivedAt: at('2026-01-07T00:00:00.333Z'),
      },
      OrgDataKey: {
        orgId,
        tenantId,
        masterKeyId: 'k-schema',
        wrappedKey: 'v1.wrapped.org.key',
        createdAt: at('2026-01-08T00:00:00.444Z'),
        rewrappedAt: at('2026-01-09T00:00:00.555Z'),
      },
      CognigyTarget: {
        orgId,
        tenantId,
        apiBase: 'https://api-trial.cognigy.ai/new',
        apiKeySealed: 'v1.sealed.api.key',
        apiKeyFingerprint: 'hmac-sha256:0123456789abcdef0123456789abcdef',
        organisationId: 'cognigy-org-42',
        updatedAt: at('2026-01-10T00:00:00.666Z'),
        updatedById: keyId,
      },
      InstallationSlot: {
        installation: 'https://schema.example.com/new',
        slot: 7,
        holder: 'schema-host/1/abcd1234',
        leaseExpiresAt: at('2026-01-13T00:00:00.123Z'),
        claimedAt: at('2026-01-12T23:59:30.456Z'),
      },
      InstallationWait: {
        installation: 'https://schema.example.com/new',
        worker: 'schema-host/2/dcba4321',
        until: at('2026-01-13T00:00:01.789Z'),
      },
      IdempotencyRecord: {
        id: randomUUID(),
        scope: keyId,
        key: 'idem-key-1',
        method: 'POST',
        path: '/v1/orgs',
        requestHash: 'f'.repeat(64),
        statusCode: 201,
        masterKeyId: 'k-schema',
        responseSealed: 'v1.sealed.response',
        createdAt: at('2026-01-11T00:00:00.777Z'),
        completedAt: at('2026-01-11T00:00:01.888Z'),
        changeMadeAt: at('2026-01-11T00:00:01.333Z'),
        expiresAt: at('2026-01-12T00:00:00.999Z'),
      },
      AuditEvent: {
        id: randomUUID(),
        chain: tenantId,
        seq: 4,
        tenantId,
        occurredAt: at('2026-01-13T00:00:00.123Z'),
        actorType: 'person',
        actorId: keyId,
        actorName: 'ada@example.com',
        actorPerson:
          '{"issuer":"https://idp.example/","subject":"s1","email":"ada@example.com","name":"Ada","roles":["editor"]}',
        action: 'org.updated',
        targetType: 'org',
        targetId: orgId,
        orgId,
        requestId: 'req-schema-1',
        sourceIp: '203.0.113.7',
        userAgent: 'schema-agreement/1.0',
        outcome: 'success',
        diff: { before: { name: 'a' }, after: { name: 'b', list: [1, 'x', null] } },
        prevHash: '0'.repeat(64),
        hash: 'a'.repeat(64),
      },
      AuditSigningKey: {
        kid: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
        publicKey: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
        createdAt: at('2026-01-13T00:00:01.123Z'),
      },
      AuditCheckpoint: {
        id: randomUUID(),
        chain: tenantId,
        seq: 4,
        hash: 'a'.repeat(64),
        signedAt: at('2026-01-13T00:00:02.123Z'),
        keyId: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
        signature: 'A'.repeat(86),
      },
      // The trigger lets a version be written whole once; every value here is set at insert.
      SsoVersion: {
        id: versionId,
        tenantId,
        orgId,
        number: 2,
        kind: 'saml',
        content: { idpIssuer: 'urn:schema', idpDisableRequestedAuthnContext: true, list: [1, null] },
        clientSecretSealed: 'v1.sealed.client.secret',
        clientSecretFingerprint: 'hmac-sha256:00112233445566778899aabbccddeeff',
        clientSecretChangedIn: 1,
        clientSecretExpiresAt: at('2027-06-30T00:00:00.123Z'),
        decryptionKeySealed: 'v1.sealed.decryption.key',
        decryptionKeyFingerprint: 'hmac-sha256:ffeeddccbbaa99887766554433221100',
        decryptionKeyChangedIn: 2,
        contentHash: `sha256:${'b'.repeat(64)}`,
        baseVersion: 1,
        rollbackOf: 1,
        bulkId: randomUUID(),
        note: 'schema note',
        createdById: keyId,
        createdByName: 'schema key',
        createdAt: at('2026-01-14T00:00:00.321Z'),
        reviewState: 'superseded',
        reviewedById: keyId,
        reviewedByName: 'schema approver',
        reviewedAt: at('2026-01-15T00:00:00.432Z'),
        reviewComment: 'looks right',
        overrideReason: 'IdP offline during review',
        selfApproved: true,
        approvedHash: `sha256:${'b'.repeat(64)}`,
        supersededBy: 3,
        supersededAt: at('2026-01-16T00:00:00.543Z'),
      },
      SsoValidation: {
        id: randomUUID(),
        tenantId,
        orgId,
        versionId,
        status: 'warn',
        report: { status: 'warn', checks: [{ name: 'x', status: 'warn' }] },
        checkedAt: at('2026-01-14T00:00:01.654Z'),
        requestedById: keyId,
        requestedByName: 'schema key',
      },
      // The lease columns are set together with state in_flight (CHECK).
      Deployment: {
        id: deploymentId,
        tenantId,
        orgId,
        versionId,
        versionNumber: 2,
        contentHash: `sha256:${'b'.repeat(64)}`,
        state: 'in_flight',
        attempts: 3,
        notBefore: at('2026-01-17T00:00:00.111Z'),
        firstAttemptAt: at('2026-01-17T00:00:01.222Z'),
        leaseOwner: 'worker-1',
        leaseExpiresAt: at('2026-01-17T00:00:31.333Z'),
        finishedAt: at('2026-01-17T00:00:32.444Z'),
        lastError: { detail: 'Unauthorized', code: 1001, traceId: 'api--x' },
        createdAt: at('2026-01-16T23:59:59.555Z'),
        updatedAt: at('2026-01-17T00:00:02.666Z'),
      },
      DeploymentAttempt: {
        id: randomUUID(),
        deploymentId,
        number: 3,
        worker: 'worker-1',
        startedAt: at('2026-01-17T00:00:01.777Z'),
        durationMs: 52,
        outcome: 'retryable',
        httpStatus: 503,
        traceId: 'api--y',
        error: { detail: 'Service unavailable' },
      },
      // The lease columns are set together with state running (CHECK).
      Job: {
        id: randomUUID(),
        queue: 'watch.issuer',
        key: 'discovery:2026-01-17T00:00:00.000Z:https://idp.example',
        payload: { issuer: 'https://idp.example', list: [1, null] },
        state: 'running',
        attempts: 2,
        maxAttempts: 7,
        runAt: at('2026-01-17T00:00:00.888Z'),
        leaseOwner: 'worker-2',
        leaseExpiresAt: at('2026-01-17T00:01:00.999Z'),
        lastError: { message: 'timed out' },
        createdAt: at('2026-01-16T23:00:00.123Z'),
        updatedAt: at('2026-01-17T00:00:00.234Z'),
        finishedAt: at('2026-01-17T00:02:00.345Z'),
      },
      // Resolved with its time (CHECK); severity and rank agree (CHECK).
      Finding: {
        id: randomUUID(),
        tenantId,
        orgId,
        kind: 'saml_certificate_expiry',
        subject: 'certificate:ab12',
        severity: 'warning',
        severityRank: 2,
        state: 'resolved',
        summary: 'The SAML certificate expires in 20 days.',
        action: 'Draft a new version with the IdP’s new certificate.',
        evidence: { expected: null, seen: { notAfter: '2026-02-01' }, list: [1, null] },
        firstSeenAt: at('2026-01-17T00:00:01.456Z'),
        lastSeenAt: at('2026-01-18T00:00:01.567Z'),
        resolvedAt: at('2026-01-19T00:00:01.678Z'),
      },
      Plan: {
        id: randomUUID(),
        tenantId,
        hash: 'ab'.repeat(32),
        state: 'applied',
        orgIds: [orgId],
        totals: { noop: 1, draft: 0, blocked: 0, error: 0 },
        orgs: [{ org: { id: orgId, slug: 'acme' }, action: 'noop', list: [1, null] }],
        errors: [{ pointer: '/document/entries/0', detail: 'give exactly one of orgs and selector' }],
        drafts: { secrets: [], reports: [], orgs: [{ orgId, position: 0 }] },
        result: [{ org: { id: orgId, slug: 'acme' }, result: { status: 201 } }],
        createdById: keyId,
        createdByName: 'planner',
        createdAt: at('2026-01-17T00:00:06.123Z'),
        expiresAt: at('2026-01-17T01:00:06.234Z'),
        appliedById: keyId,
        appliedByName: 'applier',
        appliedAt: at('2026-01-17T00:10:06.345Z'),
      },
      WatchSettings: {
        orgId,
        tenantId,
        credentialProbe: true,
        lastProbedAt: at('2026-01-17T00:00:04.912Z'),
        updatedAt: at('2026-01-17T00:00:05.123Z'),
        updatedById: keyId,
      },
      TenantDataKey: {
        tenantId,
        masterKeyId: 'k2',
        wrappedKey: 'v1.tenant-data-key',
        createdAt: at('2026-01-17T00:00:06.111Z'),
        rewrappedAt: at('2026-01-17T00:00:07.222Z'),
      },
      WebhookEndpoint: {
        id: webhookEndpointId,
        tenantId,
        url: 'https://hooks.example/in',
        description: 'ticketing',
        eventTypes: ['sso.version.drafted', 'finding.opened'],
        enabled: false,
        secretSealed: 'v1.sealed-secret',
        secretFingerprint: `hmac-sha256:${'c'.repeat(32)}`,
        previousSecretSealed: 'v1.sealed-previous',
        previousSecretFingerprint: `hmac-sha256:${'d'.repeat(32)}`,
        previousSecretExpiresAt: at('2026-01-18T00:00:00.333Z'),
        failingSince: at('2026-01-17T00:00:08.444Z'),
        disabledReason: 'failing for 3 days',
        revision: 4,
        createdAt: at('2026-01-16T00:00:00.555Z'),
        updatedAt: at('2026-01-17T00:00:09.666Z'),
        createdById: keyId,
      },
      WebhookEvent: {
        id: webhookEventId,
        tenantId,
        orgId,
        type: 'finding.opened',
        payload: { type: 'finding.opened', data: { list: [1, null] } },
        createdAt: at('2026-01-17T00:00:10.777Z'),
      },
      WebhookDelivery: {
        id: webhookDeliveryId,
        tenantId,
        endpointId: webhookEndpointId,
        eventId: webhookEventId,
        state: 'delivered',
        attempts: 2,
        nextAttemptAt: at('2026-01-17T00:00:11.888Z'),
        lastStatus: 204,
        lastError: 'HTTP 503',
        deliveredAt: at('2026-01-17T00:00:12.999Z'),
        createdAt: at('2026-01-17T00:00:10.778Z'),
        updatedAt: at('2026-01-17T00:00:13.111Z'),
      },
      WebhookAttempt: {
        id: randomUUID(),
        deliveryId: webhookDeliveryId,
        number: 2,
        startedAt: at('2026-01-17T00:00:12.222Z'),
        durationMs: 17,
        outcome: 'delivered',
        httpStatus: 204,
        error: 'HTTP 503 before',
        responseExcerpt: 'ok',
        nextAttemptAt: at('2026-01-17T00:00:14.333Z'),
      },
      WatchedIssuer: {
        issuer: 'https://idp.example/',
        failingRounds: 1,
        failingSince: at('2026-01-17T00:00:02.789Z'),
        lastRound: 'discovery:2026-01-17T00:00:00.000Z',
        lastCheckedAt: at('2026-01-17T00:00:03.891Z'),
        lastOutcome: { reachable: false, reason: 'timeout' },
      },
      ConsoleLogin: {
        tenantId,
        issuer: 'https://idp.example/',
        clientId: 'console',
        clientSecretSealed: 'v1.sealed-console-secret',
        clientSecretFingerprint: `hmac-sha256:${'e'.repeat(32)}`,
        idTokenAlg: 'ES256',
        groupsClaim: 'roles',
        roleMappings: [{ group: 'g', roles: ['auditor'], orgScope: null }],
        allowedEmailDomains: ['example.com'],
        apiKeySignInAllowed: false,
        validation: { status: 'pass', checks: [] },
        revision: 3,
        createdAt: at('2026-01-18T00:00:01.111Z'),
        updatedAt: at('2026-01-18T00:00:02.222Z'),
      },
      ConsoleSignInAttempt: {
        stateHash: Buffer.from([9, 8, 7]),
        tenantId,
        codeVerifier: 'verifier',
        nonce: 'nonce',
        returnTo: '/ui/audit',
        createdAt: at('2026-01-18T00:00:03.333Z'),
        expiresAt: at('2026-01-18T00:10:03.333Z'),
      },
      Person: {
        id: personId,
        tenantId,
        issuer: 'https://idp.example/',
        subject: 's1',
        email: 'ada@example.com',
        name: 'Ada',
        firstSeenAt: at('2026-01-18T00:00:04.444Z'),
        lastSeenAt: at('2026-01-18T00:00:05.555Z'),
      },
      ConsoleSession: {
        id: randomUUID(),
        tenantId,
        personId,
        tokenHash: Buffer.from([1, 2, 3]),
        roles: ['auditor'],
        orgScope: [orgId],
        createdAt: at('2026-01-18T00:00:06.666Z'),
        lastSeenAt: at('2026-01-18T00:00:07.777Z'),
        idleExpiresAt: at('2026-01-18T00:30:07.777Z'),
        expiresAt: at('2026-01-18T12:00:06.666Z'),
        endedAt: at('2026-01-18T00:00:08.888Z'),
        endedReason: 'signed_out',
        sourceIp: '203.0.113.9',
        userAgent: 'schema-agreement/1.0',
      },
    };

    // every model is covered, every column of its table is written, and it reads back unchanged
    expect(Object.keys(rows).sort()).toEqual(models.map((m) => m.name).sort());
    for (const [model, written] of Object.entries(rows)) {
      const back = await roundTrip(model, written);
      expect(Object.keys(asColumns(model, written)).sort(), `${model}: columns written`).toEqual(
        columnsOf(model),
      );
      expect(Object.keys(back).sort(), `${model}: columns read`).toEqual(columnsOf(model));
      for (const [column, value] of Object.entries(asColumns(model, written, false))) {
        expect(comparable(back[column]), `${model}.${column}`).toEqual(comparable(value));
      }
    }

    // the one value the tenant row above could not take: a platform key (no tenant)
    const platform = await roundTrip('ApiKey', {
      id: platformKeyId,
      tenantId: null,
      kind: 'platform',
      name: 'schema platform key',
      prefix: 'ssok_schema02',
      secretHash: Buffer.from([9]),
      roles: ['platform_admin'],
      orgScope: [],
    });
    expect(platform).toMatchObject({ kind: 'platform', tenant_id: null, org_scope: [] });
  });

  it('fills the database defaults the schema declares when a row is written with only required columns', async () => {
    const db = database.db;
    const before = Date.now() - 60_000;
    // The ids' @default(uuid(7)) is made by the service (the database has no default for them).
    const created = await db
      .transaction()
      .execute((tx) => tenantsRepository.insert(tx, { slug: 'schema-defaults', name: 'Defaults' }));
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const tenant = await db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(tenant).toMatchObject({ allow_self_approval: false, allow_rollback_approval: false, revision: 1 });
    expect(tenant.created_at.getTime()).toBeGreaterThan(before);
    const org = await db
      .insertInto('orgs')
      .values({ id: randomUUID(), tenant_id: tenant.id, slug: 'defaults-org', name: 'Defaults org' })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(org).toMatchObject({ labels: {}, revision: 1, archived_at: null });
    const key = await db
      .insertInto('api_keys')
      .values({
        id: randomUUID(),
        tenant_id: tenant.id,
        name: 'k',
        prefix: 'ssok_schema03',
        secret_hash: Buffer.from([1]),
        roles: [],
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(key).toMatchObject({ kind: 'tenant', org_scope: [], roles: [], expires_at: null });
    const version = await db
      .insertInto('sso_versions')
      .values({
        id: randomUUID(),
        tenant_id: tenant.id,
        org_id: org.id,
        number: 1,
        kind: 'disabled',
        content: '{}',
        content_hash: `sha256:${'c'.repeat(64)}`,
        created_by_name: 'k',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(version).toMatchObject({ review_state: 'draft', self_approved: false, base_version: null });
    expect(version.created_at.getTime()).toBeGreaterThan(before);
    const validation = await db
      .insertInto('sso_validations')
      .values({
        id: randomUUID(),
        tenant_id: tenant.id,
        org_id: org.id,
        version_id: version.id,
        status: 'pass',
        report: '{}',
        requested_by_name: 'k',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(validation.checked_at.getTime()).toBeGreaterThan(before);
    const deployment = await db
      .insertInto('deployments')
      .values({
        id: randomUUID(),
        tenant_id: tenant.id,
        org_id: org.id,
        version_id: version.id,
        version_number: 1,
        content_hash: version.content_hash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(deployment).toMatchObject({ state: 'pending', attempts: 0, lease_owner: null, last_error: null });
    expect(deployment.not_before.getTime()).toBeGreaterThan(before);
  });
});
