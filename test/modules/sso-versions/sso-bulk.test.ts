/**
 * Bulk drafts and approvals across many orgs (1,000 here): per-org results, discovery asked once
 * per issuer, one failing org never stops the others, progress in the log, every draft audited.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOrg, expectProblem } from '../../support/app.js';
import { CLIENT_ID, CLIENT_SECRET, createSsoWorld, type Send, type SsoWorld, sender } from './sso-support.js';

const ORGS = 1000;
let w: SsoWorld;
let send: Send;
let orgIds: string[];

beforeAll(async () => {
  w = await createSsoWorld('sso-bulk');
  send = sender(w.t);
  orgIds = [];
  // The API, four at a time: each org's creation is audited like in production.
  const slugs = Array.from({ length: ORGS }, (_v, i) => `bulk-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < slugs.length; i += 8) {
    const batch = slugs.slice(i, i + 8);
    const created = await Promise.all(
      batch.map((slug, j) =>
        createOrg(w.t.app, w.tenant.adminKey, slug, { env: 'prod', shard: String((i + j) % 2) }),
      ),
    );
    orgIds.push(...created.map((o) => o.id));
  }
  // one org the label selector must not pick
  await createOrg(w.t.app, w.tenant.adminKey, 'bulk-staging', { env: 'staging' });
}, 120_000);
afterAll(async () => w?.close());

describe('POST /v1/sso/bulk', () => {
  test(`drafts a configuration for ${ORGS} orgs by label, validates once per issuer, and approves them in bulk`, async () => {
    const tokenHitsBefore = w.idp.server.requests;
    const res = await send('POST', '/v1/sso/bulk', w.both, {
      selector: { labels: { env: 'prod' } },
      change: {
        kind: 'oidc',
        idpIssuer: w.idp.issuer,
        idpClientId: CLIENT_ID,
        idpClientSecret: CLIENT_SECRET,
        idpAdditionalScope: 'profile {org.labels.shard}',
      },
      note: 'move every prod org to the new IdP',
    });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    const body = res.json();
    expect(body.summary).toMatchObject({ selected: ORGS, succeeded: ORGS, failed: 0, skipped: 0 });
    expect(body.results).toHaveLength(ORGS);
    expect(new Set(body.results.map((r: { org: { id: string } }) => r.org.id))).toEqual(new Set(orgIds));
    for (const r of body.results) expect(r).toMatchObject({ outcome: 'created', version: 1, problem: null });
    expect(res.body).not.toContain(CLIENT_SECRET);
    // discovery document and JWKS fetched once for all orgs (cached per issuer)
    expect(w.idp.server.requests - tokenHitsBefore).toBeLessThanOrEqual(2);

    const one = (await send('GET', `/v1/orgs/${orgIds[1]}/sso/versions/1`, w.auditor)).json();
    expect(one).toMatchObject({ bulkId: body.bulkId, note: 'move every prod org to the new IdP' });
    expect(one.content.idpAdditionalScope).toBe('profile 1');

    const logs = w.t.logs.filter((l) => l.includes(body.bulkId) && l.includes('bulk draft: progress'));
    expect(logs.length).toBeGreaterThanOrEqual(ORGS / 100);
    expect(w.t.logs.join('\n')).not.toContain(CLIENT_SECRET);

    // the author's own approval is refused org by org; another approver's succeeds
    const self = await send('POST', '/v1/sso/bulk/approve', w.both, { bulkId: body.bulkId });
    expect(self.statusCode).toBe(200);
    expect(self.json().summary).toMatchObject({ selected: ORGS, succeeded: 0, failed: ORGS });
    expect(self.json().results[0].problem.code).toBe('SSO_SELF_APPROVAL_FORBIDDEN');

    const approved = await send('POST', '/v1/sso/bulk/approve', w.approver, {
      bulkId: body.bulkId,
      comment: 'rollout',
    });
    expect(approved.statusCode, approved.body.slice(0, 500)).toBe(200);
    expect(approved.json().summary).toMatchObject({ selected: ORGS, succeeded: ORGS, failed: 0 });
    const state = (await send('GET', `/v1/orgs/${orgIds[0]}/sso`, w.auditor)).json();
    expect(state.desired).toMatchObject({ number: 1 });

    // a second bulk change: one org's template cannot be filled, the others still get their draft
    await send('PATCH', `/v1/orgs/${orgIds[5]}`, w.tenant.adminKey, { labels: { env: 'prod' } });
    const second = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { labels: { env: 'prod' } },
      change: { idpClientId: 'client-{org.labels.shard}' },
    });
    const results = second.json().results as {
      org: { id: string };
      outcome: string;
      problem: { code: string } | null;
    }[];
    expect(second.json().summary).toMatchObject({ selected: ORGS, succeeded: ORGS - 1, failed: 1 });
    expect(results.find((r) => r.org.id === orgIds[5])).toMatchObject({
      outcome: 'failed',
      problem: { code: 'BULK_TEMPLATE_UNRESOLVED' },
    });
    const v2 = (await send('GET', `/v1/orgs/${orgIds[0]}/sso/versions/2`, w.auditor)).json();
    expect(v2).toMatchObject({ content: { idpClientId: 'client-0' }, baseVersion: 1 });
    expect(v2.secrets.idpClientSecret.changedIn).toBe(1); // carried over

    const events = await w.t.database.pool.query<{ action: string; n: string }>(
      `SELECT action, count(*) AS n FROM audit_events WHERE tenant_id = $1 AND action LIKE 'sso_%' GROUP BY action`,
      [w.tenant.id],
    );
    expect(Object.fromEntries(events.rows.map((r) => [r.action, Number(r.n)]))).toEqual({
      'sso_version.created': ORGS + ORGS - 1,
      'sso_version.approved': ORGS,
      'sso_bulk.drafted': 2,
      'sso_bulk.approved': 2, // the refused one is recorded too: an auditor sees the attempt
    });
  }, 180_000);

  test('a dry run validates and reports without writing anything', async () => {
    const before = await w.t.database.pool.query('SELECT count(*) FROM sso_versions');
    const res = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { orgs: ['bulk-0001', 'no-such-org'] },
      change: { idpIdTokenSignedResponseAlg: 'RS512' },
      dryRun: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([
      expect.objectContaining({ outcome: 'validated', validation: 'fail' }),
      expect.objectContaining({ outcome: 'failed', org: { id: null, slug: null, ref: 'no-such-org' } }),
    ]);
    expect((await w.t.database.pool.query('SELECT count(*) FROM sso_versions')).rows).toEqual(before.rows);
  });

  test('an invalid change is refused with the offending field named', async () => {
    const res = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { orgs: ['bulk-0002'] },
      change: { idpFrontChannelLogoutUrl: 'not a url' },
    });
    const [result] = res.json().results;
    expect(result).toMatchObject({ outcome: 'failed', problem: { code: 'SSO_CONFIGURATION_INVALID' } });
    expect(new Set(result.problem.errors.map((e: { pointer: string }) => e.pointer))).toEqual(
      new Set(['/change/idpFrontChannelLogoutUrl']),
    );
    const disabled = await send('POST', '/v1/sso/bulk', w.editor, {
      selector: { orgs: ['bulk-0002'] },
      change: { kind: 'disabled', idpClientId: 'x' },
    });
    expect(disabled.json().results[0].problem.errors).toEqual([
      { pointer: '/change/idpClientId', detail: 'is not a known field' },
    ]);
    expectProblem(await send('POST', '/v1/sso/bulk', w.editor, { selector: {}, change: {} }), 400);
    expectProblem(
      await send('POST', '/v1/sso/bulk', w.approver, { selector: { orgs: ['x'] }, change: {} }),
      403,
    );
  });
});
