/**
 * Acceptance (issue 3): every mutating endpoint writes its audit event (actor, action, target, diff,
 * request id, source) in the transaction of the change, and a failing request leaves no event.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { chainOf, countEvents, type StoredEvent } from '../../support/audit.js';
import { countRows } from '../../support/rows.js';

let t: TestApp;
let tenant: TenantFixture;
let auditor: { id: string; token: string };

beforeAll(async () => {
  // As the service's runtime role (issue 21): every route works with only its privileges.
  t = await createTestApp({}, 'auditchange', {}, { roles: true });
  tenant = await createTenant(t.app);
  auditor = await createKey(t.app, tenant.adminKey, ['auditor']);
});
afterAll(async () => t?.close());

const UA = 'audit-test-agent/1.0';

async function send(
  method: string,
  url: string,
  key: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method: method as 'POST',
    url,
    headers: { ...bearer(key), 'user-agent': UA, ...headers },
    ...(payload ? { payload } : {}),
  });
}

async function newEvents(tenantId: string, since: number): Promise<StoredEvent[]> {
  return (await chainOf(t.database.pool, tenantId)).filter((e) => e.seq > since);
}

async function headSeq(tenantId: string): Promise<number> {
  return (await chainOf(t.database.pool, tenantId)).at(-1)?.seq ?? 0;
}

/** Runs a successful change and returns the events it wrote; runs a failing one and checks it wrote none. */
async function expectAudited(
  change: () => Promise<{ statusCode: number; headers: Record<string, unknown> }>,
  tenantId = tenant.id,
) {
  const before = await headSeq(tenantId);
  const res = await change();
  expect(res.statusCode).toBeLessThan(300);
  const events = await newEvents(tenantId, before);
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) {
    expect(e.request_id).toBe(res.headers['x-request-id']);
    expect(e.user_agent).toBe(UA);
    expect(e.source_ip).toBe('127.0.0.1');
  }
  return events;
}

async function expectNoEvent(change: () => Promise<{ statusCode: number }>, status: number) {
  const before = await countEvents(t.database.pool);
  const res = await change();
  expect(res.statusCode).toBe(status);
  expect(await countEvents(t.database.pool)).toBe(before);
}

describe('the audit event of each change', () => {
  test('POST /v1/tenants records tenant.created and api_key.created in the new tenant’s chain, by the platform key', async () => {
    const res = await send('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'audited-tenant', name: 'Audited' });
    expect(res.statusCode).toBe(201);
    const id = res.json().tenant.id;
    const events = await chainOf(t.database.pool, id);
    expect(events.map((e) => e.action)).toEqual(['tenant.created', 'api_key.created']);
    expect(events[0]).toMatchObject({
      seq: 1,
      target_type: 'tenant',
      target_id: id,
      actor_name: expect.stringContaining('platform'),
    });
    expect(events[0]?.diff.after).toMatchObject({ slug: 'audited-tenant', name: 'Audited' });
    expect(events[1]?.diff.after).toMatchObject({ roles: ['admin'], id: res.json().adminKey.apiKey.id });
    expect(JSON.stringify(events)).not.toContain(res.json().adminKey.token);
    await expectNoEvent(
      () => send('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'audited-tenant', name: 'Again' }),
      409,
    );
  });

  test('PATCH /v1/tenant records tenant.updated with only what changed', async () => {
    const [event] = await expectAudited(() =>
      send('PATCH', '/v1/tenant', tenant.adminKey, { allowSelfApproval: true }),
    );
    expect(event).toMatchObject({
      action: 'tenant.updated',
      target_type: 'tenant',
      target_id: tenant.id,
      actor_id: tenant.adminKeyId,
    });
    expect(event?.diff).toEqual({
      before: { settings: { allowSelfApproval: false, allowRollbackApproval: false }, revision: 1 },
      after: { settings: { allowSelfApproval: true, allowRollbackApproval: false }, revision: 2 },
    });
    await expectNoEvent(
      () => send('PATCH', '/v1/tenant', tenant.adminKey, { name: 'X' }, { 'if-match': '"1"' }),
      409,
    );
    await expectNoEvent(() => send('PATCH', '/v1/tenant', auditor.token, { name: 'X' }), 403);
  });

  test('POST /v1/api-keys records api_key.created without the token; DELETE records api_key.revoked once', async () => {
    let created: { apiKey: { id: string }; token: string } | undefined;
    const [event] = await expectAudited(async () => {
      const res = await send('POST', '/v1/api-keys', tenant.adminKey, { name: 'ci', roles: ['editor'] });
      created = res.json();
      return res;
    });
    expect(event).toMatchObject({
      action: 'api_key.created',
      target_type: 'api_key',
      target_id: created?.apiKey.id,
    });
    expect(event?.diff.after).toMatchObject({ name: 'ci', roles: ['editor'] });
    expect(JSON.stringify(event)).not.toContain(created?.token.slice(-43));
    await expectNoEvent(
      () => send('POST', '/v1/api-keys', tenant.adminKey, { name: 'x', roles: ['root'] }),
      400,
    );

    const [revoked] = await expectAudited(() =>
      send('DELETE', `/v1/api-keys/${created?.apiKey.id}`, tenant.adminKey),
    );
    expect(revoked).toMatchObject({ action: 'api_key.revoked', target_id: created?.apiKey.id });
    expect(revoked?.diff.before).toEqual({ revokedAt: null });
    expect(typeof revoked?.diff.after?.revokedAt).toBe('string');
    // Revoking again changes nothing, so it records nothing.
    await expectNoEvent(() => send('DELETE', `/v1/api-keys/${created?.apiKey.id}`, tenant.adminKey), 200);
  });

  test('POST, PATCH and DELETE /v1/orgs record org.created, org.updated, org.archived (+ org.secrets_shredded)', async () => {
    let orgId = '';
    const [createdEvent] = await expectAudited(async () => {
      const res = await send('POST', '/v1/orgs', tenant.adminKey, {
        slug: 'acme',
        name: 'Acme',
        labels: { env: 'prod' },
      });
      orgId = res.json().id;
      return res;
    });
    expect(createdEvent).toMatchObject({
      action: 'org.created',
      target_type: 'org',
      target_id: orgId,
      org_id: orgId,
    });
    expect(createdEvent?.diff.after).toMatchObject({ slug: 'acme', labels: { env: 'prod' } });
    await expectNoEvent(() => send('POST', '/v1/orgs', tenant.adminKey, { slug: 'acme', name: 'Dup' }), 409);

    const [updated] = await expectAudited(() =>
      send('PATCH', '/v1/orgs/acme', tenant.adminKey, { name: 'Acme Corp' }),
    );
    expect(updated).toMatchObject({ action: 'org.updated', org_id: orgId });
    expect(updated?.diff).toEqual({
      before: { name: 'Acme', revision: 1 },
      after: { name: 'Acme Corp', revision: 2 },
    });
    await expectNoEvent(
      () => send('PATCH', '/v1/orgs/acme', tenant.adminKey, { name: 'Y' }, { 'if-match': '"1"' }),
      409,
    );

    await send('PUT', '/v1/orgs/acme/cognigy', tenant.adminKey, {
      apiBase: 'https://api.example.com/new',
      apiKey: 'k'.repeat(20),
    });
    const events = await expectAudited(() =>
      send('DELETE', '/v1/orgs/acme?shredSecrets=true', tenant.adminKey),
    );
    expect(events.map((e) => e.action)).toEqual(['org.secrets_shredded', 'org.archived']);
    expect(events[1]?.diff.before).toMatchObject({ archivedAt: null });
    await expectNoEvent(() => send('DELETE', `/v1/orgs/${orgId}`, tenant.adminKey), 409);
  });

  test('PUT /v1/orgs/:org/cognigy records cognigy_target.updated with the key only as a fingerprint', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'globex');
    const secret = 'cognigy-api-key-visible-nowhere-0001';
    const [first] = await expectAudited(() =>
      send('PUT', '/v1/orgs/globex/cognigy', tenant.adminKey, {
        apiBase: 'https://api.example.com/new',
        apiKey: secret,
      }),
    );
    expect(first).toMatchObject({
      action: 'cognigy_target.updated',
      target_type: 'cognigy_target',
      target_id: org.id,
      org_id: org.id,
    });
    expect(first?.diff.before).toEqual({ cognigy: null });
    const after = first?.diff.after?.cognigy as { apiKey: { fingerprint: string } };
    expect(after.apiKey.fingerprint).toMatch(/^hmac-sha256:/);
    const [second] = await expectAudited(() =>
      send('PUT', '/v1/orgs/globex/cognigy', tenant.adminKey, {
        apiBase: 'https://api.example.com/new',
        apiKey: `${secret}-2`,
      }),
    );
    const fingerprints = [second?.diff.before?.cognigy, second?.diff.after?.cognigy].map(
      (c) => (c as { apiKey: { fingerprint: string } }).apiKey.fingerprint,
    );
    expect(fingerprints[0]).not.toBe(fingerprints[1]);
    expect(JSON.stringify(await chainOf(t.database.pool, tenant.id))).not.toContain(secret);
    await expectNoEvent(
      () => send('PUT', '/v1/orgs/globex/cognigy', tenant.adminKey, { apiBase: 'ftp://x' }),
      400,
    );
    await expectNoEvent(
      () => send('PUT', '/v1/orgs/globex/cognigy', auditor.token, { apiBase: 'https://a.example' }),
      403,
    );
  });

  test('GET /v1/audit-events/export is itself audited (audit.exported, with the filters)', async () => {
    const [event] = await expectAudited(() =>
      send('GET', '/v1/audit-events/export?format=csv&action=org.', auditor.token),
    );
    expect(event).toMatchObject({
      action: 'audit.exported',
      actor_id: auditor.id,
      target_type: 'audit_trail',
    });
    expect(event?.diff.after).toMatchObject({ format: 'csv', filters: { action: 'org.' } });
  });

  test('POST /v1/audit-events/checkpoints records audit.checkpointed, the head the checkpoint signs', async () => {
    let checkpoint: { seq: number; hash: string } | undefined;
    const [event] = await expectAudited(async () => {
      const res = await send('POST', '/v1/audit-events/checkpoints', auditor.token);
      checkpoint = res.json();
      return res;
    });
    expect(event).toMatchObject({
      action: 'audit.checkpointed',
      actor_id: auditor.id,
      target_type: 'audit_trail',
    });
    expect(checkpoint).toMatchObject({ seq: event?.seq, hash: event?.hash });
  });

  test('POST /v1/discovery/check stores nothing, so it writes no event', async () => {
    await expectNoEvent(
      () => send('POST', '/v1/discovery/check', tenant.adminKey, { issuer: 'https://idp.example.invalid' }),
      200,
    );
  });

  describe('SSO versions', () => {
    let editor: { id: string; token: string };
    let approver: { id: string; token: string };
    let org: { id: string; slug: string };
    const versions = () => `/v1/orgs/${org.id}/sso/versions`;

    beforeAll(async () => {
      editor = await createKey(t.app, tenant.adminKey, ['editor']);
      approver = await createKey(t.app, tenant.adminKey, ['approver']);
      org = await createOrg(t.app, tenant.adminKey, 'audited-sso', { wave: 'one' });
    });

    test('POST …/sso/versions records sso_version.created with the version and its validation status', async () => {
      const [event] = await expectAudited(() =>
        send('POST', versions(), editor.token, { kind: 'disabled', baseVersion: 0, note: 'off for now' }),
      );
      expect(event).toMatchObject({
        action: 'sso_version.created',
        target_type: 'sso_version',
        org_id: org.id,
        actor_id: editor.id,
      });
      expect(event?.diff.after).toMatchObject({
        number: 1,
        kind: 'disabled',
        note: 'off for now',
        validationStatus: 'pass',
      });
      await expectNoEvent(
        () => send('POST', versions(), editor.token, { kind: 'disabled', baseVersion: 0 }),
        409,
      );
      await expectNoEvent(() => send('POST', versions(), editor.token, { kind: 'disabled' }), 428);
    });

    test('POST …/validate records sso_version.validated', async () => {
      const [event] = await expectAudited(() => send('POST', `${versions()}/1/validate`, editor.token));
      expect(event).toMatchObject({ action: 'sso_version.validated', org_id: org.id });
      expect(event?.diff).toMatchObject({
        before: { validationStatus: 'pass' },
        after: { validationStatus: 'pass' },
      });
      await expectNoEvent(() => send('POST', `${versions()}/9/validate`, editor.token), 404);
    });

    test('POST …/approve records sso_version.approved with the hash approved; a refused approval records nothing', async () => {
      await send('PATCH', '/v1/tenant', tenant.adminKey, { allowSelfApproval: false });
      const both = await createKey(t.app, tenant.adminKey, ['editor', 'approver']);
      const own = await send('POST', versions(), both.token, { kind: 'disabled', baseVersion: 1 });
      expect(own.statusCode).toBe(201);
      await expectNoEvent(() => send('POST', `${versions()}/2/approve`, both.token, {}), 403);
      const [event] = await expectAudited(() =>
        send('POST', `${versions()}/2/approve`, approver.token, { comment: 'go' }),
      );
      expect(event).toMatchObject({ action: 'sso_version.approved', actor_id: approver.id });
      expect(event?.diff).toMatchObject({
        before: { review: { state: 'draft' } },
        after: {
          review: {
            state: 'approved',
            approvedHash: own.json().contentHash,
            comment: 'go',
            selfApproved: false,
          },
        },
      });
    });

    test('POST …/reject records sso_version.rejected with the comment', async () => {
      const [event] = await expectAudited(() =>
        send('POST', `${versions()}/1/reject`, approver.token, { comment: 'superseded by v2' }),
      );
      expect(event).toMatchObject({ action: 'sso_version.rejected' });
      expect(event?.diff.after).toMatchObject({ review: { state: 'rejected', comment: 'superseded by v2' } });
      await expectNoEvent(
        () => send('POST', `${versions()}/1/reject`, approver.token, { comment: 'again' }),
        409,
      );
    });

    test('POST …/rollback records sso_version.rollback_created naming the version restored', async () => {
      const [event] = await expectAudited(() => send('POST', `${versions()}/1/rollback`, editor.token, {}));
      expect(event).toMatchObject({ action: 'sso_version.rollback_created' });
      expect(event?.diff.after).toMatchObject({ number: 3, rollbackOf: 1, note: 'Rollback to v1' });
      await expectNoEvent(
        () => send('POST', `${versions()}/1/rollback`, editor.token, { baseVersion: 1 }),
        409,
      );
    });

    test('POST /v1/sso/bulk records each draft and one sso_bulk.drafted; bulk approve records each approval and sso_bulk.approved', async () => {
      const drafted = await expectAudited(() =>
        send('POST', '/v1/sso/bulk', editor.token, {
          selector: { labels: { wave: 'one' } },
          change: { kind: 'disabled' },
        }),
      );
      // v3 is already disabled: the org is skipped, and the operation itself is still recorded
      expect(drafted.map((e) => e.action)).toEqual(['sso_bulk.drafted']);
      expect(drafted[0]?.diff.after).toMatchObject({ selected: 1, skipped: 1, change: { kind: 'disabled' } });
      const approved = await expectAudited(() =>
        send('POST', '/v1/sso/bulk/approve', approver.token, { selector: { orgs: [org.slug] } }),
      );
      // v3 supersedes v2 (approved, never forwarded) and v2's pending deployment; v3's is enqueued
      expect(approved.map((e) => e.action)).toEqual([
        'sso_version.approved',
        'sso_version.superseded',
        'deployment.superseded',
        'deployment.enqueued',
        'sso_bulk.approved',
      ]);
      await expectNoEvent(
        () => send('POST', '/v1/sso/bulk', approver.token, { selector: { orgs: [org.slug] }, change: {} }),
        403,
      );
    });
  });

  test('POST /v1/plans records plan.created; apply records each draft (and approval) and plan.applied', async () => {
    const editor = await createKey(t.app, tenant.adminKey, ['editor']);
    const both = await createKey(t.app, tenant.adminKey, ['editor', 'approver']);
    const org = await createOrg(t.app, tenant.adminKey, 'audited-plan');
    const document = { entries: [{ orgs: [org.slug], sso: { kind: 'disabled' } }] };
    const [created] = await expectAudited(() => send('POST', '/v1/plans', editor.token, { document }));
    const plan = (await send('GET', `/v1/plans/${created?.target_id}`, editor.token)).json();
    expect(created).toMatchObject({ action: 'plan.created', target_type: 'plan', actor_id: editor.id });
    expect(created?.diff.after).toMatchObject({ hash: plan.hash, totals: { draft: 1 }, orgs: 1 });
    // the plan's author may not approve its drafts: refused before anything is written
    const own = await send('POST', '/v1/plans', both.token, { document });
    await expectNoEvent(
      () => send('POST', `/v1/plans/${own.json().id}/apply`, both.token, { approve: true }),
      403,
    );
    const applied = await expectAudited(() =>
      send('POST', `/v1/plans/${plan.id}/apply`, both.token, { approve: true }),
    );
    expect(applied.map((e) => e.action)).toEqual([
      'sso_version.created',
      'sso_version.approved',
      'deployment.enqueued',
      'plan.applied',
    ]);
    expect(applied[3]?.diff.after).toMatchObject({ hash: plan.hash, drafted: 1, approved: 1, refused: 0 });
    // applying again answers the first result and changes nothing
    await expectNoEvent(() => send('POST', `/v1/plans/${plan.id}/apply`, both.token, {}), 200);
  });

  test('POST …/deployments/{id}/retry records deployment.retried; retrying what did not fail records nothing', async () => {
    const approver = await createKey(t.app, tenant.adminKey, ['approver']);
    const editor = await createKey(t.app, tenant.adminKey, ['editor']);
    const org = await createOrg(t.app, tenant.adminKey, 'audited-retry');
    await send('POST', `/v1/orgs/${org.id}/sso/versions`, editor.token, { kind: 'disabled', baseVersion: 0 });
    await send('POST', `/v1/orgs/${org.id}/sso/versions/1/approve`, approver.token, {});
    const deployment = await t.database.db
      .selectFrom('deployments')
      .selectAll()
      .where('org_id', '=', org.id)
      .executeTakeFirstOrThrow();
    const url = `/v1/orgs/${org.id}/deployments/${deployment.id}/retry`;
    await expectNoEvent(() => send('POST', url, approver.token), 409); // pending, not failed
    // No worker runs here: the failure is set by hand, as a worker records one.
    await t.database.pool.query(`UPDATE deployments SET state = 'failed', attempts = 8 WHERE id = $1`, [
      deployment.id,
    ]);
    const [event] = await expectAudited(() => send('POST', url, approver.token));
    expect(event).toMatchObject({
      action: 'deployment.retried',
      target_type: 'deployment',
      target_id: deployment.id,
    });
    expect(event?.diff).toEqual({
      before: { state: 'failed', version: 1, attempts: 8 },
      after: { state: 'pending', version: 1 },
    });
  });

  test('webhook endpoints: create, change, rotate, test, redeliver and delete each record their event; refusals none', async () => {
    const created = await expectAudited(() =>
      send('POST', '/v1/webhooks', tenant.adminKey, { url: 'https://hooks.example.com/audit' }),
    );
    expect(created.map((e) => e.action)).toEqual(['webhook.created']);
    const id = created[0]?.target_id as string;
    const after = (created[0]?.diff as { after: Record<string, unknown> } | undefined)?.after;
    expect(after).toMatchObject({ url: 'https://hooks.example.com/audit', enabled: true });
    expect(JSON.stringify(after)).not.toContain('whsec_');
    const changed = await expectAudited(() =>
      send('PATCH', `/v1/webhooks/${id}`, tenant.adminKey, { eventTypes: ['finding.opened'] }),
    );
    expect(changed.map((e) => [e.action, e.diff])).toEqual([
      ['webhook.updated', { before: { eventTypes: [] }, after: { eventTypes: ['finding.opened'] } }],
    ]);
    const rotated = await expectAudited(() =>
      send('POST', `/v1/webhooks/${id}/rotate-secret`, tenant.adminKey),
    );
    expect(rotated.map((e) => e.action)).toEqual(['webhook.secret_rotated']);
    expect(JSON.stringify(rotated[0]?.diff)).toMatch(/hmac-sha256:/);
    const tested = await expectAudited(() => send('POST', `/v1/webhooks/${id}/test`, tenant.adminKey));
    expect(tested.map((e) => e.action)).toEqual(['webhook.test_sent']);
    const deliveryId = (tested[0]?.diff as { after: { deliveryId: string } } | undefined)?.after.deliveryId;
    const redelivered = await expectAudited(() =>
      send('POST', `/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`, tenant.adminKey),
    );
    expect(redelivered.map((e) => e.action)).toEqual(['webhook.redelivered']);
    await expectNoEvent(
      () => send('POST', '/v1/webhooks', tenant.adminKey, { url: 'https://10.0.0.1/x' }),
      400,
    );
    await expectNoEvent(
      () => send('PATCH', `/v1/webhooks/${randomUUID()}`, tenant.adminKey, { enabled: false }),
      404,
    );
    const deleted = await expectAudited(() => send('DELETE', `/v1/webhooks/${id}`, tenant.adminKey));
    expect(deleted.map((e) => e.action)).toEqual(['webhook.deleted']);
    await expectNoEvent(() => send('DELETE', `/v1/webhooks/${id}`, tenant.adminKey), 404);
  });

  test('covers every mutating route the API documents', () => {
    const covered = new Set([
      'POST /v1/discovery/check', // a check, not a change: proven above to write no event
      'POST /v1/tenants',
      'PATCH /v1/tenant',
      'POST /v1/api-keys',
      'DELETE /v1/api-keys/{id}',
      'POST /v1/orgs',
      'PATCH /v1/orgs/{org}',
      'DELETE /v1/orgs/{org}',
      'PUT /v1/orgs/{org}/cognigy',
      'POST /v1/orgs/{org}/sso/versions',
      'POST /v1/orgs/{org}/sso/versions/{number}/validate',
      'POST /v1/orgs/{org}/sso/versions/{number}/approve',
      'POST /v1/orgs/{org}/sso/versions/{number}/reject',
      'POST /v1/orgs/{org}/sso/versions/{number}/rollback',
      'POST /v1/sso/bulk',
      'POST /v1/sso/bulk/approve',
      'POST /v1/orgs/{org}/deployments/{id}/retry',
      'POST /v1/plans',
      'POST /v1/plans/{id}/apply',
      // a check: what it finds is opened or resolved with events of the system actor, in the
      // findings' transaction (test/modules/watch/watch-idp.test.ts reads them)
      'POST /v1/orgs/{org}/watch/run',
      'PUT /v1/orgs/{org}/watch', // org.watch_changed: test/modules/watch/watch-probe.test.ts
      'POST /v1/webhooks',
      'PATCH /v1/webhooks/{id}',
      'DELETE /v1/webhooks/{id}',
      'POST /v1/webhooks/{id}/rotate-secret',
      'POST /v1/webhooks/{id}/test',
      'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      // console sign-in (issue 20): each change and its event, and the refusals that change
      // nothing, in test/modules/console-sign-in/console-login.test.ts and sessions.test.ts
      'PUT /v1/console-login',
      'DELETE /v1/console-login',
      'DELETE /v1/console-sessions/{id}',
      'DELETE /v1/session',
      'POST /v1/audit-events/checkpoints',
    ]);
    const mutating = Object.entries(t.app.swagger().paths ?? {}).flatMap(([path, ops]) =>
      Object.keys(ops as object)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(new Set(mutating)).toEqual(covered);
  });
});

describe('a change that records no audit event', () => {
  test('is rolled back (the trail cannot be forgotten)', async () => {
    const before = await countRows(t.database.db, 'orgs');
    await expect(
      t.container.change(
        {
          actor: { type: 'system', id: null, name: 'test' },
          requestId: null,
          sourceIp: null,
          userAgent: null,
        },
        (tx) =>
          tx
            .insertInto('orgs')
            .values({ id: randomUUID(), tenant_id: tenant.id, slug: 'unaudited', name: 'Unaudited' })
            .execute(),
      ),
    ).rejects.toThrow(/without an audit event/);
    expect(await countRows(t.database.db, 'orgs')).toBe(before);
  });
});
