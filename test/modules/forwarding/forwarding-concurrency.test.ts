/**
 * Bounded concurrency (§6): one process's worker never has more calls in progress than
 * FORWARDING_CONCURRENCY overall, nor more than FORWARDING_PER_API_BASE to one Cognigy
 * installation — counted by the installations themselves (two fakes, each an API base of its own),
 * while the outcomes of finished calls are still being written.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { concurrencyGauge, type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { samlDraft } from '../sso-versions/sso-support.js';

const CONCURRENCY = 6;
const PER_API_BASE = 4;
// Per round of the queue: two orgs at the first installation, one at the second. The first claim
// (six of the oldest) then holds four calls for the first installation, and more wait behind them.
const ROUNDS = 10;
const PER_ROUND = [0, 0, 1] as const;

let t: TestApp;
let tenant: TenantFixture;
const both = concurrencyGauge();
const fakes: FakeCognigy[] = [];

const send = (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });

beforeAll(async () => {
  for (let i = 0; i < 2; i += 1) {
    const fake = await startFakeCognigy({ https: true, sharedGauge: both });
    // Long enough that the database round trips of a claim (slow on a loaded machine) leave the
    // calls overlapping.
    fake.setLatency(300);
    fakes.push(fake);
  }
  t = await createTestApp(
    {
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      FORWARDING_POLL_MS: '50',
      FORWARDING_CONCURRENCY: String(CONCURRENCY),
      FORWARDING_PER_API_BASE: String(PER_API_BASE),
    },
    'fwdconcurrency',
    { outbound: loopbackFetch() },
  );
  tenant = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
  for (const fake of fakes) await fake.close();
});

test(`at most ${CONCURRENCY} calls at once, at most ${PER_API_BASE} to one installation`, async () => {
  const editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  const approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  const orgs: Array<{ id: string; fake: FakeCognigy }> = [];
  // The installations are mixed in the queue (claims are oldest first), so that both have calls to
  // make from the start, the first more than its bound: with alternating installations the six
  // slots split three and three, and whether one installation ever reached four was a matter of
  // timing (a CI run saw three).
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const [n, f] of PER_ROUND.entries()) {
      const fake = fakes[f] as FakeCognigy;
      // Slugs sort in the order the orgs are made (a bulk change takes the selected orgs by slug).
      const slug = `bound-${String(i).padStart(2, '0')}-${n}-at-${f}`;
      const org = await createOrg(t.app, tenant.adminKey, slug, { wave: 'bound' });
      const apiKey = `cognigy-key-${f}-${i}-${n}-0123456789abcdef`;
      fake.addKey(apiKey, org.id);
      const res = await send('PUT', `/v1/orgs/${org.id}/cognigy`, tenant.adminKey, {
        apiBase: fake.apiBase,
        apiKey,
      });
      expect(res.statusCode, res.body).toBe(200);
      orgs.push({ id: org.id, fake });
    }
  }
  // Every deployment is waiting before the worker starts: it has more work than slots throughout.
  const drafted = await send('POST', '/v1/sso/bulk', editor, {
    selector: { labels: { wave: 'bound' } },
    change: (({ decryptionPrivateKey: _key, ...withoutKey }) => withoutKey)(samlDraft()),
  });
  expect(drafted.json().summary).toMatchObject({ succeeded: orgs.length });
  const approved = await send('POST', '/v1/sso/bulk/approve', approver, { bulkId: drafted.json().bulkId });
  expect(approved.json().summary).toMatchObject({ succeeded: orgs.length });

  t.container.forwarder.start();
  const until = Date.now() + 30_000;
  while (orgs.some((o) => o.fake.stateOf(o.id)?.kind !== 'configured')) {
    if (Date.now() > until) throw new Error('not every org was configured within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  expect(both.most).toBeLessThanOrEqual(CONCURRENCY);
  for (const fake of fakes) expect(fake.gauge.most).toBeLessThanOrEqual(PER_API_BASE);
  // The bounds were reached, not merely respected by a worker that sends one call at a time.
  expect(both.most).toBe(CONCURRENCY);
  expect(fakes[0]?.gauge.most).toBe(PER_API_BASE);
}, 60_000);
