/** `npm run audit:verify`: every chain recomputed from the command line, with progress, and a broken one named. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOrg, createTenant, createTestApp, type TestApp } from '../support/app.js';
import { runAuditVerifyCli } from '../support/audit-verify-cli.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({}, 'auditcli');
});
afterAll(async () => t?.close());

const runCli = () => runAuditVerifyCli(t.testDb.url);

describe('npm run audit:verify', () => {
  test('checks every tenant’s chain and exits 0 when all are intact, then 1 naming a tampered event', async () => {
    const a = await createTenant(t.app);
    const b = await createTenant(t.app);
    await createOrg(t.app, a.adminKey, 'one');
    await createOrg(t.app, b.adminKey, 'two');

    const ok = runCli();
    expect(ok.status, ok.stderr).toBe(0);
    const intact = ok.lines.filter((l) => l.msg === 'audit verify: chain intact').map((l) => l.chain);
    expect(intact).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(ok.lines.some((l) => l.msg === 'audit verify: progress')).toBe(true);
    expect(ok.lines.at(-1)?.msg).toBe('audit verify: finished');

    const attacker = new pg.Client({ connectionString: t.testDb.adminUrl });
    await attacker.connect();
    await attacker.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await attacker.query(`UPDATE audit_events SET actor_name = 'nobody' WHERE chain = $1 AND seq = 2`, [
      b.id,
    ]);
    await attacker.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    await attacker.end();

    const broken = runCli();
    expect(broken.status).toBe(1);
    const report = broken.lines.find((l) => l.msg === 'audit verify: chain BROKEN');
    expect(report).toMatchObject({ chain: b.id, firstMismatch: { seq: 2 } });
  });
});
