/**
 * The watch against hostile IdPs (issue 17): an IdP that never answers, one that answers 5 MB, one
 * that answers HTML with 200, and one that redirects its discovery document to an address the
 * network policy forbids. Each gets its finding (the policy refusal at once — a fact; the others on
 * the second failing round in a row — network problems), a round over all of them run by the real
 * job machinery ends within its deadline despite the hanging one, and the forbidden address is never
 * connected to. A healthy IdP in the same round finds nothing; no secret reaches a finding or a log.
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
import { waitFor } from '../../support/rollout.js';
import { startHttpsServer, type TestServer } from '../../support/tls.js';
import { CLIENT_SECRET, loopbackFetch } from '../discovery/idp-servers.js';
import { oidcDraft } from '../sso-versions/sso-support.js';
import { DOCUMENT_PATH, type IdpMode, type SwitchableIdp, startSwitchableIdp } from './switchable-idp.js';

const TIMEOUT_MS = 1_000;
/** What the round may take beyond the hanging IdP's deadline: claims, polls, database writes. */
const ROUND_DEADLINE_MS = 2 * TIMEOUT_MS + 1_500;

interface Finding {
  id: string;
  kind: string;
  severity: string;
  state: string;
  subject: string;
  summary: string;
  evidence: Record<string, unknown>;
  org: { id: string; slug: string };
}

const ORGS = ['hang', 'huge', 'html', 'redirect-loopback', 'redirect-metadata', 'healthy'] as const;
type OrgName = (typeof ORGS)[number];

let t: TestApp;
let tenant: TenantFixture;
let editor: string;
/** A listener on 127.0.0.2 (loopback, but not allow-listed): any connection to it is a breach. */
let trap: TestServer;
const idps = new Map<OrgName, SwitchableIdp>();

const send = (method: 'GET' | 'POST', url: string, key: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });

async function openFindings(org: OrgName): Promise<Finding[]> {
  const res = await send('GET', `/v1/orgs/${org}/findings?state=open`, editor);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

interface JobRowLite {
  key: string;
  state: string;
  attempts: number;
  created_at: Date;
  finished_at: Date | null;
}

const jobsOf = (queue: string, prefix: string): Promise<JobRowLite[]> =>
  t.database.db
    .selectFrom('jobs')
    .select(['key', 'state', 'attempts', 'created_at', 'finished_at'])
    .where('queue', '=', queue)
    .where('key', 'like', `${prefix}%`)
    .execute();

/** Enqueues discovery round `round` on the real queue and waits for its issuer jobs; returns its duration. */
async function runRound(round: string): Promise<{ ms: number; issuerJobs: JobRowLite[] }> {
  const started = Date.now();
  await t.container.jobs.enqueue(t.database.db, [
    { queue: 'watch.round', key: round, payload: { kind: 'discovery', round } },
  ]);
  await waitFor(
    `round ${round} finished`,
    async () => {
      const list = await jobsOf('watch.issuer', `${round}:`);
      return list.length === ORGS.length && list.every((j) => j.state === 'done' || j.state === 'failed');
    },
    20_000,
  );
  const issuerJobs = await jobsOf('watch.issuer', `${round}:`);
  const [roundJob] = await jobsOf('watch.round', round);
  const ended = Math.max(...issuerJobs.map((j) => j.finished_at?.getTime() ?? Number.POSITIVE_INFINITY));
  expect(roundJob?.state).toBe('done');
  return { ms: ended - started, issuerJobs };
}

beforeAll(async () => {
  trap = await startHttpsServer((_req, res) => res.end('{}'), { host: '127.0.0.2', names: ['127.0.0.2'] });
  for (const org of ORGS) idps.set(org, await startSwitchableIdp());
  t = await createTestApp(
    {
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      OUTBOUND_TIMEOUT_MS: String(TIMEOUT_MS),
      JOBS_POLL_MS: '50',
      JOBS_CONCURRENCY: '8',
      // Unpaced: the deadline measured here is the IdPs' timeouts, not the pauses between jobs.
      WATCH_SHARE_PERCENT: '100',
    },
    'watch-hostile',
    { outbound: loopbackFetch({ timeoutMs: TIMEOUT_MS }) },
  );
  tenant = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  const approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  // drafts are validated at creation: created and approved while every IdP is healthy
  for (const org of ORGS) {
    await createOrg(t.app, tenant.adminKey, org);
    const issuer = idps.get(org)?.issuer as string;
    const draft = await send('POST', `/v1/orgs/${org}/sso/versions`, editor, {
      ...oidcDraft(issuer),
      baseVersion: 0,
    });
    expect(draft.statusCode, draft.body).toBe(201);
    const approved = await send('POST', `/v1/orgs/${org}/sso/versions/1/approve`, approver, {});
    expect(approved.statusCode, approved.body).toBe(200);
  }
  const hostile: Record<Exclude<OrgName, 'healthy'>, IdpMode> = {
    hang: { kind: 'hang' },
    huge: { kind: 'huge' },
    html: { kind: 'html' },
    'redirect-loopback': { kind: 'redirect', location: `${trap.url}${DOCUMENT_PATH}` },
    'redirect-metadata': {
      kind: 'redirect',
      location: 'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
    },
  };
  for (const [org, mode] of Object.entries(hostile)) (idps.get(org as OrgName) as SwitchableIdp).mode = mode;
  t.container.jobs.start();
}, 60_000);

afterAll(async () => {
  await t?.container.jobs.stop(1_000);
  await t?.close();
  for (const idp of idps.values()) await idp.close();
  await trap?.close();
});

describe('a discovery round over hostile IdPs, on the job queue', () => {
  test('round 1: ends within its deadline; the policy refusals are findings at once, the network problems not yet', async () => {
    const { ms, issuerJobs } = await runRound('discovery:test-1');
    expect(ms).toBeLessThan(ROUND_DEADLINE_MS);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50); // the hanging IdP was waited for, up to its deadline
    expect(issuerJobs.every((j) => j.state === 'done' && j.attempts === 1)).toBe(true);
    for (const org of ORGS) expect(idps.get(org)?.served.documents, org).toBe(2); // validation + this round

    const blocked = await openFindings('redirect-loopback');
    expect(blocked.map((f) => `${f.kind}:${f.severity}`)).toEqual(['idp_blocked_by_policy:critical']);
    expect(blocked[0]?.subject).toBe(idps.get('redirect-loopback')?.issuer);
    expect(JSON.stringify(blocked[0]?.evidence)).toContain('127.0.0.2');
    expect(blocked[0]?.summary).toMatch(/network policy refuses/);
    const metadata = await openFindings('redirect-metadata');
    expect(metadata.map((f) => `${f.kind}:${f.severity}`)).toEqual(['idp_blocked_by_policy:critical']);
    expect(JSON.stringify(metadata[0]?.evidence)).toContain('169.254.169.254');

    for (const org of ['hang', 'huge', 'html', 'healthy'] as const)
      expect(await openFindings(org), org).toEqual([]);
    expect(trap.connections).toBe(0);
    expect(trap.requests).toBe(0);
  });

  test('round 2: each hostile IdP has its finding, naming its problem; the healthy one none; still within the deadline', async () => {
    const { ms } = await runRound('discovery:test-2');
    expect(ms).toBeLessThan(ROUND_DEADLINE_MS);

    const only = async (org: OrgName) => {
      const list = await openFindings(org);
      expect(
        list.map((f) => `${f.kind}:${f.severity}`),
        org,
      ).toEqual([org.startsWith('redirect') ? 'idp_blocked_by_policy:critical' : 'idp_unreachable:critical']);
      const [finding] = list as [Finding];
      expect(finding.subject).toBe(idps.get(org)?.issuer);
      return finding;
    };
    const hang = await only('hang');
    expect(hang.evidence).toMatchObject({
      check: 'document_fetched',
      failingRounds: 2,
      details: { reason: 'timeout' },
    });
    expect(String(hang.evidence.message)).toMatch(/did not answer .* in time/);
    const huge = await only('huge');
    expect(huge.evidence).toMatchObject({ failingRounds: 2, details: { reason: 'too_large' } });
    expect(String(huge.evidence.message)).toMatch(/larger than 1 MB/);
    // the reading stopped near the cap: far less than the 5 MB offered was sent
    expect(idps.get('huge')?.hugeBytesWritten).toBeLessThan(5 * 1024 * 1024);
    const html = await only('html');
    expect(html.evidence).toMatchObject({
      failingRounds: 2,
      details: { httpStatus: 200, contentType: 'text/html' },
    });
    expect(String(html.evidence.message)).toMatch(/not JSON/);
    // the policy findings are the same ones, seen again (not opened twice)
    const blocked = await only('redirect-loopback');
    const opened = await send('GET', `/v1/audit-events?action=finding.opened`, tenant.adminKey);
    expect(opened.statusCode, opened.body).toBe(200);
    const openedFor = (id: string) =>
      opened.json().items.filter((e: { target: { id: string } }) => e.target.id === id).length;
    expect(openedFor(blocked.id)).toBe(1);
    expect(openedFor(hang.id)).toBe(1);
    expect(await openFindings('healthy')).toEqual([]);
    expect(trap.connections).toBe(0);
  });

  test('POST /v1/orgs/{org}/watch/run checks one org at once, within the deadline, with the same findings', async () => {
    for (const org of ['hang', 'redirect-loopback'] as const) {
      const started = performance.now();
      const res = await send('POST', `/v1/orgs/${org}/watch/run`, editor, {});
      const ms = performance.now() - started;
      expect(res.statusCode, res.body).toBe(200);
      expect(ms).toBeLessThan(ROUND_DEADLINE_MS);
      const body = res.json();
      expect(body.issuers).toBe(1);
      expect(body.opened).toBe(0); // the finding is already open
      expect(body.open.map((f: Finding) => f.kind)).toEqual([
        org === 'hang' ? 'idp_unreachable' : 'idp_blocked_by_policy',
      ]);
    }
    expect(trap.connections).toBe(0);
  });

  test('no secret in any finding or log line; the audit chain verifies', async () => {
    const all = await send('GET', `/v1/findings?state=open`, tenant.adminKey);
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().items).toHaveLength(5);
    expect(all.body).not.toContain(CLIENT_SECRET);
    const logs = t.logs.join('\n');
    expect(logs).toContain('watch: discovery round started');
    expect(logs).not.toContain(CLIENT_SECRET);
    const verify = await send('GET', '/v1/audit-events/verify', tenant.adminKey);
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true });
  });
});
