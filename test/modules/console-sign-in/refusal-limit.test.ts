/**
 * Refused sign-ins are audit events, so an unauthenticated caller could fill the trail with them:
 * past AUTH_FAILURE_LIMIT refusals per address and window, the callback answers 429 with
 * Retry-After, and records nothing more.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../support/app.js';
import { countEvents } from '../../support/audit.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(
    { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' },
    'console-refusal-limit',
  );
});
afterAll(async () => t?.close());

it('answers 429 after the limit of refused sign-ins from one address, and writes no more events', async () => {
  const callback = (state: string) =>
    t.app.inject({ method: 'GET', url: `/ui/auth/callback?code=x&state=${state}` });
  const before = await countEvents(t.database.pool);
  for (const state of ['a', 'b', 'c']) expect((await callback(state)).statusCode).toBe(400);
  expect(await countEvents(t.database.pool)).toBe(before + 3);
  const limited = await callback('d');
  expect(limited.statusCode).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  expect(limited.body).toMatch(/Too many refused sign-ins/);
  expect(limited.headers['set-cookie']).toBeUndefined();
  expect(await countEvents(t.database.pool)).toBe(before + 3);
  // another address is not limited
  const other = await t.app.inject({
    method: 'GET',
    url: '/ui/auth/callback?code=x&state=e',
    remoteAddress: '203.0.113.9',
  });
  expect(other.statusCode).toBe(400);
});
