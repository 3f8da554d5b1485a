/**
 * Acceptance (§8): a recognisable Cognigy API key, set through the API, appears in no response body
 * or header, no log line and no database column in plain text (nor base64 or hex of it), after
 * every endpoint has been exercised — including the error paths that might echo input.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { versionSecretLocation } from '../../src/modules/sso-versions/version-secrets.js';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  PLATFORM_KEY,
  type TestApp,
} from '../support/app.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'COGNIGY-SECRET-d3adb33f-7h15-15-n07-f0r-y0ur-3y35';
const SECOND_SECRET = 'COGNIGY-SECRET-second-0f-7w0-c0ff33c0ff33';
/** An OIDC client secret of an SSO version. */
const CLIENT_SECRET = 'OIDC-CLIENT-SECRET-5ecr3t-c1i3n7-n07-y0ur5-42';
/** The client secret of a tenant's console sign-in (issue 20). */
const CONSOLE_SECRET = 'CONSOLE-CLIENT-SECRET-c0n5013-n07-y0ur5-77';
/** The seed of the key that signs audit checkpoints (AUDIT_SIGNING_KEY), in each of its raw forms. */
const SIGNING_SEED = Buffer.from('audit-signing-seed-n07-y0ur5-32b');
const SIGNING_KEY = SIGNING_SEED.toString('base64');
const SECRETS = [
  SECRET,
  SECOND_SECRET,
  CLIENT_SECRET,
  CONSOLE_SECRET,
  SIGNING_KEY,
  SIGNING_SEED.toString('base64url'),
  SIGNING_SEED.toString('hex'),
];
const encodings = (s: string) => [
  s,
  Buffer.from(s).toString('base64'),
  Buffer.from(s).toString('base64url'),
  Buffer.from(s).toString('hex'),
];

let t: TestApp;
const responses: string[] = [];

async function call(
  method: string,
  url: string,
  key: string | undefined,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(key ? bearer(key) : {}), ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  responses.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
  return res;
}

beforeAll(async () => {
  t = await createTestApp(
    {
      LOG_LEVEL: 'trace',
      AUTH_FAILURE_LIMIT: '1000',
      // webhook deliveries go to a receiver on loopback
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      OUTBOUND_ALLOW_HTTP: 'true',
      JOBS_POLL_MS: '50',
      AUDIT_SIGNING_KEY: SIGNING_KEY,
    },
    'secrets',
  );
  t.container.webhookJobs.start();
});
afterAll(async () => t?.close());

describe('a Cognigy API key given to the service', () => {
  test('is found in no response, no log line and no database column, after every endpoint ran', async () => {
    const tenant = await createTenant(t.app);
    const admin = tenant.adminKey;
    const auditor = await createKey(t.app, admin, ['auditor']);
    const org = await createOrg(t.app, admin, 'acme', { env: 'prod' });
    const other = await createOrg(t.app, admin, 'globex');

    // Every route, happy paths.
    await call('GET', '/healthz', undefined);
    await call('GET', '/readyz', undefined);
    await call('GET', '/openapi.json', undefined);
    await call('GET', '/docs/', undefined);
    await call('GET', '/v1/tenants', PLATFORM_KEY);
    await call('GET', `/v1/tenants/${tenant.id}`, PLATFORM_KEY);
    await call('GET', '/v1/tenant', admin);
    await call('GET', '/v1/me', auditor.token);
    await call('PATCH', '/v1/tenant', admin, { allowSelfApproval: true });
    const put = await call(
      'PUT',
      `/v1/orgs/${org.slug}/cognigy`,
      admin,
      {
        apiBase: 'https://api-trial.cognigy.ai/new',
        apiKey: SECRET,
        organisationId: 'org-4711',
      },
      { 'idempotency-key': 'not-a-post-so-ignored' },
    );
    expect(put.statusCode).toBe(200);
    expect(put.json().cognigy.apiKey.fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    await call('PUT', `/v1/orgs/${other.id}/cognigy`, admin, {
      apiBase: 'https://api.example.com/new',
      apiKey: SECOND_SECRET,
    });
    await call('GET', '/v1/orgs', admin);
    await call('GET', '/v1/orgs?label=env=prod', auditor.token);
    await call('GET', `/v1/orgs/${org.slug}`, auditor.token);
    await call('GET', `/v1/orgs/${org.id}`, admin);
    await call('PATCH', `/v1/orgs/${org.slug}`, admin, {
      name: 'Acme Corp',
      labels: { env: 'prod', tier: 'gold' },
    });
    // Keep the key (omitted), change the base.
    await call('PUT', `/v1/orgs/${org.slug}/cognigy`, admin, { apiBase: 'https://api-eu.cognigy.ai/new' });
    const issued = await call(
      'POST',
      '/v1/api-keys',
      admin,
      { name: 'ci', roles: ['editor'] },
      { 'idempotency-key': 'k-1' },
    );
    await call(
      'POST',
      '/v1/api-keys',
      admin,
      { name: 'ci', roles: ['editor'] },
      { 'idempotency-key': 'k-1' },
    );
    await call('GET', '/v1/api-keys', admin);
    await call('GET', `/v1/api-keys/${issued.json().apiKey.id}`, auditor.token);
    await call('DELETE', `/v1/api-keys/${issued.json().apiKey.id}`, admin);
    await call('POST', '/v1/orgs', admin, { slug: 'initech', name: 'Initech' }, { 'idempotency-key': 'o-1' });
    await call('DELETE', '/v1/orgs/initech', admin);
    await call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'second-tenant', name: 'Second' });
    // A credential probe carries a client secret; the issuer does not resolve, so nothing is sent.
    await call('POST', '/v1/discovery/check', admin, {
      issuer: 'https://idp.example.invalid',
      probe: { clientId: 'cognigy', clientSecret: SECRET },
    });
    // SSO versions: a client secret given once, carried over, rolled back, approved, dry-run.
    const editor = await createKey(t.app, admin, ['editor', 'approver']);
    const approver = await createKey(t.app, admin, ['approver']);
    const versions = `/v1/orgs/${org.slug}/sso/versions`;
    const oidc = {
      kind: 'oidc',
      idpIssuer: 'https://idp.example.invalid',
      idpClientId: 'cognigy',
      idpClientSecret: CLIENT_SECRET,
    };
    expect(
      (await call('POST', versions, editor.token, { ...oidc, baseVersion: 0, probe: true })).statusCode,
    ).toBe(201);
    expect(
      (
        await call('POST', versions, editor.token, {
          ...oidc,
          idpClientSecret: undefined,
          idpClientId: 'c2',
          baseVersion: 1,
        })
      ).statusCode,
    ).toBe(201);
    await call('GET', versions, auditor.token);
    await call('GET', `${versions}/2`, auditor.token);
    await call('POST', `${versions}/2/validate`, editor.token);
    await call('POST', `${versions}/1/reject`, approver.token, { comment: 'old' });
    await call('POST', `${versions}/2/approve`, approver.token, {
      overrideReason: 'IdP not reachable from here',
    });
    await call('GET', `${versions}/2/diff?against=1`, auditor.token);
    await call('GET', `${versions}/2/cognigy-request`, auditor.token);
    await call('POST', `${versions}/1/rollback`, editor.token, { note: 'back' });
    await call('GET', `/v1/orgs/${org.slug}/sso`, auditor.token);
    // The watch: an unresolvable issuer is judged (nothing to fetch); findings are read back.
    await call('PUT', `/v1/orgs/${org.slug}/watch`, admin, { credentialProbe: true });
    await call('GET', `/v1/orgs/${org.slug}/watch`, auditor.token);
    await call('POST', `/v1/orgs/${org.slug}/watch/run`, editor.token);
    await call('GET', `/v1/orgs/${org.slug}/findings`, auditor.token);
    await call('GET', '/v1/findings?state=open', auditor.token);
    await call('GET', `/v1/orgs/${org.slug}/deployments`, auditor.token);
    const deployment = await t.database.db
      .selectFrom('deployments')
      .selectAll()
      .where('org_id', '=', org.id)
      .executeTakeFirstOrThrow();
    await call('GET', `/v1/orgs/${org.slug}/deployments/${deployment.id}`, auditor.token);
    await call('POST', `/v1/orgs/${org.slug}/deployments/${deployment.id}/retry`, approver.token);
    await call('POST', '/v1/sso/bulk', editor.token, {
      selector: { orgs: [org.slug] },
      change: { idpClientId: 'c3' },
    });
    await call('POST', '/v1/sso/bulk/approve', approver.token, {
      selector: { orgs: [org.slug] },
      overrideReason: 'offline',
    });
    // SSO as code: a plan with the secret in its document, applied; the export of the result.
    const planned = await call('POST', '/v1/plans', editor.token, {
      document: {
        entries: [
          { orgs: [org.slug], sso: { ...oidc, idpClientId: 'c4', idpClientSecret: CLIENT_SECRET } },
          { orgs: ['no-such-org'], sso: { kind: 'oidc', idpIssuer: `https://${CLIENT_SECRET}@x.example` } },
        ],
      },
    });
    await call('GET', `/v1/plans/${planned.json().id}`, auditor.token);
    await call('POST', `/v1/plans/${planned.json().id}/apply`, editor.token, {});
    await call('GET', '/v1/sso/desired-state', auditor.token);
    // … and error paths that might echo it
    await call('POST', versions, editor.token, {
      ...oidc,
      idpClientSecret: `${CLIENT_SECRET}\u0001`,
      baseVersion: 9,
    });
    await call('POST', versions, editor.token, { ...oidc, baseVersion: 9 });
    await call('POST', versions, editor.token, {
      ...oidc,
      idpIssuer: `https://${CLIENT_SECRET}@x.example`,
      baseVersion: 5,
    });
    await call('POST', '/v1/sso/bulk', editor.token, {
      selector: { orgs: [org.slug] },
      change: { idpClientSecret: CLIENT_SECRET, idpIssuer: 'not an issuer {org.labels.none}' },
    });
    // Stored, and decryptable (so the test is not passing because nothing was kept).
    const v1 = await t.database.db
      .selectFrom('sso_versions')
      .selectAll()
      .where('org_id', '=', org.id)
      .where('number', '=', 1)
      .executeTakeFirstOrThrow();
    const location = versionSecretLocation(tenant.id, org.id, 1, 'idpClientSecret');
    expect(
      await t.container.secrets.openSecret(t.database.db, location, v1.client_secret_sealed as string),
    ).toBe(CLIENT_SECRET);

    await call('GET', '/metrics', undefined);
    // The audit trail records all of the above; reading and exporting it must not reveal the secret.
    const events = await call('GET', '/v1/audit-events?limit=200', auditor.token);
    expect(events.json().items.map((e: { action: string }) => e.action)).toContain('cognigy_target.updated');
    await call('GET', `/v1/audit-events?org=${org.slug}&action=cognigy_target.`, admin);
    const ndjson = await call('GET', '/v1/audit-events/export?format=ndjson', auditor.token);
    expect(ndjson.body.split('\n').filter(Boolean).length).toBeGreaterThan(10);
    await call('GET', '/v1/audit-events/export?format=csv', auditor.token);
    expect((await call('GET', '/v1/audit-events/verify', auditor.token)).json().ok).toBe(true);
    // Signed checkpoints: written, listed, exported, their keys, verified (issue 21).
    expect((await call('POST', '/v1/audit-events/checkpoints', auditor.token)).statusCode).toBe(201);
    expect((await call('POST', '/v1/audit-events/checkpoints', PLATFORM_KEY)).statusCode).toBe(201);
    await call('GET', '/v1/audit-events/checkpoints', auditor.token);
    await call('GET', '/v1/audit-events/checkpoints?format=ndjson', auditor.token);
    await call('GET', '/v1/audit-events/checkpoint-keys', undefined);
    expect((await call('GET', '/v1/audit-events/verify', PLATFORM_KEY)).json().ok).toBe(true);

    // Error paths that could echo what they were given.
    await call('PUT', `/v1/orgs/${org.slug}/cognigy`, admin, { apiBase: 'ftp://x', apiKey: SECRET });
    await call('PUT', `/v1/orgs/${org.slug}/cognigy`, admin, {
      apiBase: `https://${SECRET}:pw@example.com`,
      apiKey: SECRET,
    });
    await call('PUT', `/v1/orgs/${org.slug}/cognigy`, admin, {
      apiBase: 'https://a.example',
      apiKey: `${SECRET} with spaces`,
    });
    await call('PUT', `/v1/orgs/${org.slug}/cognigy`, admin, {
      apiBase: 'https://a.example',
      apiKey: SECRET,
      extra: SECRET,
    });
    await call('PUT', `/v1/orgs/${org.slug}/cognigy`, auditor.token, {
      apiBase: 'https://a.example',
      apiKey: SECRET,
    });
    await call(
      'PUT',
      `/v1/orgs/${org.slug}/cognigy`,
      admin,
      { apiBase: 'https://a.example', apiKey: SECRET },
      { 'if-match': '"999"' },
    );
    await call('POST', '/v1/orgs', admin, { slug: 'x', name: 'x', apiKey: SECRET });
    await call('GET', '/v1/orgs', SECRET);
    await call('GET', '/v1/orgs', undefined, undefined, { 'x-api-key': SECRET });
    await call('GET', `/v1/orgs?q=${encodeURIComponent(SECRET)}`, admin);

    // Console sign-in (issue 20): settings refused by validation (the IdP does not answer), the
    // settings, sessions and sign-out routes without a session.
    await call('PUT', '/v1/console-login', admin, {
      issuer: 'http://127.0.0.1:9',
      clientId: 'console',
      clientSecret: CONSOLE_SECRET,
      roleMappings: [{ group: 'auditors', roles: ['auditor'], orgScope: null }],
    });
    await call('PUT', '/v1/console-login', admin, {
      issuer: 'x',
      clientSecret: CONSOLE_SECRET,
      extra: CONSOLE_SECRET,
    });
    await call('GET', '/v1/console-login', admin);
    await call('GET', `/v1/console-login/options?tenant=${tenant.slug}`, undefined);
    await call('DELETE', '/v1/console-login', admin);
    await call('GET', '/v1/console-sessions', admin);
    await call('DELETE', `/v1/console-sessions/${org.id}`, admin);
    await call('GET', '/v1/session', admin);
    await call('DELETE', '/v1/session', admin);

    // Webhooks: the signing secret is in the answers that create or rotate it (and an idempotent
    // replay of the creation), and nowhere else: not in later answers, deliveries, logs or rows.
    const receiver = await startWebhookReceiver();
    const revealing: string[] = [];
    const revealed = async (...args: Parameters<typeof call>) => {
      const res = await call(...args);
      revealing.push(responses.pop() as string);
      return res;
    };
    const created = await revealed(
      'POST',
      '/v1/webhooks',
      admin,
      { url: receiver.url },
      { 'idempotency-key': 'hook-1' },
    );
    const hookId = created.json().webhook.id as string;
    const replay = await revealed(
      'POST',
      '/v1/webhooks',
      admin,
      { url: receiver.url },
      { 'idempotency-key': 'hook-1' },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const rotated = await revealed('POST', `/v1/webhooks/${hookId}/rotate-secret`, admin);
    const hookSecrets = [created.json().secret as string, rotated.json().secret as string];
    receiver.secrets = hookSecrets;
    await call('GET', '/v1/webhooks', auditor.token);
    await call('GET', `/v1/webhooks/${hookId}`, auditor.token);
    await call('PATCH', `/v1/webhooks/${hookId}`, admin, { description: 'ticketing' });
    const sent = (await call('POST', `/v1/webhooks/${hookId}/test`, admin)).json();
    await call('POST', `/v1/orgs/${org.slug}/watch/run`, editor.token);
    const until = Date.now() + 10_000;
    while (receiver.verified().length === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 25));
    expect(receiver.verified().length).toBeGreaterThan(0);
    await call('GET', `/v1/webhooks/${hookId}/deliveries`, auditor.token);
    await call('POST', `/v1/webhooks/${hookId}/deliveries/${sent.deliveryId}/redeliver`, admin);
    await call('POST', '/v1/webhooks', admin, { url: `https://${hookSecrets[0]}@hooks.example.com/` });
    const doomed = await revealed('POST', '/v1/webhooks', admin, { url: 'https://hooks.example.com/doomed' });
    await call('DELETE', `/v1/webhooks/${doomed.json().webhook.id}`, admin);
    await new Promise((r) => setTimeout(r, 300));
    await t.container.webhookJobs.stop(1_000);
    await receiver.close();
    const payloads = receiver.received.map((r) => `${JSON.stringify(r.headers)} ${r.body}`);
    expect(payloads.length).toBeGreaterThan(0);
    for (const form of [...SECRETS, ...hookSecrets].flatMap(encodings)) {
      for (const p of payloads)
        expect(p.includes(form), `a delivery carries a secret: ${p.slice(0, 300)}`).toBe(false);
    }
    for (const form of hookSecrets.flatMap(encodings)) {
      for (const r of responses)
        expect(r.includes(form), `an answer repeats the signing secret: ${r.slice(0, 300)}`).toBe(false);
      for (const line of t.logs)
        expect(line.includes(form), `log line contains the signing secret: ${line.slice(0, 300)}`).toBe(
          false,
        );
    }
    for (const p of payloads) expect(p).not.toMatch(/hmac-sha256:/);
    for (const form of SECRETS.flatMap(encodings))
      for (const r of revealing) expect(r.includes(form)).toBe(false);
    SECRETS.push(...hookSecrets);

    // Coverage: every documented operation was exercised (the metrics count requests by route).
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const seen = new Set(
      [...metrics.matchAll(/http_request_duration_seconds_count\{method="(\w+)",route="([^"]+)"/g)].map(
        (m) => `${m[1]} ${m[2]}`,
      ),
    );
    const documented = Object.entries(t.app.swagger().paths ?? {}).flatMap(([path, ops]) =>
      Object.keys(ops as object).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
      ),
    );
    expect(documented.length).toBeGreaterThan(10);
    for (const operation of documented) expect(seen, operation).toContain(operation);

    // The service can still decrypt it (so the test is not passing because nothing was stored).
    expect((await t.container.orgs.loadCognigyCredentials(tenant.id, org.id))?.apiKey).toBe(SECRET);

    // Nowhere in responses or logs.
    for (const form of SECRETS.flatMap(encodings)) {
      for (const r of responses)
        expect(r.includes(form), `response contains the secret: ${r.slice(0, 300)}`).toBe(false);
      for (const line of t.logs)
        expect(line.includes(form), `log line contains the secret: ${line.slice(0, 300)}`).toBe(false);
    }
    expect(t.logs.length).toBeGreaterThan(50);

    // Nowhere in the database: every column of every table, as text.
    const tables = await t.database.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.rows.length).toBeGreaterThan(5);
    for (const { table_name } of tables.rows) {
      const rows = await t.database.pool.query<{ row: string }>(
        `SELECT row_to_json(t)::text AS row FROM "${table_name}" t`,
      );
      for (const { row } of rows.rows) {
        for (const form of SECRETS.flatMap(encodings)) {
          expect(row.includes(form), `${table_name} holds the secret in plain text`).toBe(false);
        }
      }
    }
  });
});
