/**
 * Forwarding end to end (§6), in one process: approval → deployment enqueued in the approval's
 * transaction → the worker sends the exact configure request to a fake Cognigy installation over
 * TLS → the org's state shows the version applied, the audit trail shows enqueue and success.
 * Faults: a 401 fails at once with Cognigy's detail; a hang is cut by the timeout and retried;
 * approvals in quick succession against a slow fake end with the newest, never an older one after
 * a newer; transient faults at a rate lose nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { samlDraft } from '../sso-versions/sso-support.js';

let t: TestApp;
let fake: FakeCognigy;
let tenant: TenantFixture;
let editor: string;
let approver: string;
let orgCounter = 0;

const send = (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: bearer(key),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An org whose Cognigy target is the fake (with a key the fake knows, unless told otherwise). */
async function orgOnFake(known = true, labels: Record<string, string> = {}) {
  orgCounter += 1;
  const org = await createOrg(t.app, tenant.adminKey, `fwd-${orgCounter}`, labels);
  const apiKey = `cognigy-key-${orgCounter}-0123456789abcdef`;
  if (known) fake.addKey(apiKey, org.id);
  const res = await send('PUT', `/v1/orgs/${org.id}/cognigy`, tenant.adminKey, {
    apiBase: fake.apiBase,
    apiKey,
  });
  expect(res.statusCode, res.body).toBe(200);
  return { ...org, apiKey };
}

async function draftAndApprove(orgId: string, base: number, extra: Record<string, unknown> = {}) {
  const draft = await send('POST', `/v1/orgs/${orgId}/sso/versions`, editor, {
    ...samlDraft(extra),
    baseVersion: base,
  });
  expect(draft.statusCode, draft.body).toBe(201);
  const approved = await send('POST', `/v1/orgs/${orgId}/sso/versions/${base + 1}/approve`, approver, {});
  expect(approved.statusCode, approved.body).toBe(200);
  return draft.json();
}

const stateOf = async (orgId: string) => (await send('GET', `/v1/orgs/${orgId}/sso`, editor)).json();
const appliedNumber = (orgId: string, n: number) => async () =>
  (await stateOf(orgId)).applied?.number === n ? true : undefined;

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  t = await createTestApp(
    {
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      FORWARDING_POLL_MS: '50',
      FORWARDING_BACKOFF_BASE_MS: '20',
      FORWARDING_BACKOFF_MAX_MS: '200',
      FORWARDING_LEASE_SECONDS: '5',
      COGNIGY_TIMEOUT_MS: '4000',
      DB_POOL_MAX: '10',
    },
    'forwarding',
    { outbound: loopbackFetch() },
  );
  tenant = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  t.container.forwarder.start();
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

describe('forwarding an approved version', () => {
  test('the fake receives exactly the configure body with the right key; the org shows it applied; the trail shows enqueue and success', async () => {
    const org = await orgOnFake();
    const v1 = await draftAndApprove(org.id, 0);
    await waitFor('v1 applied', appliedNumber(org.id, 1));
    const state = await stateOf(org.id);
    expect(state).toMatchObject({
      desired: { number: 1 },
      applied: { number: 1 },
      inFlight: null,
      lastError: null,
    });
    const call = fake.calls.filter((c) => c.organisation === org.id);
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({
      path: '/new/v2.0/identityprovider/configure',
      apiKey: org.apiKey,
      status: 200,
    });
    expect(fake.stateOf(org.id)).toMatchObject({
      kind: 'configured',
      body: {
        idpType: 'saml',
        idpIssuer: v1.content.idpIssuer,
        idpLoginEndpoint: v1.content.idpLoginEndpoint,
        idpCertificate: v1.content.idpCertificate,
        idpDisableRequestedAuthnContext: false,
        decryptionPrivateKey: expect.stringContaining('PRIVATE KEY'),
      },
    });
    const events = await t.database.pool.query<{ action: string; actor_type: string }>(
      `SELECT action, actor_type FROM audit_events WHERE org_id = $1 AND action LIKE 'deployment.%' ORDER BY seq`,
      [org.id],
    );
    expect(events.rows).toEqual([
      { action: 'deployment.enqueued', actor_type: 'api_key' },
      { action: 'deployment.succeeded', actor_type: 'system' },
    ]);
    expect(t.logs.join('\n')).not.toContain(org.apiKey);
  });

  test('a 401 from Cognigy fails at once, with its detail and traceId visible', async () => {
    const org = await orgOnFake(false);
    await draftAndApprove(org.id, 0);
    const state = await waitFor('the failure', async () => {
      const s = await stateOf(org.id);
      return s.lastError ? s : undefined;
    });
    expect(state.lastError).toMatchObject({ number: 1, detail: 'The API key is missing or invalid' });
    expect(state.applied).toBeNull();
    const [deployment] = (
      await t.database.pool.query('SELECT state, attempts, last_error FROM deployments WHERE org_id = $1', [
        org.id,
      ])
    ).rows;
    expect(deployment).toMatchObject({
      state: 'failed',
      attempts: 1,
      last_error: { httpStatus: 401, traceId: expect.stringMatching(/^api--/) },
    });
  });

  test('a hang is cut by the timeout and retried', async () => {
    const org = await orgOnFake();
    fake.queueFaults({ kind: 'hang' });
    await draftAndApprove(org.id, 0);
    await waitFor('v1 applied after the hang', appliedNumber(org.id, 1));
    const attempts = (
      await t.database.pool.query(
        `SELECT a.outcome FROM deployment_attempts a JOIN deployments d ON d.id = a.deployment_id WHERE d.org_id = $1 ORDER BY a.number`,
        [org.id],
      )
    ).rows.map((r) => r.outcome);
    expect(attempts).toEqual(['timeout', 'success']);
  });

  test('approvals in quick succession against a slow Cognigy end with the newest; never an older after a newer', async () => {
    const org = await orgOnFake();
    fake.setLatency(300);
    try {
      await draftAndApprove(org.id, 0, { idpIssuer: 'urn:v1' });
      await draftAndApprove(org.id, 1, { idpIssuer: 'urn:v2' });
      await draftAndApprove(org.id, 2, { idpIssuer: 'urn:v3' });
      await draftAndApprove(org.id, 3, { idpIssuer: 'urn:v4' });
      await waitFor('v4 applied', appliedNumber(org.id, 4));
    } finally {
      fake.setLatency(0);
    }
    const sent = fake.calls
      .filter((c) => c.organisation === org.id && c.status === 200)
      .map((c) => Number(String((c.body as { idpIssuer: string }).idpIssuer).slice(5)));
    expect(sent.at(-1)).toBe(4);
    for (let i = 1; i < sent.length; i += 1) expect(sent[i]).toBeGreaterThan(sent[i - 1] as number);
    expect(fake.stateOf(org.id)).toMatchObject({ body: { idpIssuer: 'urn:v4' } });
    const states = (
      await t.database.pool.query(
        'SELECT version_number, state FROM deployments WHERE org_id = $1 ORDER BY version_number',
        [org.id],
      )
    ).rows;
    expect(states.at(-1)).toEqual({ version_number: 4, state: 'succeeded' });
    for (const s of states) expect(['succeeded', 'superseded']).toContain(s.state);
  });

  test('during a slow call the state names the deployment in flight and the one waiting, as the deployments list does', async () => {
    const org = await orgOnFake();
    fake.setLatency(2_500); // below COGNIGY_TIMEOUT_MS: the call stays in flight
    try {
      await draftAndApprove(org.id, 0, { idpIssuer: 'urn:v1' });
      const flying = await waitFor('v1 in flight', async () => {
        const state = await stateOf(org.id);
        return state.inFlight ? state : undefined;
      });
      expect(flying).toMatchObject({ inFlight: { number: 1 }, waiting: null });
      // v2 waits, then v3 supersedes it: the call of v1 is still under way
      await draftAndApprove(org.id, 1, { idpIssuer: 'urn:v2' });
      await draftAndApprove(org.id, 2, { idpIssuer: 'urn:v3' });
      const [state, list] = await Promise.all([
        stateOf(org.id),
        send('GET', `/v1/orgs/${org.id}/deployments`, editor).then((r) => r.json()),
      ]);
      const byState = (s: string) => list.items.filter((d: { state: string }) => d.state === s);
      expect(byState('in_flight')).toEqual([expect.objectContaining({ version: 1 })]);
      expect(byState('pending')).toEqual([expect.objectContaining({ version: 3 })]);
      expect(byState('superseded')).toEqual([expect.objectContaining({ version: 2 })]);
      expect(state.desired).toMatchObject({ number: 3 });
      expect(state.inFlight).toEqual({
        number: 1,
        deploymentId: byState('in_flight')[0].id,
        since: expect.any(String),
      });
      expect(state.waiting).toEqual({
        number: 3,
        deploymentId: byState('pending')[0].id,
        notBefore: expect.any(String),
      });
    } finally {
      fake.setLatency(0);
    }
    await waitFor('v3 applied', appliedNumber(org.id, 3));
    expect(await stateOf(org.id)).toMatchObject({ applied: { number: 3 }, inFlight: null, waiting: null });
  });

  test('a call that times out after a newer version was approved is superseded, and the claim goes on for every org', async () => {
    // Before: the timed-out call went back to pending beside the newer one, the next claim took both
    // of the org, broke the one-in-flight index, and failed for every org from then on.
    const [slow, other] = [await orgOnFake(), await orgOnFake()];
    fake.queueFaults({ kind: 'hang' }); // cut by COGNIGY_TIMEOUT_MS (4 s) and retried
    await draftAndApprove(slow.id, 0, { idpIssuer: 'urn:v1' });
    await waitFor('v1 in flight', async () => ((await stateOf(slow.id)).inFlight ? true : undefined));
    await draftAndApprove(slow.id, 1, { idpIssuer: 'urn:v2' });
    await draftAndApprove(other.id, 0, { idpIssuer: 'urn:other' });
    await waitFor('v2 applied', appliedNumber(slow.id, 2));
    await waitFor('the other org applied', appliedNumber(other.id, 1));
    const list = (await send('GET', `/v1/orgs/${slow.id}/deployments`, editor)).json();
    expect(list.items.map((d: { version: number; state: string }) => [d.version, d.state])).toEqual([
      [2, 'succeeded'],
      [1, 'superseded'],
    ]);
    const superseded = await t.database.pool.query<{ diff: { after: { reason: string } } }>(
      `SELECT diff FROM audit_events WHERE org_id = $1 AND action = 'deployment.superseded'`,
      [slow.id],
    );
    expect(superseded.rows.map((r) => r.diff.after.reason)).toEqual([
      'a newer version was approved during the call',
    ]);
    expect(t.logs.join('\n')).not.toContain('claiming failed');
  });

  test('with 30% transient faults (429, 500, 503, resets), each of 200 orgs gets its approved version, none lost', async () => {
    const orgs: Array<Awaited<ReturnType<typeof orgOnFake>>> = [];
    for (let i = 0; i < 200; i += 1) orgs.push(await orgOnFake(true, { wave: 'faults' }));
    fake.setFaultRate(0.3, [
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
    ]);
    try {
      // one bulk draft and one bulk approval: 200 approvals, each with its deployment
      const drafted = await send('POST', '/v1/sso/bulk', editor, {
        selector: { labels: { wave: 'faults' } },
        change: (({ decryptionPrivateKey: _key, ...withoutKey }) => withoutKey)(samlDraft()),
      });
      expect(drafted.json().summary).toMatchObject({ succeeded: 200 });
      const approved = await send('POST', '/v1/sso/bulk/approve', approver, {
        bulkId: drafted.json().bulkId,
      });
      expect(approved.json().summary).toMatchObject({ succeeded: 200 });
      for (const org of orgs) await waitFor(`${org.slug} applied`, appliedNumber(org.id, 1), 60_000);
    } finally {
      fake.setFaultRate(0, []);
    }
    for (const org of orgs) expect(fake.stateOf(org.id)).toMatchObject({ kind: 'configured' });
    const faulted = fake.calls.filter((c) => orgs.some((o) => o.id === c.organisation) && c.fault !== null);
    expect(faulted.length).toBeGreaterThan(0);

    // The metrics count the attempts by outcome and status class, and the queue is empty again.
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? Number.NaN);
    expect(
      value(/forwarding_attempts_total\{outcome="success",status_class="2xx"\} (\d+)/),
    ).toBeGreaterThanOrEqual(orgs.length);
    expect(
      value(/forwarding_attempts_total\{outcome="retryable",status_class="5xx"\} (\d+)/),
    ).toBeGreaterThan(0);
    expect(value(/forwarding_call_duration_seconds_count\{status_class="2xx"\} (\d+)/)).toBeGreaterThan(0);
    expect(value(/forwarding_queue_depth\{state="pending"\} (\d+)/)).toBe(0);
  }, 120_000);
});

describe('deployments API', () => {
  test('lists an org’s deployments, shows each attempt with Cognigy’s traceId, and retries a failed one', async () => {
    const org = await orgOnFake(false);
    await draftAndApprove(org.id, 0);
    await waitFor('the failure', async () => ((await stateOf(org.id)).lastError ? true : undefined));
    const list = (await send('GET', `/v1/orgs/${org.id}/deployments`, editor)).json();
    expect(list.items).toEqual([
      expect.objectContaining({
        version: 1,
        state: 'failed',
        attempts: 1,
        lastError: expect.objectContaining({ httpStatus: 401 }),
      }),
    ]);
    const id = list.items[0].id;
    const detail = (await send('GET', `/v1/orgs/${org.id}/deployments/${id}`, editor)).json();
    expect(detail.attemptLog).toEqual([
      expect.objectContaining({
        number: 1,
        outcome: 'refused',
        httpStatus: 401,
        traceId: expect.stringMatching(/^api--/),
      }),
    ]);
    expect(JSON.stringify(detail)).not.toContain(org.apiKey);

    // the key is fixed at Cognigy's side; an approver retries
    fake.addKey(org.apiKey, org.id);
    const retried = await send('POST', `/v1/orgs/${org.id}/deployments/${id}/retry`, approver);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ state: 'pending', attempts: 0 });
    await waitFor('applied after the retry', appliedNumber(org.id, 1));
    const after = (await send('GET', `/v1/orgs/${org.id}/deployments/${id}`, editor)).json();
    expect(after.attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['refused', 'success']);
    expect((await send('POST', `/v1/orgs/${org.id}/deployments/${id}/retry`, approver)).statusCode).toBe(409);
    expect((await send('POST', `/v1/orgs/${org.id}/deployments/${id}/retry`, editor)).statusCode).toBe(403);
    expect(
      (await send('GET', `/v1/orgs/${org.id}/deployments/01900000-0000-7000-8000-000000000000`, editor))
        .statusCode,
    ).toBe(404);
  });

  test('a failed deployment of an older version cannot be retried once a newer one is approved', async () => {
    const org = await orgOnFake(false);
    await draftAndApprove(org.id, 0);
    await waitFor('v1 failed', async () =>
      (await stateOf(org.id)).lastError?.number === 1 ? true : undefined,
    );
    await draftAndApprove(org.id, 1);
    const v1 = (await send('GET', `/v1/orgs/${org.id}/deployments?state=failed`, editor))
      .json()
      .items.find((d: { version: number }) => d.version === 1);
    const res = await send('POST', `/v1/orgs/${org.id}/deployments/${v1.id}/retry`, approver);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('DEPLOYMENT_OUTDATED');
  });
});
