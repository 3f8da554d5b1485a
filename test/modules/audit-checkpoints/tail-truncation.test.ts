/**
 * Issue 21's acceptance: the newest 3 events of a chain deleted by the database's owner (trigger
 * disabled) are named — chain and missing range — by verify (API), `npm run audit:verify` (with the
 * database's checkpoints, and with a checkpoints file and a pinned JWKS after the attacker deleted
 * the stored checkpoints too) and the offline script (export, checkpoints, keys); a forged
 * checkpoint (another key, posing as ours or not) is rejected by all three.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lineOf } from '../../../src/modules/audit/audit.repository.js';
import { signCheckpoint } from '../../../src/modules/audit-checkpoints/checkpoint.js';
import { checkpointsRepository } from '../../../src/modules/audit-checkpoints/checkpoints.repository.js';
import { generateSigningKey, parseSigningKey } from '../../../src/modules/crypto/signing-key.js';
import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { runAuditVerifyCli } from '../../support/audit-verify-cli.js';

const SIGNING_KEY = Buffer.alloc(32, 9).toString('base64');
const KID = parseSigningKey(SIGNING_KEY).kid;

let t: TestApp;
let tenant: TenantFixture;
let dir: string;
let signedSeq: number;
const files = { jwks: '', checkpoints: '', export: '' };

async function asOwner(statements: string[], params: unknown[] = []) {
  const owner = new pg.Client({ connectionString: t.testDb.adminUrl });
  await owner.connect();
  try {
    for (const s of statements) await owner.query(s, s.includes('$1') ? params : []);
  } finally {
    await owner.end();
  }
}

const verifyApi = async () =>
  (
    await t.app.inject({ method: 'GET', url: '/v1/audit-events/verify', headers: bearer(tenant.adminKey) })
  ).json();

const cli = (args: string[] = []) => runAuditVerifyCli(t.testDb.url, args);

function offline(args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/verify-audit-export.mjs', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** The tenant's NDJSON export, as GET /v1/audit-events/export writes it (without recording an export event). */
async function exportFile(): Promise<string> {
  const { rows, release } = await t.container.audit.exportRows({ chain: tenant.id, orgScope: null }, 'lines');
  let text = '';
  try {
    for await (const row of rows) text += lineOf(row as { line: string });
  } finally {
    release();
  }
  const file = join(dir, `export-${Date.now()}.ndjson`);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'truncation-'));
  t = await createTestApp({ AUDIT_SIGNING_KEY: SIGNING_KEY }, 'truncation');
  tenant = await createTenant(t.app);
  for (const slug of ['a', 'b', 'c', 'd']) await createOrg(t.app, tenant.adminKey, slug);
  const cp = await t.app.inject({
    method: 'POST',
    url: '/v1/audit-events/checkpoints',
    headers: bearer(tenant.adminKey),
  });
  expect(cp.statusCode, cp.body).toBe(201);
  signedSeq = cp.json().seq;
  // what an auditor keeps apart from the service: the public keys and the checkpoints
  files.jwks = join(dir, 'jwks.json');
  writeFileSync(
    files.jwks,
    (await t.app.inject({ method: 'GET', url: '/v1/audit-events/checkpoint-keys' })).body,
  );
  files.checkpoints = join(dir, 'checkpoints.ndjson');
  const ndjson = await t.app.inject({
    method: 'GET',
    url: '/v1/audit-events/checkpoints?format=ndjson',
    headers: bearer(tenant.adminKey),
  });
  writeFileSync(files.checkpoints, ndjson.body);
});

afterAll(async () => t?.close());

describe('before anything is removed', () => {
  test('all three agree with the checkpoint', async () => {
    expect(await verifyApi()).toMatchObject({ ok: true, checkpoints: { problemCount: 0 } });
    const c = cli(['--checkpoints', files.checkpoints, '--keys', files.jwks]);
    expect(c.status, c.stderr).toBe(0);
    const o = offline(['--checkpoints', files.checkpoints, '--keys', files.jwks, await exportFile()]);
    expect(o.status, o.err).toBe(0);
    expect(o.out).toContain('1 signed checkpoint(s) verified');
  });
});

describe('the newest 3 events deleted by the owner', () => {
  let missing: string;

  beforeAll(async () => {
    missing = `seq ${signedSeq - 2}..${signedSeq} missing`;
    await asOwner(
      [
        'ALTER TABLE audit_events DISABLE TRIGGER USER',
        'DELETE FROM audit_events WHERE chain = $1 AND seq > $2',
        'ALTER TABLE audit_events ENABLE TRIGGER USER',
      ],
      [tenant.id, signedSeq - 3],
    );
    files.export = await exportFile();
  });

  test('verify (API) names the chain and the missing range, though the chain itself still links', async () => {
    const report = await verifyApi();
    expect(report.ok).toBe(false);
    expect(report.firstMismatch).toBeNull();
    expect(report.checkpoints.problems[0]).toMatchObject({ kind: 'truncated', seq: signedSeq });
    expect(report.checkpoints.problems[0].detail).toContain(
      `chain ${tenant.id}: the newest events were removed: ${missing}`,
    );
  });

  test('npm run audit:verify names them, with the stored checkpoints', () => {
    const r = cli();
    expect(r.status, r.stderr).toBe(1);
    const problem = r.lines.find((l) => l.kind === 'truncated');
    expect(problem).toMatchObject({ chain: tenant.id, seq: signedSeq });
    expect(String(problem?.detail)).toContain(missing);
  });

  test('the offline script names them, given the checkpoints and the keys (and cannot without them)', () => {
    const r = offline(['--checkpoints', files.checkpoints, '--keys', files.jwks, files.export]);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`TRUNCATED chain ${tenant.id}: the newest events were removed: ${missing}`);
    const blind = offline([files.export]);
    expect(blind.status, blind.err).toBe(0); // a hash chain alone cannot see its tail cut off
    expect(blind.out).toContain('cannot be seen without a signed checkpoint');
  });

  test('with the stored checkpoints deleted too, the CLI still names them from the kept file and keys', async () => {
    await asOwner([
      'ALTER TABLE audit_checkpoints DISABLE TRIGGER USER',
      'DELETE FROM audit_checkpoints',
      'ALTER TABLE audit_checkpoints ENABLE TRIGGER USER',
    ]);
    const r = cli(['--checkpoints', files.checkpoints, '--keys', files.jwks]);
    expect(r.status, r.stderr).toBe(1);
    expect(String(r.lines.find((l) => l.kind === 'truncated')?.detail)).toContain(`chain ${tenant.id}`);
    expect(String(r.lines.find((l) => l.kind === 'truncated')?.detail)).toContain(missing);
  });
});

describe('a forged checkpoint', () => {
  test('signed by another key, posing as ours or naming its own, is rejected by all three', async () => {
    const other = generateSigningKey().key;
    const head = { chain: tenant.id, seq: signedSeq + 50, hash: 'ee'.repeat(32) };
    const posing = {
      ...signCheckpoint('0193a6c1-0000-7000-8000-00000000f001', head, new Date(), other),
      keyId: KID,
    };
    const own = signCheckpoint('0193a6c1-0000-7000-8000-00000000f002', head, new Date(), other);
    // inserted with the service's own connection (its role may INSERT into audit_*)
    for (const c of [posing, own]) {
      await checkpointsRepository.insert(t.database.db, c);
    }
    const report = await verifyApi();
    const forged = report.checkpoints.problems.filter((p: { kind: string }) => p.kind === 'forged');
    expect(forged.map((p: { checkpointId: string }) => p.checkpointId).sort()).toEqual([posing.id, own.id]);
    expect(forged[0].detail).toContain(`chain ${tenant.id}`);

    const r = cli(['--keys', files.jwks]);
    expect(r.status).toBe(1);
    expect(
      r.lines
        .filter((l) => l.kind === 'forged')
        .map((l) => l.checkpointId)
        .sort(),
    ).toEqual([posing.id, own.id]);

    for (const c of [posing, own]) {
      const file = join(dir, `forged-${c.id}.ndjson`);
      writeFileSync(file, `${JSON.stringify(c)}\n`);
      const o = offline(['--checkpoints', file, '--keys', files.jwks, files.export]);
      expect(o.status).toBe(1);
      expect(o.err).toContain(`FORGED checkpoint ${c.id} of chain ${tenant.id}`);
    }
  });
});
