/**
 * A claimed deployment may wait long for a slot at its Cognigy installation (a rollout of many orgs
 * at one installation, 16 at a time): its secrets — the org's Cognigy API key and the version's
 * client secret or private key — are decrypted only once it holds a slot, so none waits in memory.
 * Four orgs at one installation with a bound of one, calls answered in 500 ms: only the first
 * deployment's secrets are opened before the first answer.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCognigyClient } from '../../../src/modules/cognigy/cognigy-client.js';
import { createForwarder } from '../../../src/modules/forwarding/forwarder.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { approvedWave } from './approved-wave.js';

const ORGS = 4;
const LATENCY_MS = 500;

let t: TestApp;
let fake: FakeCognigy;

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  fake.setLatency(LATENCY_MS);
  t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1', FORWARDING_WORKER: 'false' }, 'secretsslot', {
    outbound: loopbackFetch(),
  });
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

test('secrets are opened only once the deployment holds a slot at its installation', async () => {
  const { container } = t;
  const { orgIds } = await approvedWave(t, fake, 'slotwait', ORGS);
  const opened: Array<{ what: string; at: number }> = [];
  const forwarder = createForwarder({
    db: container.database.db,
    change: container.change,
    client: createCognigyClient({ fetch: container.outbound, timeoutMs: 5_000 }),
    logger: container.logger,
    loadTarget: async (tenantId, orgId) => {
      const target = await container.orgs.findCognigyTarget(tenantId, orgId);
      return (
        target && {
          ...target,
          open: () => {
            opened.push({ what: `cognigy key of ${orgId}`, at: Date.now() });
            return target.open();
          },
        }
      );
    },
    loadVersion: async (versionId) => {
      const version = await container.ssoVersions.forwardable(versionId);
      return (
        version && {
          ...version,
          openSecrets: () => {
            opened.push({ what: `secrets of version ${versionId}`, at: Date.now() });
            return version.openSecrets();
          },
        }
      );
    },
    policy: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, deadlineMs: 30_000 },
    concurrency: ORGS, // all four claimed at once: three of them wait for the slot
    perApiBase: 1,
    leaseMs: container.config.forwarding.leaseMs,
    pollMs: 50,
  });
  forwarder.start();
  try {
    const until = Date.now() + 20_000;
    while (orgIds.some((id) => fake.stateOf(id)?.kind !== 'configured')) {
      if (Date.now() > until) throw new Error('not every org was configured');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await forwarder.stop();
  }

  expect(fake.gauge.most).toBe(1);
  expect(opened).toHaveLength(2 * ORGS); // each org's key and its version's secrets, once
  const firstArrival = Math.min(...fake.received.map((r) => r.at));
  // The first answer comes LATENCY_MS after the first call arrived; before it, only the first
  // deployment (holding the one slot) has opened anything.
  const beforeFirstAnswer = opened.filter((o) => o.at < firstArrival + LATENCY_MS / 2);
  expect(beforeFirstAnswer, JSON.stringify(opened)).toHaveLength(2);
}, 60_000);
