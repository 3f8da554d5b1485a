/**
 * The cache, alone and inside the validator (with a fake OutboundFetch and a fake clock: no I/O).
 */
import { describe, expect, test } from 'vitest';
import { createTtlCache } from '../../../src/modules/discovery/discovery-cache.js';
import { createDiscoveryValidator } from '../../../src/modules/discovery/discovery-validator.js';
import type { OutboundFetch } from '../../../src/modules/outbound/outbound-fetch.js';

describe('the TTL cache', () => {
  test('an entry expires after its time to live', () => {
    let now = 0;
    const cache = createTtlCache<string>({ ttlMs: 100, maxEntries: 10, now: () => now });
    cache.set('a', 'A');
    now = 99;
    expect(cache.get('a')).toBe('A');
    now = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('beyond the bound, the least recently used entry goes first', () => {
    const cache = createTtlCache<string>({ ttlMs: 1000, maxEntries: 2, now: () => 0 });
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.get('a');
    cache.set('c', 'C');
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A', undefined, 'C']);
    expect(cache.size).toBe(2);
  });

  test('a time to live of 0 stores nothing', () => {
    const cache = createTtlCache<string>({ ttlMs: 0, maxEntries: 10, now: () => 0 });
    cache.set('a', 'A');
    expect(cache.get('a')).toBeUndefined();
  });
});

/** A fake IdP behind a fake OutboundFetch, counting requests per URL. */
function fakeIdps() {
  const calls = new Map<string, number>();
  const fetch: OutboundFetch = async (input) => {
    const url = String(input);
    calls.set(url, (calls.get(url) ?? 0) + 1);
    const origin = new URL(url).origin;
    if (url.endsWith('/.well-known/openid-configuration')) {
      return Response.json({
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (url.endsWith('/jwks')) {
      return Response.json({ keys: [{ kty: 'RSA', kid: 'k1', use: 'sig', n: 'AQAB', e: 'AQAB' }] });
    }
    return new Response('{}', { status: 404 });
  };
  return { fetch, calls };
}

describe('the validator’s cache', () => {
  test('reuses the document and the JWKS of an issuer within the time to live', async () => {
    let now = 1_000_000;
    const { fetch, calls } = fakeIdps();
    const validator = createDiscoveryValidator({
      fetch,
      cacheTtlMs: 60_000,
      maxCacheEntries: 10,
      now: () => now,
    });

    const first = await validator.check({ issuer: 'https://idp-a.example' });
    now += 59_999;
    const second = await validator.check({ issuer: 'https://idp-a.example' });
    expect([first.status, second.status]).toEqual(['pass', 'pass']);
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.checks.find((c) => c.name === 'document_fetched')?.message).toContain(
      'read from the cache',
    );
    expect(calls.get('https://idp-a.example/.well-known/openid-configuration')).toBe(1);
    expect(calls.get('https://idp-a.example/jwks')).toBe(1);

    now += 1;
    const expired = await validator.check({ issuer: 'https://idp-a.example' });
    expect(expired.cached).toBe(false);
    expect(calls.get('https://idp-a.example/.well-known/openid-configuration')).toBe(2);
  });

  test('refresh bypasses the cache and stores the fresh result', async () => {
    const { fetch, calls } = fakeIdps();
    const validator = createDiscoveryValidator({ fetch, cacheTtlMs: 60_000, maxCacheEntries: 10 });
    await validator.check({ issuer: 'https://idp-a.example' });
    const refreshed = await validator.check({ issuer: 'https://idp-a.example', refresh: true });
    const after = await validator.check({ issuer: 'https://idp-a.example' });
    expect([refreshed.cached, after.cached]).toEqual([false, true]);
    expect(calls.get('https://idp-a.example/.well-known/openid-configuration')).toBe(2);
  });

  test('holds at most maxCacheEntries issuers', async () => {
    const { fetch, calls } = fakeIdps();
    const validator = createDiscoveryValidator({ fetch, cacheTtlMs: 60_000, maxCacheEntries: 2 });
    for (const idp of ['a', 'b', 'c', 'a']) await validator.check({ issuer: `https://idp-${idp}.example` });
    expect(calls.get('https://idp-a.example/.well-known/openid-configuration')).toBe(2);
    expect(calls.get('https://idp-b.example/.well-known/openid-configuration')).toBe(1);
  });

  test('a failed fetch is not cached', async () => {
    let up = false;
    const { fetch: healthy } = fakeIdps();
    const fetch: OutboundFetch = async (url, options) =>
      up ? healthy(url, options) : new Response('down', { status: 503 });
    const validator = createDiscoveryValidator({ fetch, cacheTtlMs: 60_000, maxCacheEntries: 10 });
    const down = await validator.check({ issuer: 'https://idp-a.example' });
    up = true;
    const back = await validator.check({ issuer: 'https://idp-a.example' });
    expect([down.status, back.status, back.cached]).toEqual(['fail', 'pass', false]);
  });

  test('the same issuer typed differently shares one entry', async () => {
    const { fetch, calls } = fakeIdps();
    const validator = createDiscoveryValidator({ fetch, cacheTtlMs: 60_000, maxCacheEntries: 10 });
    await validator.check({ issuer: 'https://idp-a.example' });
    const pasted = await validator.check({
      issuer: 'https://idp-a.example/.well-known/openid-configuration',
    });
    const bare = await validator.check({ issuer: 'idp-a.example' });
    expect([pasted.cached, bare.cached]).toEqual([true, true]);
    expect(calls.get('https://idp-a.example/.well-known/openid-configuration')).toBe(1);
  });
});
