/**
 * SSO as code (issue 19): a desired-state document for 200 orgs planned (labels, placeholders, kept
 * and given secrets, an org selected twice, an unknown org, a failing issuer), applied exactly, planned
 * again to nothing, exported and planned to nothing; a race between plan and apply; approval on apply
 * with four eyes; and the unhappy paths. Against a real oidc-provider and a real database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKey, createOrg, createTenant, expectProblem } from '../../support/app.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  createSsoWorld,
  type Send,
  type SsoWorld,
  sender,
} from '../sso-versions/sso-support.js';

const NEW_SECRET = 'plan-given-secret-7c1d9e2f4a6b8c0d';
let w: SsoWorld;
let send: Send;
const eu: string[] = [];
const us: string[] = [];
const staging: string[] = [];

interface PlanOrg {
  org: { id: string | null; slug: string };
  entries: number[];
  action: string;
  baseVersion: number | null;
  changes: { field: string; before: unknown; after: unknown; secret: boolean }[];
  validation: { status: string } | null;
  errors: { pointer: string; detail: string }[];
  result?: { status: number; version: number | null; approved: boolean; problem: { code: string } | null };
}

const bySlug = (orgs: PlanOrg[]) => new Map(orgs.map((o) => [o.org.slug, o]));

async function versionCounts(): Promise<Map<string, number>> {
  const rows = await w.t.database.pool.query<{ slug: string; n: string }>(
    `SELECT o.slug, count(v.id) AS n FROM orgs o LEFT JOIN sso_versions v ON v.org_id = o.id
      WHERE o.tenant_id = $1 GROUP BY o.slug`,
    [w.tenant.id],
  );
  return new Map(rows.rows.map((r) => [r.slug, Number(r.n)]));
}

const documentFor = (issuer: string) => ({
  entries: [
    {
      selector: 'env=prod,region=eu',
      note: 'a client per org',
      sso: {
        kind: 'oidc',
        idpIssuer: issuer,
        idpClientId: '{org.slug}-cognigy',
        idpClientSecret: { keep: true },
        idpAdditionalScope: 'profile {org.labels.region}',
      },
    },
    {
      selector: 'env=prod,region=us',
      sso: {
        kind: 'oidc',
        idpIssuer: issuer,
        idpClientId: CLIENT_ID,
        idpClientSecret: { keep: true },
        idpAdditionalScope: 'profile',
      },
    },
    {
      orgs: staging.slice(0, 40),
      sso: { kind: 'oidc', idpIssuer: issuer, idpClientId: '{org.slug}', idpClientSecret: NEW_SECRET },
    },
    { orgs: [staging[0] as string, 'no-such-org'], sso: { kind: 'disabled' } },
    {
      orgs: staging.slice(40),
      sso: { kind: 'oidc', idpIssuer: `${issuer}/missing`, idpClientId: 'x', idpClientSecret: NEW_SECRET },
    },
  ],
});

beforeAll(async () => {
  w = await createSsoWorld('plans');
  send = sender(w.t);
  for (let i = 0; i < 200; i += 1) {
    const slug = `org-${String(i).padStart(3, '0')}`;
    if (i < 150) (i % 2 === 0 ? eu : us).push(slug);
    else staging.push(slug);
  }
  const labelsOf = (slug: string): Record<string, string> =>
    staging.includes(slug) ? { env: 'staging' } : { env: 'prod', region: eu.includes(slug) ? 'eu' : 'us' };
  const all = [...eu, ...us, ...staging];
  for (let i = 0; i < all.length; i += 8) {
    await Promise.all(
      all.slice(i, i + 8).map((slug) => createOrg(w.t.app, w.tenant.adminKey, slug, labelsOf(slug))),
    );
  }
  // Version 1 of every prod org, with a client secret the document keeps.
  const seeded = await send('POST', '/v1/sso/bulk', w.editor, {
    selector: { labels: { env: 'prod' } },
    change: {
      kind: 'oidc',
      idpIssuer: w.idp.issuer,
      idpClientId: CLIENT_ID,
      idpClientSecret: CLIENT_SECRET,
      idpAdditionalScope: 'profile',
    },
  });
  expect(seeded.json().summary).toMatchObject({ selected: 150, succeeded: 150 });
}, 180_000);
afterAll(async () => w?.close());

describe('plan, apply, plan again, export', () => {
  let planId: string;

  test('the plan of 200 orgs: exactly the expected action for each, with diffs and pointers', async () => {
    const requestsBefore = w.idp.server.requests;
    const res = await send('POST', '/v1/plans', w.editor, { document: documentFor(w.idp.issuer) });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    const plan = res.json();
    planId = plan.id;
    expect(res.headers.location).toBe(`/v1/plans/${plan.id}`);
    expect(plan).toMatchObject({
      state: 'planned',
      errors: [],
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(plan.totals).toEqual({ noop: 75, draft: 75 + 39, blocked: 10, error: 2 });
    const orgs = bySlug(plan.orgs);
    expect(orgs.size).toBe(201);
    for (const slug of eu) {
      const o = orgs.get(slug) as PlanOrg;
      expect(o).toMatchObject({ action: 'draft', baseVersion: 1, entries: [0] });
      expect(o.changes.map((c) => c.field).sort()).toEqual(['idpAdditionalScope', 'idpClientId']);
      expect(o.changes.find((c) => c.field === 'idpClientId')?.after).toBe(`${slug}-cognigy`);
      expect(o.changes.find((c) => c.field === 'idpAdditionalScope')?.after).toBe('profile eu');
    }
    for (const slug of us)
      expect(orgs.get(slug)).toMatchObject({ action: 'noop', baseVersion: 1, changes: [] });
    for (const slug of staging.slice(1, 40)) {
      const o = orgs.get(slug) as PlanOrg;
      expect(o).toMatchObject({ action: 'draft', baseVersion: 0 });
      const secret = o.changes.find((c) => c.field === 'idpClientSecret');
      expect(secret).toMatchObject({
        secret: true,
        before: null,
        after: expect.stringMatching(/^hmac-sha256:/),
      });
    }
    for (const slug of staging.slice(40)) {
      const o = orgs.get(slug) as PlanOrg;
      expect(o.action).toBe('blocked');
      expect(o.validation?.status).toBe('fail');
    }
    const twice = orgs.get(staging[0] as string) as PlanOrg;
    expect(twice).toMatchObject({ action: 'error', entries: [2, 3] });
    expect(twice.errors.map((e) => e.pointer)).toEqual(['/document/entries/2', '/document/entries/3']);
    expect(twice.errors[0]?.detail).toContain('/document/entries/3');
    expect(orgs.get('no-such-org')).toMatchObject({
      action: 'error',
      org: { id: null },
      errors: [{ pointer: '/document/entries/3/orgs/1' }],
    });
    // discovery once per issuer at most: the good one was cached by the seeding, the missing one's
    // document is asked for once, not once per org
    expect(w.idp.server.requests - requestsBefore).toBe(1);
    expect(res.body).not.toContain(NEW_SECRET);
    expect(res.body).not.toContain(CLIENT_SECRET);
    // nothing drafted by planning
    const counts = await versionCounts();
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(150);
    // progress in the log, and the plan readable by an auditor
    expect(w.t.logs.some((l) => l.includes(planId) && l.includes('plan: progress'))).toBe(true);
    const read = await send('GET', `/v1/plans/${planId}`, w.auditor);
    expect(read.json()).toEqual(plan);
  });

  test('apply creates exactly the planned drafts, authored by the planner; a second apply answers the first result', async () => {
    const res = await send('POST', `/v1/plans/${planId}/apply`, w.editor, {});
    expect(res.statusCode, res.body.slice(0, 400)).toBe(200);
    const plan = res.json();
    expect(plan).toMatchObject({ state: 'applied', appliedBy: { id: w.editorId } });
    const orgs = bySlug(plan.orgs);
    for (const o of orgs.values()) {
      if (o.action === 'draft') expect(o.result, o.org.slug).toMatchObject({ status: 201, approved: false });
      else expect(o.result, o.org.slug).toBeUndefined();
    }
    const counts = await versionCounts();
    for (const slug of eu) expect(counts.get(slug), slug).toBe(2);
    for (const slug of us) expect(counts.get(slug), slug).toBe(1);
    for (const slug of staging.slice(1, 40)) expect(counts.get(slug), slug).toBe(1);
    for (const slug of [staging[0] as string, ...staging.slice(40)]) expect(counts.get(slug), slug).toBe(0);

    const v2 = (await send('GET', `/v1/orgs/${eu[0]}/sso/versions/2`, w.auditor)).json();
    expect(v2).toMatchObject({ note: 'a client per org', bulkId: planId, createdBy: { id: w.editorId } });
    expect(v2.content.idpClientId).toBe(`${eu[0]}-cognigy`);
    // the kept secret is the version 1 secret
    const v1 = (await send('GET', `/v1/orgs/${eu[0]}/sso/versions/1`, w.auditor)).json();
    expect(v2.secrets.idpClientSecret.fingerprint).toBe(v1.secrets.idpClientSecret.fingerprint);

    const again = await send('POST', `/v1/plans/${planId}/apply`, w.editor, {});
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(plan);
    expect(await versionCounts()).toEqual(counts);

    // no secret in plain text anywhere: answers, logs, the plans table
    const stored = await w.t.database.pool.query('SELECT p::text AS row FROM plans p');
    for (const secret of [NEW_SECRET, CLIENT_SECRET]) {
      expect(res.body).not.toContain(secret);
      for (const r of stored.rows) expect(r.row).not.toContain(secret);
      for (const line of w.t.logs) expect(line).not.toContain(secret);
    }
  });

  test('planned again: nothing left to draft (errors and blocked orgs stay as they were)', async () => {
    const res = await send('POST', '/v1/plans', w.editor, { document: documentFor(w.idp.issuer) });
    expect(res.json().totals).toEqual({ noop: 75 + 75 + 39, draft: 0, blocked: 10, error: 2 });
  });

  test('export, then plan the export: all noop', async () => {
    const exported = await send('GET', '/v1/sso/desired-state', w.auditor);
    expect(exported.statusCode).toBe(200);
    const document = exported.json();
    expect(document.entries).toHaveLength(75 + 75 + 39);
    expect(exported.body).not.toContain(NEW_SECRET);
    expect(document.entries[0]).toMatchObject({
      orgs: [eu[0]],
      sso: { kind: 'oidc', idpClientSecret: { keep: true } },
    });
    const res = await send('POST', '/v1/plans', w.editor, { document });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    expect(res.json().totals).toEqual({ noop: 75 + 75 + 39, draft: 0, blocked: 0, error: 0 });

    const prodOnly = (
      await send('GET', '/v1/sso/desired-state?selector=env=prod,region=us', w.auditor)
    ).json();
    expect(prodOnly.entries.map((e: { orgs: string[] }) => e.orgs[0])).toEqual(us);
  });
});

describe('apply against a moving world', () => {
  test('an org drafted by someone else between plan and apply is refused with 409 alone; nothing half-written', async () => {
    const slugs = ['race-a', 'race-b', 'race-c'];
    for (const slug of slugs) await createOrg(w.t.app, w.tenant.adminKey, slug, { race: 'yes' });
    const plan = (
      await send('POST', '/v1/plans', w.editor, {
        document: { entries: [{ selector: 'race=yes', sso: { kind: 'disabled' } }] },
      })
    ).json();
    expect(plan.totals).toMatchObject({ draft: 3 });
    const other = await createKey(w.t.app, w.tenant.adminKey, ['editor']);
    const moved = await send('POST', '/v1/orgs/race-b/sso/versions', other.token, {
      kind: 'disabled',
      baseVersion: 0,
      note: 'someone else',
    });
    expect(moved.statusCode).toBe(201);
    const applied = (await send('POST', `/v1/plans/${plan.id}/apply`, w.editor, {})).json();
    const orgs = bySlug(applied.orgs);
    expect(orgs.get('race-a')?.result).toMatchObject({ status: 201, version: 1 });
    expect(orgs.get('race-c')?.result).toMatchObject({ status: 201, version: 1 });
    expect(orgs.get('race-b')?.result).toMatchObject({
      status: 409,
      version: null,
      problem: { code: 'SSO_BASE_VERSION_STALE' },
    });
    const rows = await w.t.database.pool.query<{
      slug: string;
      number: number;
      created_by_id: string;
      note: string;
    }>(
      `SELECT o.slug, v.number, v.created_by_id, v.note FROM sso_versions v JOIN orgs o ON o.id = v.org_id
        WHERE o.slug = ANY($1) AND o.tenant_id = $2 ORDER BY o.slug`,
      [slugs, w.tenant.id],
    );
    expect(rows.rows).toEqual([
      { slug: 'race-a', number: 1, created_by_id: w.editorId, note: null },
      { slug: 'race-b', number: 1, created_by_id: other.id, note: 'someone else' },
      { slug: 'race-c', number: 1, created_by_id: w.editorId, note: null },
    ]);
    const events = await w.t.database.pool.query<{
      action: string;
      diff: { after: Record<string, unknown> };
    }>(`SELECT action, diff FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY seq`, [
      w.tenant.id,
      plan.id,
    ]);
    expect(events.rows.map((e) => e.action)).toEqual(['plan.created', 'plan.applied']);
    expect(events.rows[1]?.diff.after).toMatchObject({ drafted: 2, refused: 1 });
  });

  test('approve on apply: another approver approves each draft (deployment enqueued); the planner may not', async () => {
    await createOrg(w.t.app, w.tenant.adminKey, 'approve-me');
    const document = { entries: [{ orgs: ['approve-me'], sso: { kind: 'disabled' } }] };
    const own = (await send('POST', '/v1/plans', w.both, { document })).json();
    const refused = await send('POST', `/v1/plans/${own.id}/apply`, w.both, { approve: true });
    expectProblem(refused, 403, 'SSO_SELF_APPROVAL_FORBIDDEN');
    expect((await send('GET', `/v1/plans/${own.id}`, w.both)).json().state).toBe('planned');
    const editorOnly = await send('POST', `/v1/plans/${own.id}/apply`, w.editor, { approve: true });
    expectProblem(editorOnly, 403, 'AUTH_ROLE_REQUIRED');

    const plan = (await send('POST', '/v1/plans', w.editor, { document })).json();
    const applied = (
      await send('POST', `/v1/plans/${plan.id}/apply`, w.both, { approve: true, comment: 'ok' })
    ).json();
    expect(applied.orgs[0].result).toMatchObject({ status: 201, version: 1, approved: true });
    const state = (await send('GET', '/v1/orgs/approve-me/sso', w.auditor)).json();
    expect(state.desired).toMatchObject({ number: 1 });
    const deployments = (await send('GET', '/v1/orgs/approve-me/deployments', w.auditor)).json();
    expect(deployments.items).toHaveLength(1);
    // the other plan of the same org now finds it moved
    const late = (await send('POST', `/v1/plans/${own.id}/apply`, w.both, {})).json();
    expect(late.orgs[0].result).toMatchObject({ status: 409 });
  });
});

describe('unhappy paths', () => {
  const entry = (sso: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    document: { entries: [{ orgs: [eu[0]], sso, ...extra }] },
  });

  test('a malformed document is 400 with a pointer, and nothing is stored', async () => {
    const before = await w.t.database.pool.query('SELECT count(*)::int AS n FROM plans');
    const unknownField = await send('POST', '/v1/plans', w.editor, entry({ kind: 'disabled' }, { bogus: 1 }));
    expectProblem(unknownField, 400, 'REQUEST_VALIDATION_FAILED');
    expect(unknownField.json().errors[0].pointer).toBe('/body/document/entries/0/bogus');
    const badSelector = await send('POST', '/v1/plans', w.editor, {
      document: { entries: [{ selector: 'env', sso: { kind: 'disabled' } }] },
    });
    expectProblem(badSelector, 400, 'REQUEST_VALIDATION_FAILED');
    const badKind = await send('POST', '/v1/plans', w.editor, entry({ kind: 'ldap' }));
    expectProblem(badKind, 400, 'REQUEST_VALIDATION_FAILED');
    const after = await w.t.database.pool.query('SELECT count(*)::int AS n FROM plans');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  test('values that fail for an org are that org’s error, with a pointer into the document', async () => {
    const both = await send('POST', '/v1/plans', w.editor, {
      document: { entries: [{ orgs: [eu[0]], selector: 'env=prod', sso: { kind: 'disabled' } }] },
    });
    expect(both.json().errors).toEqual([
      { pointer: '/document/entries/0', detail: 'give exactly one of orgs and selector' },
    ]);
    const cases: [Record<string, unknown>, string][] = [
      [
        { kind: 'oidc', idpIssuer: 'not a url {org.slug}', idpClientId: 'x' },
        '/document/entries/0/sso/idpIssuer',
      ],
      [
        { kind: 'oidc', idpIssuer: w.idp.issuer, idpClientId: '{org.labels.nope}' },
        '/document/entries/0/sso/idpClientId',
      ],
      [
        { kind: 'oidc', idpIssuer: w.idp.issuer, idpClientId: 'x', idpClientAlg: 'RS256' },
        '/document/entries/0/sso/idpClientAlg',
      ],
    ];
    for (const [sso, pointer] of cases) {
      const res = await send('POST', '/v1/plans', w.editor, entry(sso));
      expect(res.statusCode, res.body).toBe(201);
      const [org] = res.json().orgs;
      expect(org.action, JSON.stringify(sso)).toBe('error');
      expect(org.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    // keep where there is nothing to keep
    const fresh = await createOrg(w.t.app, w.tenant.adminKey, 'nothing-to-keep');
    const keep = await send('POST', '/v1/plans', w.editor, {
      document: {
        entries: [
          {
            orgs: [fresh.slug],
            sso: { kind: 'oidc', idpIssuer: w.idp.issuer, idpClientId: 'x', idpClientSecret: { keep: true } },
          },
        ],
      },
    });
    expect(keep.json().orgs[0]).toMatchObject({
      action: 'error',
      errors: [{ pointer: '/document/entries/0/sso/idpClientSecret' }],
    });
  });

  test('roles, tenants, scopes and expiry: 403 and 404 as everywhere', async () => {
    const plan = (await send('POST', '/v1/plans', w.editor, entry({ kind: 'disabled' }))).json();
    expectProblem(await send('POST', '/v1/plans', w.auditor, entry({ kind: 'disabled' })), 403);
    expectProblem(await send('POST', `/v1/plans/${plan.id}/apply`, w.approver, {}), 403);

    const other = await createTenant(w.t.app);
    const stranger = await createKey(w.t.app, other.adminKey, ['editor', 'auditor']);
    expectProblem(await send('GET', `/v1/plans/${plan.id}`, stranger.token), 404, 'PLAN_NOT_FOUND');
    expectProblem(
      await send('POST', `/v1/plans/${plan.id}/apply`, stranger.token, {}),
      404,
      'PLAN_NOT_FOUND',
    );
    const strangerExport = (await send('GET', '/v1/sso/desired-state', stranger.token)).json();
    expect(strangerExport.entries).toEqual([]);

    const elsewhere = await createOrg(w.t.app, w.tenant.adminKey, 'scope-elsewhere');
    const scoped = await createKey(w.t.app, w.tenant.adminKey, ['editor'], [elsewhere.id]);
    expectProblem(await send('GET', `/v1/plans/${plan.id}`, scoped.token), 404, 'PLAN_NOT_FOUND');
    const scopedPlan = (await send('POST', '/v1/plans', scoped.token, entry({ kind: 'disabled' }))).json();
    expect(scopedPlan.orgs[0]).toMatchObject({ action: 'error', org: { id: null, slug: eu[0] } });

    await w.t.database.pool.query(`UPDATE plans SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      plan.id,
    ]);
    expectProblem(await send('GET', `/v1/plans/${plan.id}`, w.editor), 404, 'PLAN_NOT_FOUND');
    expectProblem(await send('POST', `/v1/plans/${plan.id}/apply`, w.editor, {}), 404, 'PLAN_NOT_FOUND');
  });
});
