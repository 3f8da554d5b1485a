/**
 * One call to Cognigy through the real outbound client, against the fake installation: success,
 * Cognigy's refusals with their detail and traceId, retryable faults with Retry-After, resets and
 * hangs cut by the timeout — each an attempt record, never a throw, never a secret.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCognigyClient } from '../../../src/modules/cognigy/cognigy-client.js';
import { cognigyRequest } from '../../../src/modules/cognigy/cognigy-request.js';
import { classify } from '../../../src/modules/forwarding/retry-policy.js';
import { createOutboundFetch } from '../../../src/modules/outbound/outbound-client.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { testCertificates } from '../../support/tls.js';

const SECRET = 'client-secret-never-in-a-record-7f3a';
const API_KEY = 'cognigy-key-of-org-a-0123456789';
let fake: FakeCognigy;
const outbound = createOutboundFetch({
  allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] },
  allowHttp: false,
  timeoutMs: 5_000,
  ca: testCertificates().caPem,
});
const client = createCognigyClient({ fetch: outbound, timeoutMs: 400 });

const request = (apiKey = API_KEY) =>
  cognigyRequest(
    { apiBase: fake.apiBase, apiKey },
    {
      kind: 'oidc',
      idpIssuer: 'https://idp.example.com/',
      idpClientId: 'cognigy',
      idpIdTokenSignedResponseAlg: 'RS256',
      idpTokenEndpointAuthMethod: 'client_secret_basic',
      idpAdditionalScope: null,
      idpFrontChannelLogoutUrl: null,
    },
    { idpClientSecret: SECRET },
  );

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  fake.addKey(API_KEY, 'org-a');
});
afterAll(async () => {
  await fake?.close();
  await outbound.close();
});

describe('a call to Cognigy', () => {
  test('succeeds over TLS with the exact body and the key in X-API-Key', async () => {
    const attempt = await client.send(request());
    expect(attempt).toMatchObject({ outcome: { kind: 'response', status: 200 }, error: null });
    expect(classify(attempt.outcome)).toBe('success');
    expect(fake.stateOf('org-a')).toMatchObject({ kind: 'configured', body: { idpClientSecret: SECRET } });
    expect(fake.calls.at(-1)).toMatchObject({ apiKey: API_KEY, status: 200 });
  });

  test('a 401 is recorded with Cognigy’s detail and traceId, and is not retryable', async () => {
    const attempt = await client.send(request('a-revoked-key'));
    expect(attempt.outcome).toMatchObject({ kind: 'response', status: 401 });
    expect(attempt.error).toMatchObject({
      detail: 'The API key is missing or invalid',
      code: 1001,
      title: 'Unauthorized',
    });
    expect(attempt.traceId).toBe(fake.calls.at(-1)?.traceId);
    expect(classify(attempt.outcome)).toBe('fail');
    expect(JSON.stringify(attempt)).not.toContain(SECRET);
  });

  test('a 429 carries its Retry-After; a 503 is retryable', async () => {
    fake.queueFaults({ kind: 'status', status: 429, retryAfter: '3' }, { kind: 'status', status: 503 });
    const limited = await client.send(request());
    expect(limited.outcome).toEqual({ kind: 'response', status: 429, retryAfter: '3' });
    const unavailable = await client.send(request());
    expect(classify(unavailable.outcome)).toBe('retry');
    expect(unavailable.traceId).toMatch(/^api--/);
  });

  test('a reset connection and a hang become network and timeout outcomes, never a throw', async () => {
    fake.queueFaults({ kind: 'reset' });
    const reset = await client.send(request());
    expect(reset.outcome).toEqual({ kind: 'network' });
    fake.queueFaults({ kind: 'hang' });
    const hang = await client.send(request());
    expect(hang.outcome).toEqual({ kind: 'timeout' });
    expect(hang.durationMs).toBeGreaterThanOrEqual(350);
    expect(classify(hang.outcome)).toBe('retry');
    expect(JSON.stringify([reset, hang])).not.toContain(SECRET);
  });
});
