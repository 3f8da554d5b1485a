/**
 * The hot reads that skip Prisma's query builder (raw SQL on the pool, or through Prisma outside and
 * inside a transaction) return exactly the rows the query builder returns: same fields, same values,
 * same JavaScript types (Date, number, null).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { dataKeysRepository } from '../../src/modules/crypto/data-keys.repository.js';
import { cognigyTargetsRepository } from '../../src/modules/orgs/cognigy-targets.repository.js';
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
});
