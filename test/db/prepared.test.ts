/**
 * The hot statements, built once and run as named prepared statements (src/db/prepared.ts), return
 * exactly the rows the same reads through the plain query builder return: same fields, same values,
 * same JavaScript types (Date, number, null); on the pool and inside a transaction; and they do run
 * under their names. The draft path's writes store and return what a read gives back.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { inTransaction } from '../../src/db/transaction.js';
import { cognigyTargetsRepository } from '../../src/modules/orgs/cognigy-targets.repository.js';
import { orgsRepository } from '../../src/modules/orgs/orgs.repository.js';
import { dataKeysRepository } from '../../src/modules/secrets/data-keys.repository.js';
import { ssoValidationsRepository } from '../../src/modules/sso-versions/sso-validations.repository.js';
import { ssoVersionsRepository } from '../../src/modules/sso-versions/sso-versions.repository.js';
import { createMigratedDatabase } from '../support/database.js';
import { type SeededOrg, seedOrgsWithVersion } from '../support/rows.js';

let database: Database;
let ids: { tenantId: string; orgId: string; versionId: string };
const targetUpdatedAt = new Date('2026-03-04T05:06:07.089Z');

beforeAll(async () => {
  database = await createMigratedDatabase('prepared');
  const { db } = database;
  const { tenantId, orgs } = await seedOrgsWithVersion(db, 1);
  const { orgId, versionId } = orgs[0] as SeededOrg;
  await db
    .insertInto('org_data_keys')
    .values({ org_id: orgId, tenant_id: tenantId, master_key_id: 'k1', wrapped_key: 'wrapped' })
    .execute();
  await db
    .insertInto('cognigy_targets')
    .values({
      org_id: orgId,
      tenant_id: tenantId,
      api_base: 'https://api-trial.cognigy.ai/new',
      api_key_sealed: 'sealed',
      api_key_fingerprint: 'hmac-sha256:00',
      organisation_id: null,
      updated_at: targetUpdatedAt,
    })
    .execute();
  ids = { tenantId, orgId, versionId };
});

afterAll(async () => {
  await database?.close();
});

describe('prepared reads of the hot paths', () => {
  it('read the Cognigy target, on the pool and in a transaction, tenant-scoped', async () => {
    const { db } = database;
    const expected = {
      orgId: ids.orgId,
      tenantId: ids.tenantId,
      apiBase: 'https://api-trial.cognigy.ai/new',
      apiKeySealed: 'sealed',
      apiKeyFingerprint: 'hmac-sha256:00',
      organisationId: null,
      updatedAt: targetUpdatedAt,
      updatedById: null,
    };
    expect(await cognigyTargetsRepository.find(db, ids.tenantId, ids.orgId)).toStrictEqual(expected);
    await inTransaction(db, async (tx) => {
      expect(await cognigyTargetsRepository.find(tx, ids.tenantId, ids.orgId)).toStrictEqual(expected);
    });
    // Tenant-scoped: the right org under another tenant is not found.
    expect(await cognigyTargetsRepository.find(db, ids.orgId, ids.orgId)).toBeNull();
  });

  it('read the org data key, or null', async () => {
    const { db } = database;
    expect(await dataKeysRepository.findOrgKey(db, ids.orgId)).toStrictEqual({
      tenantId: ids.tenantId,
      masterKeyId: 'k1',
      wrappedKey: 'wrapped',
    });
    expect(await dataKeysRepository.findOrgKey(db, ids.tenantId)).toBeNull();
  });

  it('read a version by id and an org’s head as the plain query builder reads the version', async () => {
    const { db } = database;
    const expected = await ssoVersionsRepository.get(db, ids.orgId, 1);
    expect(expected).toMatchObject({
      id: ids.versionId,
      number: 1,
      reviewState: 'draft',
      selfApproved: false,
    });
    expect(expected?.createdAt).toBeInstanceOf(Date);
    expect(await ssoVersionsRepository.byId(db, ids.versionId)).toStrictEqual(expected);
    expect(await ssoVersionsRepository.head(db, ids.orgId)).toStrictEqual(expected);
    expect(await ssoVersionsRepository.head(db, ids.tenantId)).toBeNull();
    expect(await ssoVersionsRepository.byId(db, ids.tenantId)).toBeNull();
  });

  it('read an org by id or slug as the plain query builder (the list) reads it', async () => {
    const { db } = database;
    const [listed] = await orgsRepository.list(db, {
      tenantId: ids.tenantId,
      orgScope: null,
      archived: false,
      labels: {},
      limit: 1,
    });
    expect(listed).toMatchObject({
      id: ids.orgId,
      revision: 1,
      archivedAt: null,
      cognigy: { apiBase: 'https://api-trial.cognigy.ai/new', updatedAt: targetUpdatedAt },
      dataKey: { orgId: ids.orgId },
    });
    expect(await orgsRepository.find(db, ids.tenantId, { id: ids.orgId })).toStrictEqual(listed);
    expect(await orgsRepository.find(db, ids.tenantId, { slug: listed?.slug as string })).toStrictEqual(
      listed,
    );
    expect(await orgsRepository.find(db, ids.orgId, { id: ids.orgId })).toBeNull();
  });

  it('run under their names, prepared once per connection', async () => {
    const names = await inTransaction(database.db, async (tx) => {
      await ssoVersionsRepository.head(tx, ids.orgId);
      await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId });
      const { rows } = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(tx);
      return rows.map((r) => r.name);
    });
    expect(names).toEqual(expect.arrayContaining(['sso_version_head', 'org_lock_by_id']));
  });
});

describe('prepared writes of the draft path', () => {
  const version = (orgId: string, number: number) => ({
    tenantId: ids.tenantId,
    orgId,
    number,
    kind: 'oidc',
    content: {
      idpIssuer: 'https://idp.example.com/',
      idpClientId: `client-${number}`,
      nested: { a: [1, 'b'] },
    },
    clientSecretSealed: 'sealed',
    clientSecretFingerprint: 'hmac-sha256:02',
    clientSecretChangedIn: number,
    clientSecretExpiresAt: new Date(Date.UTC(2027, 2, number, 12, 0, 0, 123)),
    decryptionKeySealed: null,
    decryptionKeyFingerprint: null,
    decryptionKeyChangedIn: null,
    contentHash: `sha256:${'cd'.repeat(32)}`,
    baseVersion: number - 1,
    rollbackOf: null,
    bulkId: null,
    note: 'a note',
    createdById: randomUUID(),
    createdByName: 'editor',
  });

  it('insert a version and its validation whose rows equal what a read gives back', async () => {
    const { db } = database;
    const written = await inTransaction(db, async (tx) => {
      const row = await ssoVersionsRepository.insert(tx, version(ids.orgId, 2));
      const validation = await ssoValidationsRepository.insert(tx, {
        tenantId: ids.tenantId,
        orgId: ids.orgId,
        versionId: row.id,
        status: 'warn',
        report: { status: 'warn', checks: [{ name: 'x', result: 'warn' }] },
        requestedById: randomUUID(),
        requestedByName: 'editor',
      });
      return { row, validation };
    });
    const next = await inTransaction(db, (tx) => ssoVersionsRepository.insert(tx, version(ids.orgId, 3)));
    expect(written.row).toStrictEqual(await ssoVersionsRepository.get(db, ids.orgId, 2));
    expect(next).toStrictEqual(await ssoVersionsRepository.byId(db, next.id));
    expect(written.validation).toStrictEqual(await ssoValidationsRepository.latest(db, written.row.id));
    expect(written.row.content).toEqual(version(ids.orgId, 2).content);
    // Ids are UUIDv7, as the schema's @default(uuid(7)) says: time-ordered.
    expect(written.row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(next.id > written.row.id).toBe(true);
    expect(written.row).toMatchObject({ reviewState: 'draft', selfApproved: false, number: 2 });
  });

  it('lock an org by id or slug, returning the row a read returns, or null for another tenant', async () => {
    const { db } = database;
    const expected = await orgsRepository.find(db, ids.tenantId, { id: ids.orgId });
    expect(expected).not.toBeNull();
    await inTransaction(db, async (tx) => {
      expect(await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId })).toStrictEqual(expected);
      expect(
        await orgsRepository.lockByRef(tx, ids.tenantId, { slug: expected?.slug as string }),
      ).toStrictEqual(expected);
      expect(await orgsRepository.lockByRef(tx, ids.orgId, { id: ids.orgId })).toBeNull();
    });
  });

  it('hold the org lock until the transaction ends', async () => {
    const { db } = database;
    const order: string[] = [];
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = inTransaction(db, async (tx) => {
      await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId });
      locked();
      await new Promise((resolve) => setTimeout(resolve, 200));
      order.push('first commits');
    });
    await isLocked;
    await inTransaction(db, async (tx) => {
      await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId });
      order.push('second locked');
    });
    await first;
    expect(order).toEqual(['first commits', 'second locked']);
  });

  it('insert an org data key once: a second insert keeps the first and returns it', async () => {
    const { db } = database;
    const { tenantId, orgs } = await seedOrgsWithVersion(db, 1, 'keys');
    const orgId = (orgs[0] as SeededOrg).orgId;
    const first = await inTransaction(db, (tx) =>
      dataKeysRepository.insertOrgKey(tx, tenantId, orgId, { masterKeyId: 'k1', wrappedKey: 'first' }),
    );
    const second = await inTransaction(db, (tx) =>
      dataKeysRepository.insertOrgKey(tx, tenantId, orgId, { masterKeyId: 'k2', wrappedKey: 'second' }),
    );
    expect(first).toStrictEqual({ tenantId, masterKeyId: 'k1', wrappedKey: 'first' });
    expect(second).toStrictEqual(first);
  });
});
