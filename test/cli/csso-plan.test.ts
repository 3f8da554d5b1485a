/**
 * SSO as code through `csso`, built and run as a process against the service (a real process, with a
 * real oidc-provider as the orgs' IdP): `plan --detailed-exitcode` exits 2 with changes and 0 without,
 * `apply --yes` applies, `apply <id>` asks first, `export` writes a document that plans to no change,
 * a bad YAML file exits 1 naming line and column — and a secret given through the environment
 * appears nowhere: not in csso's output, not in the plan, not in the service's log.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type OidcProviderServer, startOidcProvider } from '../modules/discovery/idp-servers.js';
import {
  type CssoRun,
  type CssoWorld,
  loginCsso,
  runCsso,
  startCssoWorld,
  stopCssoWorld,
} from '../support/csso.js';
import { makeTempDir, type ServiceProcess } from '../support/process.js';
import { call } from '../support/rollout.js';
import { testCertificates } from '../support/tls.js';

/** The client secret, given to csso only through the environment. */
const SECRET = `env-secret-${randomBytes(16).toString('hex')}`;

let world: CssoWorld;
let dir: string;
let idp: OidcProviderServer;
let service: ServiceProcess;
let keys: CssoWorld['keys'];
/** csso's home, logged in as the editor. */
let home: string;

const document = (clientId: string) => `# the team's orgs, one IdP
entries:
  - selector: team=code
    note: managed by csso
    sso:
      kind: oidc
      idpIssuer: ${idp.issuer}
      idpClientId: "${clientId}"
      idpClientSecret: { env: CSSO_TEST_SECRET }
`;

async function writeDocument(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function csso(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return runCsso(home, args, { ...options, env: { CSSO_TEST_SECRET: SECRET, ...options.env } });
}

/** Everything csso printed never holds the secret. */
function expectNoSecret(...runs: CssoRun[]) {
  for (const run of runs) {
    expect(run.stdout).not.toContain(SECRET);
    expect(run.stderr).not.toContain(SECRET);
  }
}

beforeAll(async () => {
  idp = await startOidcProvider();
  const caFile = join(await makeTempDir('csso-plan-ca'), 'test-ca.pem');
  await writeFile(caFile, testCertificates().caPem);
  world = await startCssoWorld('cssoplan', 'code', {
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    NODE_EXTRA_CA_CERTS: caFile,
    LOG_LEVEL: 'debug',
  });
  ({ dir, service, keys } = world);
  for (const slug of ['alpha', 'beta']) {
    await call(service, 'POST', '/v1/orgs', keys.admin, { slug, name: slug, labels: { team: 'code' } });
  }
  await call(service, 'POST', '/v1/orgs', keys.admin, {
    slug: 'gamma',
    name: 'gamma',
    labels: { team: 'other' },
  });
  home = join(dir, 'home');
  await loginCsso(home, world, keys.editor);
}, 120_000);

afterAll(async () => {
  await stopCssoWorld(world);
  await idp?.close();
});

describe('csso plan and apply', () => {
  test('plan --detailed-exitcode exits 2 with changes, shows them, and never the secret', async () => {
    const file = await writeDocument('sso.yaml', document('{org.slug}-cognigy'));
    const run = await csso(['plan', '-f', file, '--detailed-exitcode']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain('~ alpha: draft its first version');
    expect(run.stdout).toContain('~ beta: draft its first version');
    expect(run.stdout).toContain('idpClientId: (none) → "alpha-cognigy"');
    expect(run.stdout).toMatch(/idpClientSecret: .*hmac-sha256:/);
    expect(run.stdout).not.toContain('gamma');
    expect(run.stdout).toContain('Plan: 2 to draft, 0 unchanged, 0 blocked, 0 with errors.');
    expect(run.stderr).toMatch(/To apply exactly this plan: csso apply [0-9a-f-]{36}/);
    expectNoSecret(run);

    const json = await csso(['plan', '-f', file, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ totals: { draft: 2, noop: 0 } });
    expectNoSecret(json);
  });

  test('apply --yes -f applies the drafts; planning the same document again exits 0 (no changes)', async () => {
    const file = await writeDocument('sso.yaml', document('{org.slug}-cognigy'));
    const run = await csso(['apply', '--yes', '-f', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\+ alpha: v1 created/);
    expect(run.stdout).toContain('Apply: 2 created, 0 approved, 0 failed.');
    expectNoSecret(run);
    const alpha = await call(service, 'GET', '/v1/orgs/alpha/sso/versions/1', keys.admin);
    expect(alpha.content).toMatchObject({ idpClientId: 'alpha-cognigy' });
    expect(JSON.stringify(alpha)).not.toContain(SECRET);

    const again = await csso(['plan', '-f', file, '--detailed-exitcode']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('= 2 orgs unchanged');
    expectNoSecret(again);
  });

  test('apply <plan id> asks first: anything but yes cancels (exit 1), yes applies', async () => {
    const file = await writeDocument('renamed.yaml', document('{org.slug}-renamed'));
    const planned = await csso(['plan', '-f', file, '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const { id } = JSON.parse(planned.stdout) as { id: string };

    const cancelled = await csso(['apply', id], { input: 'no\n' });
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toContain("Only 'yes' will be accepted");
    expect(cancelled.stderr).toContain('Apply cancelled');
    const beta = await call(service, 'GET', '/v1/orgs/beta/sso/versions', keys.admin);
    expect(beta.items).toHaveLength(1);

    const applied = await csso(['apply', id], { input: 'yes\n' });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/\+ beta: v2 created/);
    const after = await call(service, 'GET', '/v1/orgs/beta/sso/versions/2', keys.admin);
    expect(after.content).toMatchObject({ idpClientId: 'beta-renamed' });
    expectNoSecret(cancelled, applied);
  });

  test('export writes { keep: true } for secrets, and its document plans to no change', async () => {
    const file = join(dir, 'exported.yaml');
    const run = await csso(['export', '--selector', 'team=code', '-o', file]);
    expect(run.code, run.stderr).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('keep: true');
    expect(text).toContain('beta-renamed');
    expect(text).not.toContain('gamma');
    expect(text).not.toContain(SECRET);

    const planned = await csso(['plan', '-f', file, '--detailed-exitcode']);
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    expect(planned.stdout).toContain('Plan: 0 to draft, 2 unchanged, 0 blocked, 0 with errors.');
  });

  test('an unknown org is an error pointing into the file, exit 1 (with --detailed-exitcode too)', async () => {
    const file = await writeDocument(
      'unknown.yaml',
      'entries:\n  - orgs: [alpha, nosuchorg]\n    sso: { kind: disabled }\n',
    );
    const run = await csso(['plan', '-f', file, '--detailed-exitcode']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /x nosuchorg: error\n {6}(\/document)?\/entries\/0\/orgs\/1 \(.*unknown\.yaml:2:19\): /,
    );
  });

  test('a document the service refuses is printed as its problem, pointers located in the file; exit 1', async () => {
    const file = await writeDocument(
      'refused.yaml',
      'entries:\n  - orgs: [alpha]\n    colour: blue\n    sso: { kind: disabled }\n',
    );
    const run = await csso(['plan', '-f', file, '--detailed-exitcode']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^csso: Bad request: /);
    expect(run.stderr).toMatch(/\/entries\/0\/colour \(.*refused\.yaml:3:5\): /);
  });

  test('apply --approve: an approver other than the plan’s author approves each draft in the same call', async () => {
    const file = await writeDocument('approved.yaml', document('{org.slug}-approved'));
    const planned = await csso(['plan', '-f', file, '--json']);
    const { id } = JSON.parse(planned.stdout) as { id: string };
    const reviewer = await call(service, 'POST', '/v1/api-keys', keys.admin, {
      name: 'reviewer',
      roles: ['editor', 'approver'],
    });
    const run = await csso(['apply', id, '--yes', '--approve'], { env: { CSSO_API_KEY: reviewer.token } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\+ alpha: v3 created, approved/);
    expect(run.stdout).toContain('Apply: 2 created, 2 approved, 0 failed.');
    const alpha = await call(service, 'GET', '/v1/orgs/alpha/sso/versions/3', keys.admin);
    expect(alpha.review).toMatchObject({ state: 'approved' });

    const again = await csso(['apply', id, '--yes'], { env: { CSSO_API_KEY: reviewer.token } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('was applied already');
    expectNoSecret(planned, run, again);
  });

  test('the secret never reached the service’s log', () => {
    expect(service.stdout() + service.stderr()).not.toContain(SECRET);
    expect(service.stdout()).toContain('/v1/plans');
  });
});

describe('csso plan refuses a bad file before calling the service', () => {
  test('a YAML syntax error exits 1 naming file, line and column', async () => {
    const file = await writeDocument('bad.yaml', 'entries:\n  - orgs: [alpha\n    sso: { kind: disabled }\n');
    const run = await csso(['plan', '-f', file, '--detailed-exitcode']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(`^csso: ${file}:\\d+:\\d+: syntax error at line \\d+, column \\d+: `),
    );
  });

  test('apply -f - (the document on stdin) needs --yes: stdin cannot also answer the confirmation', async () => {
    const run = await csso(['apply', '-f', '-'], { input: document('{org.slug}-cognigy') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('add --yes');
  });

  test('a missing environment variable exits 1 naming it', async () => {
    const file = await writeDocument('sso.yaml', document('{org.slug}-cognigy'));
    const run = await runCsso(home, ['apply', '--yes', '-f', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `csso: ${file}:9:24: /entries/0/sso/idpClientSecret: the environment variable CSSO_TEST_SECRET is not set\n`,
    );
  });
});
