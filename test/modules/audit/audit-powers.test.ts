/**
 * The service says when its database role can rewrite the audit trail (issue 21): a superuser or the
 * table's owner can disable the append-only triggers; a role with only SELECT and INSERT cannot, and
 * its UPDATE, DELETE, TRUNCATE and ALTER TABLE all fail.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { auditPowersWarning, auditTrailPowers } from '../../../src/modules/audit/audit-powers.js';
import { createMigratedDatabase } from '../../support/database.js';

let database: Database & { url: string };
let limited: Database | undefined;
const role = `audit_reader_${randomUUID().slice(0, 8)}`;
const password = randomUUID();

beforeAll(async () => {
  database = await createMigratedDatabase('auditpowers');
});
afterAll(async () => {
  await limited?.close();
  await database?.pool.query(`DROP OWNED BY ${role}`).catch(() => undefined);
  await database?.pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await database?.close();
});

it('the test database’s own role (a superuser here) can rewrite the trail, and is warned about', async () => {
  const powers = await auditTrailPowers(database.db);
  expect(powers.canRewrite).toBe(true);
  expect(auditPowersWarning(powers)).toMatch(/can disable the audit trail's append-only triggers/);
});

it('a role with only SELECT and INSERT cannot, and is not warned about', async () => {
  await database.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await database.pool.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await database.pool.query(`GRANT SELECT, INSERT ON audit_events TO ${role}`);
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  limited = openDatabase({ url: url.toString(), poolMax: 1 });
  const powers = await auditTrailPowers(limited.db);
  expect(powers).toEqual({ role, superuser: false, owner: false, canRewrite: false });
  expect(auditPowersWarning(powers)).toBeNull();
  for (const statement of [
    'UPDATE audit_events SET action = action',
    'DELETE FROM audit_events',
    'TRUNCATE audit_events',
    'ALTER TABLE audit_events DISABLE TRIGGER USER',
  ]) {
    await expect(limited.pool.query(statement), statement).rejects.toThrow(/permission denied|must be owner/);
  }
});
