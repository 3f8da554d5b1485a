/** The retry policy of §6 as pure decisions: what is retried, how long to wait, when to give up. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  backoffMs,
  classify,
  DEFAULT_RETRY_POLICY,
  decide,
  parseRetryAfter,
  type RetryPolicy,
} from '../../../src/modules/forwarding/retry-policy.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');
const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, deadlineMs: 60_000 };

describe('classify', () => {
  test.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [511, 'fail'],
    [400, 'fail'],
    [401, 'fail'],
    [403, 'fail'],
    [404, 'fail'],
    [409, 'fail'],
    [301, 'fail'],
  ] as const)('HTTP %i → %s', (status, verdict) => {
    expect(classify({ kind: 'response', status })).toBe(verdict);
  });

  test('network errors and timeouts are retried', () => {
    expect(classify({ kind: 'network' })).toBe('retry');
    expect(classify({ kind: 'timeout' })).toBe('retry');
  });
});

describe('Retry-After', () => {
  test('as seconds or as an HTTP date, relative to now; anything else is ignored', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', NOW)).toBe(0); // in the past: now
    for (const bad of [null, undefined, '', '-5', '1.5', 'soon', '2026-11-27T10:00:30Z', '99999999999']) {
      expect(parseRetryAfter(bad, NOW), String(bad)).toBeNull();
    }
  });

  test('is honoured as a floor for the wait (bounded by maxDelayMs)', () => {
    const d = decide({
      outcome: { kind: 'response', status: 429, retryAfter: '7' },
      attempt: 1,
      startedAt: NOW,
      now: NOW,
      policy,
      random: () => 0,
    });
    expect(d).toEqual({ action: 'retry', delayMs: 7_000 });
    const capped = decide({
      outcome: { kind: 'response', status: 503, retryAfter: '3600' },
      attempt: 1,
      startedAt: NOW,
      now: NOW,
      policy,
      random: () => 0,
    });
    expect(capped).toEqual({ action: 'retry', delayMs: policy.maxDelayMs });
  });
});

describe('backoff and giving up', () => {
  test('full jitter: every wait lies in [0, min(max, base·2^(n-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (n, r) => {
          const wait = backoffMs(n, DEFAULT_RETRY_POLICY, () => r);
          const ceiling = Math.min(
            DEFAULT_RETRY_POLICY.maxDelayMs,
            DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (n - 1),
          );
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThan(Math.max(1, ceiling));
        },
      ),
    );
  });

  test('stops after maxAttempts, and never schedules an attempt past the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.option(fc.integer({ min: 0, max: 100 }).map(String)),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (attempt, elapsed, retryAfter, r) => {
          const d = decide({
            outcome: { kind: 'response', status: 503, retryAfter },
            attempt,
            startedAt: NOW,
            now: NOW + elapsed,
            policy,
            random: () => r,
          });
          if (attempt >= policy.maxAttempts)
            expect(d).toEqual({ action: 'fail', reason: 'attempts_exhausted' });
          else if (d.action === 'retry') expect(elapsed + d.delayMs).toBeLessThanOrEqual(policy.deadlineMs);
          else expect(d).toEqual({ action: 'fail', reason: 'deadline' });
        },
      ),
    );
  });

  test('a refusal fails at once, whatever the attempt', () => {
    for (const status of [400, 401, 403, 404]) {
      const d = decide({
        outcome: { kind: 'response', status },
        attempt: 1,
        startedAt: NOW,
        now: NOW,
        policy,
        random: () => 0.5,
      });
      expect(d).toEqual({ action: 'fail', reason: 'not_retryable' });
    }
    expect(
      decide({
        outcome: { kind: 'response', status: 200 },
        attempt: 3,
        startedAt: NOW,
        now: NOW,
        policy,
        random: () => 0.5,
      }),
    ).toEqual({ action: 'done' });
  });
});
