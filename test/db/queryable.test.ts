/**
 * The hot reads that skip Prisma's query builder (raw SQL on the pool, or through Prisma outside and
 * inside a transaction) return exactly the rows the query builder returns: same fields, same values,
 * same JavaScript types (Date, number, null); and the raw writes of the draft path store and return
 * what the query builder would, on a `pg` connection's transaction as in Prisma's.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { inSqlTransaction } from '../../src/db/transaction.js';
import { cognigyTargetsRepository } from '../../src/modules/orgs/cognigy-targets.repository.js';
import { orgsRepository } from '../../src/modules/orgs/orgs.repository.js';
import { dataKeysRepository } from '../../src/modules/secrets/data-keys.repository.js';
import { ssoVersionsRepository } from '../../src/modules/sso-versions/sso-versions.repository.js';
import { createMigratedDatabase } from '../support/database.js';
import { type SeededOrg, seedOrgsWithVersion } from '../support/rows.js';

let database: Database;
let ids: { tenantId: string; orgId: string; versionId: string };

beforeAll(async () => {
  database = await createMigratedDatabase('queryable');
  const { prisma } = database;
  const { tenantId, orgs } = await seedOrgsWithVersion(prisma, 1);
  const { orgId, versionId } = orgs[0] as SeededOrg;
  await prisma.orgDataKey.create({ data: { orgId, tenantId, masterKeyId: 'k1', wrappedKey: 'wrapped' } });
  await prisma.cognigyTarget.create({
    data: {
      orgId,
      tenantId,
      apiBase: 'https://api-trial.cognigy.ai/new',
      apiKeySealed: 'sealed',
      apiKeyFingerprint: 'hmac-sha256:00',
      organisationId: null,
    },
  });
  ids = { tenantId, orgId, versionId };
});

afterAll(async () => {
  await database?.close();
});

describe('raw reads of the hot paths', () => {
  it('read the Cognigy target as the query builder does, on the pool, the client and in a transaction', async () => {
    const { prisma, pool } = database;
    const expected = await prisma.cognigyTarget.findFirst({
      where: { orgId: ids.orgId, tenantId: ids.tenantId },
    });
    expect(expected).not.toBeNull();
    expect(await cognigyTargetsRepository.find(pool, ids.tenantId, ids.orgId)).toStrictEqual(expected);
    expect(await cognigyTargetsRepository.find(prisma, ids.tenantId, ids.orgId)).toStrictEqual(expected);
    await prisma.$transaction(async (tx) => {
      expect(await cognigyTargetsRepository.find(tx, ids.tenantId, ids.orgId)).toStrictEqual(expected);
    });
    // Tenant-scoped: the right org under another tenant is not found.
    expect(await cognigyTargetsRepository.find(pool, ids.orgId, ids.orgId)).toBeNull();
  });

  it('read the org data key as the query builder does, or null', async () => {
    const { prisma, pool } = database;
    const expected = await prisma.orgDataKey.findUnique({
      where: { orgId: ids.orgId },
      select: { tenantId: true, masterKeyId: true, wrappedKey: true },
    });
    expect(await dataKeysRepository.findOrgKey(pool, ids.orgId)).toStrictEqual(expected);
    expect(await dataKeysRepository.findOrgKey(prisma, ids.orgId)).toStrictEqual(expected);
    expect(await dataKeysRepository.findOrgKey(pool, ids.tenantId)).toBeNull();
  });

  it('read a version by id and an org’s head as the query builder does', async () => {
    const { prisma, pool } = database;
    const expected = await prisma.ssoVersion.findUnique({ where: { id: ids.versionId } });
    expect(await ssoVersionsRepository.byId(pool, ids.versionId)).toStrictEqual(expected);
    expect(await ssoVersionsRepository.head(prisma, ids.orgId)).toStrictEqual(expected);
    expect(await ssoVersionsRepository.head(pool, ids.orgId)).toStrictEqual(expected);
    expect(await ssoVersionsRepository.head(prisma, ids.tenantId)).toBeNull();
    expect(await ssoVersionsRepository.byId(pool, ids.tenantId)).toBeNull();
  });

  it('read the same rows on a pg connection inside a transaction', async () => {
    const { prisma, pool } = database;
    const head = await prisma.ssoVersion.findUnique({ where: { id: ids.versionId } });
    const target = await prisma.cognigyTarget.findFirst({ where: { orgId: ids.orgId } });
    await inSqlTransaction(pool, async (tx) => {
      expect(await ssoVersionsRepository.head(tx, ids.orgId)).toStrictEqual(head);
      expect(await cognigyTargetsRepository.find(tx, ids.tenantId, ids.orgId)).toStrictEqual(target);
    });
  });
});

describe('raw writes of the draft path', () => {
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

  it('insert a version and its validation whose rows equal what the query builder reads back, in either kind of transaction', async () => {
    const { prisma, pool } = database;
    const viaPg = await inSqlTransaction(pool, async (tx) => {
      const row = await ssoVersionsRepository.insert(tx, version(ids.orgId, 2));
      const validation = await ssoVersionsRepository.insertValidation(tx, {
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
    const viaPrisma = await prisma.$transaction((tx) =>
      ssoVersionsRepository.insert(tx, version(ids.orgId, 3)),
    );
    expect(viaPg.row).toStrictEqual(await prisma.ssoVersion.findUnique({ where: { id: viaPg.row.id } }));
    expect(viaPrisma).toStrictEqual(await prisma.ssoVersion.findUnique({ where: { id: viaPrisma.id } }));
    expect(viaPg.validation).toStrictEqual(
      await prisma.ssoValidation.findUnique({ where: { id: viaPg.validation.id } }),
    );
    // Ids are UUIDv7, as Prisma's @default(uuid(7)) makes them: time-ordered.
    expect(viaPg.row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(viaPrisma.id > viaPg.row.id).toBe(true);
    expect(viaPg.row).toMatchObject({ reviewState: 'draft', selfApproved: false, number: 2 });
  });

  it('lock an org by id or slug, returning the row the query builder reads, or null for another tenant', async () => {
    const { prisma, pool } = database;
    const expected = await orgsRepository.findById(prisma, ids.tenantId, ids.orgId);
    expect(expected).not.toBeNull();
    await inSqlTransaction(pool, async (tx) => {
      expect(await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId })).toStrictEqual(expected);
      expect(
        await orgsRepository.lockByRef(tx, ids.tenantId, { slug: expected?.slug as string }),
      ).toStrictEqual(expected);
      expect(await orgsRepository.lockByRef(tx, ids.orgId, { id: ids.orgId })).toBeNull();
    });
    await prisma.$transaction(async (tx) => {
      expect(await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId })).toStrictEqual(expected);
    });
  });

  it('hold the org lock until the transaction ends', async () => {
    const { pool } = database;
    const order: string[] = [];
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = inSqlTransaction(pool, async (tx) => {
      await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId });
      locked();
      await new Promise((resolve) => setTimeout(resolve, 200));
      order.push('first commits');
    });
    await isLocked;
    await inSqlTransaction(pool, async (tx) => {
      await orgsRepository.lockByRef(tx, ids.tenantId, { id: ids.orgId });
      order.push('second locked');
    });
    await first;
    expect(order).toEqual(['first commits', 'second locked']);
  });

  it('insert an org data key once: a second insert keeps the first and returns it', async () => {
    const { pool } = database;
    const { tenantId, orgs } = await seedOrgsWithVersion(database.prisma, 1, 'keys');
    const orgId = (orgs[0] as SeededOrg).orgId;
    const first = await inSqlTransaction(pool, (tx) =>
      dataKeysRepository.insertOrgKey(tx, tenantId, orgId, { masterKeyId: 'k1', wrappedKey: 'first' }),
    );
    const second = await database.prisma.$transaction((tx) =>
      dataKeysRepository.insertOrgKey(tx, tenantId, orgId, { masterKeyId: 'k2', wrappedKey: 'second' }),
    );
    expect(first).toStrictEqual({ tenantId, masterKeyId: 'k1', wrappedKey: 'first' });
    expect(second).toStrictEqual(first);
  });
});
