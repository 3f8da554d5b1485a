/**
 * `csso`, built, run as a process against the service, a real process too: login keeps the key in a
 * file only its owner reads, the commands that read and review (orgs list, versions diff, approve),
 * the audit export streamed to a file that verifies offline, and an API error printed as its problem
 * with field pointers (exit 1).
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatBytes } from '../../src/cli/csso/progress.js';
import { samlDraft } from '../modules/sso-versions/sso-support.js';
import { type CssoWorld, loginCsso, runCsso, startCssoWorld, stopCssoWorld } from '../support/csso.js';
import { PROJECT_ROOT, type ServiceProcess } from '../support/process.js';
import { call } from '../support/rollout.js';

const execFileAsync = promisify(execFile);

let world: CssoWorld;
let dir: string;
let service: ServiceProcess;
let keys: CssoWorld['keys'];
/** A home whose csso is logged in as the approver. */
let approverHome: string;

beforeAll(async () => {
  world = await startCssoWorld('csso', 'cli');
  ({ dir, service, keys } = world);
  for (const [slug, labels] of [
    ['acme', { env: 'prod', region: 'eu' }],
    ['globex', { env: 'prod', region: 'us' }],
    ['initech', { env: 'dev', region: 'eu' }],
  ] as const) {
    await call(service, 'POST', '/v1/orgs', keys.admin, { slug, name: `${slug} Inc`, labels });
  }
  await call(service, 'POST', '/v1/orgs/acme/sso/versions', keys.editor, {
    kind: 'disabled',
    baseVersion: 0,
  });
  approverHome = join(dir, 'approver');
  await loginCsso(approverHome, world, keys.approver);
}, 120_000);

afterAll(() => stopCssoWorld(world));

describe('csso as the package’s bin', () => {
  // The first `npx csso` of a clone links the package into npm's npx cache, resolving its whole
  // dependency tree: 18 s of CPU on an idle 2-core machine, over 30 s beside the rest of the suite
  // (a run killed at 30 s left a cache entry without its package.json, and every later `npx csso`
  // of that clone failed with ENOENT). Later runs take about 1 s.
  const FIRST_NPX_MS = 240_000;
  test(
    '`npx csso` in the clone runs the built tool (package.json bin), offline',
    async () => {
      const run = await execFileAsync('npx', ['--no-install', 'csso', '--version'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, npm_config_offline: 'true' },
        timeout: FIRST_NPX_MS,
      }).catch((error: { code?: number; signal?: string; stdout?: string; stderr?: string }) => {
        throw new Error(`npx csso failed (${error.code ?? error.signal}): ${error.stdout}${error.stderr}`);
      });
      expect(run.stdout.trim()).toBe(
        (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      );
    },
    FIRST_NPX_MS + 10_000,
  );
});

describe('csso login and logout', () => {
  test('login checks the key (GET /v1/me) and keeps URL and key in a file of mode 0600 in a folder of 0700', async () => {
    const run = await runCsso(approverHome, [
      'login',
      '--url',
      `${service.url}/`,
      '--api-key',
      keys.approver,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Logged in to ${service.url} as "approver" (approver)`);
    const file = join(approverHome, 'config', 'csso', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(approverHome, 'config', 'csso'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: service.url, apiKey: keys.approver });
    expect(run.stdout + run.stderr).not.toContain(keys.approver);
  });

  test('login asks for what is not given, reading the answers from stdin when it is not a terminal', async () => {
    const home = join(dir, 'asked');
    const run = await runCsso(home, ['login'], { input: `${service.url}\n${keys.editor}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Service URL: ');
    expect(run.stderr).toContain('API key: ');
    expect(run.stderr).not.toContain(keys.editor);
    const stored = JSON.parse(await readFile(join(home, 'config', 'csso', 'config.json'), 'utf8'));
    expect(stored).toEqual({ url: service.url, apiKey: keys.editor });
  });

  test('login with an unknown key prints the problem, exits 1 and stores nothing', async () => {
    const home = join(dir, 'stranger');
    const run = await runCsso(home, ['login', '--url', service.url, '--api-key', 'csso_not_a_real_key']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^csso: .*Unauthorized|^csso: .*key/im);
    await expect(stat(join(home, 'config', 'csso', 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  test('without a login or CSSO_URL/CSSO_API_KEY a command says how to log in', async () => {
    const run = await runCsso(join(dir, 'nobody'), ['orgs', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not logged in');
  });

  test('a service that cannot be reached is named, exit 1', async () => {
    const run = await runCsso(join(dir, 'nobody'), ['orgs', 'list'], {
      env: { CSSO_URL: 'http://127.0.0.1:9', CSSO_API_KEY: keys.admin },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('csso: cannot reach http://127.0.0.1:9');
  });

  test('logout removes the file; a second logout says there is none', async () => {
    const home = join(dir, 'asked');
    const first = await runCsso(home, ['logout']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('Logged out');
    await expect(stat(join(home, 'config', 'csso', 'config.json'))).rejects.toThrow(/ENOENT/);
    expect((await runCsso(home, ['logout'])).stderr).toContain('Not logged in');
  });
});

describe('csso orgs, versions and approve', () => {
  test('orgs list --selector shows the orgs with every label, as a table or as JSON', async () => {
    const table = await runCsso(approverHome, ['orgs', 'list', '--selector', 'env=prod']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SLUG\s+NAME\s+LABELS$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['acme', 'globex']);
    expect(lines[1]).toMatch(/^acme\s+acme Inc\s+env=prod,region=eu$/);

    const json = await runCsso(approverHome, ['orgs', 'list', '-l', 'env=prod,region=eu', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const orgs = JSON.parse(json.stdout) as Array<{ slug: string; labels: Record<string, string> }>;
    expect(orgs.map((org) => org.slug)).toEqual(['acme']);
  });

  test('approve approves a draft as the logged-in approver', async () => {
    const run = await runCsso(approverHome, ['approve', 'acme', '1', '--comment', 'reviewed in the CLI']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Approved acme v1 \(sha256:[0-9a-f]{64}\)\.$/m);
    const version = await call(service, 'GET', '/v1/orgs/acme/sso/versions/1', keys.admin);
    expect(version.review).toMatchObject({ state: 'approved' });
  });

  test('versions diff shows a draft against the live version, secrets as fingerprints', async () => {
    await call(service, 'POST', '/v1/orgs/acme/sso/versions', keys.editor, {
      ...samlDraft(),
      baseVersion: 1,
    });
    const run = await runCsso(approverHome, ['versions', 'diff', 'acme', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('acme: v2 against v1 (live)');
    expect(run.stdout).toContain('~ kind: "disabled" → "saml"');
    expect(run.stdout).toMatch(/~ decryptionPrivateKey: .*hmac-sha256:.* \(secret, as fingerprints\)/);
    expect(run.stdout).not.toContain('PRIVATE KEY');

    const json = await runCsso(approverHome, ['versions', 'diff', 'acme', '2', '--against', '1', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ from: 1, to: 2, equal: false });
  });

  test('an API error is printed as its problem: title, detail and field pointers; exit 1', async () => {
    const run = await runCsso(approverHome, ['approve', 'acme', '2', '--expected-hash', 'md5:nope']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^csso: Bad request: [^\n]+\n {2}\/body\/expectedHash: must match pattern/);

    const missing = await runCsso(approverHome, ['approve', 'nosuchorg', '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('csso: Not found: No such org\n');
  });

  test('a usage error exits 1 with commander’s message', async () => {
    const run = await runCsso(approverHome, ['approve', 'acme', 'two']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("argument 'n'");
  });
});

describe('csso audit export', () => {
  test('streams NDJSON to a file that verifies offline; CSV to stdout; no progress bar when stderr is not a terminal', async () => {
    // The approver may not export; CSSO_API_KEY overrides the stored key with the admin's.
    const refused = await runCsso(approverHome, ['audit', 'export']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^csso: Forbidden/);

    const env = { CSSO_API_KEY: keys.admin };
    const file = join(dir, 'audit.ndjson');
    const run = await runCsso(approverHome, ['audit', 'export', '--format', 'ndjson', '-o', file], { env });
    expect(run.code, run.stderr).toBe(0);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as { seq: number; action: string });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['tenant.created', 'org.created', 'sso_version.approved']),
    );
    const size = formatBytes((await stat(file)).size);
    expect(run.stderr).toBe(`Exported ${lines.length} lines (${size}, ndjson) to ${file}.\n`);
    const verified = spawnSync(process.execPath, ['scripts/verify-audit-export.mjs', file], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);

    const csv = await runCsso(approverHome, ['audit', 'export', '--format', 'csv', '--org', 'acme'], { env });
    expect(csv.code, csv.stderr).toBe(0);
    const rows = csv.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^chain,seq,id,tenantId,occurredAt,/);
    expect(rows.length).toBeGreaterThan(2);
    expect(csv.stderr).not.toContain('\u001b');
  });
});
