/**
 * The fake Cognigy installation the forwarding tests rely on behaves like the real API where it
 * matters: the key decides the organisation, bodies are checked against Cognigy's own schemas,
 * errors have Cognigy's shape, configure replaces and reset clears, and faults come on demand.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cognigyRequest } from '../../../src/modules/cognigy/cognigy-request.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';

let fake: FakeCognigy;
const oidc = {
  kind: 'oidc',
  idpIssuer: 'https://idp.example.com/',
  idpClientId: 'cognigy',
  idpIdTokenSignedResponseAlg: 'RS256',
  idpTokenEndpointAuthMethod: 'client_secret_basic',
  idpAdditionalScope: null,
  idpFrontChannelLogoutUrl: null,
} as const;

const send = (apiKey: string, kind: 'oidc' | 'disabled' = 'oidc') => {
  const req = cognigyRequest(
    { apiBase: fake.apiBase, apiKey },
    kind === 'oidc' ? oidc : { kind: 'disabled' },
    { idpClientSecret: 'client-secret-1' },
  );
  return fetch(req.url, {
    method: req.method,
    headers: req.headers,
    ...(req.body ? { body: JSON.stringify(req.body) } : {}),
  });
};

beforeAll(async () => {
  fake = await startFakeCognigy();
  fake.addKey('key-of-org-a', 'org-a');
});
afterAll(async () => fake?.close());

describe('the fake Cognigy API', () => {
  test('configure with the exact request of the forwarder is accepted and replaces the organisation’s state', async () => {
    const res = await send('key-of-org-a');
    expect(res.status).toBe(200);
    expect(fake.stateOf('org-a')).toMatchObject({
      kind: 'configured',
      body: { idpType: 'oidc', idpClientId: 'cognigy' },
    });
    expect((await send('key-of-org-a', 'disabled')).status).toBe(200);
    expect(fake.stateOf('org-a')).toMatchObject({ kind: 'reset' });
    expect(fake.calls.at(-1)).toMatchObject({
      path: '/new/v2.0/identityprovider/reset',
      organisation: 'org-a',
      status: 200,
    });
  });

  test('an unknown key is 401 and a body Cognigy would refuse is 400, in Cognigy’s error shape', async () => {
    const unauthorized = await send('no-such-key');
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({
      status: 401,
      title: 'Unauthorized',
      traceId: expect.stringMatching(/^api--/),
    });
    const bad = await fetch(`${fake.apiBase}/v2.0/identityprovider/configure`, {
      method: 'POST',
      headers: { 'x-api-key': 'key-of-org-a', 'content-type': 'application/json' },
      body: JSON.stringify({ idpType: 'oidc', idpIssuer: 'https://idp.example.com', extra: 1 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      status: 400,
      detail: expect.stringContaining('additional properties'),
      code: 1002,
    });
  });

  test('faults come in the order queued: 429 with Retry-After, 503, a reset connection, a slow answer', async () => {
    fake.queueFaults(
      { kind: 'status', status: 429, retryAfter: '2' },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'slow', ms: 150 },
    );
    const limited = await send('key-of-org-a');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    expect((await send('key-of-org-a')).status).toBe(503);
    await expect(send('key-of-org-a')).rejects.toThrow();
    const started = Date.now();
    expect((await send('key-of-org-a')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(fake.calls.slice(-4).map((c) => c.fault)).toEqual(['status', 'status', 'reset', 'slow']);
  });

  test('a hang never answers: only the client’s timeout ends the call', async () => {
    fake.queueFaults({ kind: 'hang' });
    const outcome = await fetch(`${fake.apiBase}/v2.0/identityprovider/reset`, {
      method: 'POST',
      headers: { 'x-api-key': 'key-of-org-a' },
      signal: AbortSignal.timeout(300),
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    expect(outcome).toBe('TimeoutError');
    expect(fake.calls.at(-1)).toMatchObject({ fault: 'hang', status: 0 });
  });

  test('random faults at a given rate', async () => {
    let n = 0;
    // Each call draws once (fault or not) and, when faulted, once more (which fault).
    const seq = [0.1, 0, 0.9];
    const seeded = await startFakeCognigy({ random: () => seq[n++ % seq.length] as number });
    seeded.addKey('k', 'o');
    seeded.setFaultRate(0.3, [{ kind: 'status', status: 500 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(`${seeded.apiBase}/v2.0/identityprovider/reset`, {
        method: 'POST',
        headers: { 'x-api-key': 'k' },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([500, 200]);
    await seeded.close();
  });
});
