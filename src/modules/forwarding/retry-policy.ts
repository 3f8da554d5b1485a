/**
 * When to try a Cognigy call again (SPEC §6; NOTES "Cognigy.AI API"): network errors, timeouts,
 * 408, 429 and 5xx (not 511, which is about a captive portal, not Cognigy) are retried with
 * exponential backoff and full jitter, honouring `Retry-After` (seconds or an HTTP date), up to an
 * attempt cap and a total deadline; 400, 401, 403, 404 and every other answer fail at once.
 * Pure: the clock and the random source are parameters.
 */
import { backoffMs } from '../../lib/backoff.js';
import type { AttemptOutcome } from '../cognigy/cognigy-client.js';

export { backoffMs };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Backoff before the second attempt (the cap of its jitter); doubles each time. */
  readonly baseDelayMs: number;
  /** No single wait is longer (Retry-After included). */
  readonly maxDelayMs: number;
  /** From the first attempt's start: no attempt starts after this. */
  readonly deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  deadlineMs: 15 * 60_000,
};

export type Verdict = 'success' | 'retry' | 'fail';

export function classify(outcome: AttemptOutcome): Verdict {
  if (outcome.kind !== 'response') return 'retry';
  const { status } = outcome;
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || (status >= 500 && status < 600 && status !== 511)) return 'retry';
  return 'fail';
}

/**
 * `Retry-After` in milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3);
 * null when absent or unreadable (then the backoff alone decides).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and zone ("Wed, 21 Oct 2015 07:28:00 GMT"); a bare number is not one.
  if (!/^[A-Za-z]{3},\s/.test(text) || !/GMT$/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export type Decision =
  | { readonly action: 'done' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'fail'; readonly reason: 'not_retryable' | 'attempts_exhausted' | 'deadline' };

/**
 * What to do after attempt number `attempt` (1-based) of a call whose first attempt started at
 * `startedAt`.
 */
export function decide(input: {
  readonly outcome: AttemptOutcome;
  readonly attempt: number;
  readonly startedAt: number;
  readonly now: number;
  readonly policy: RetryPolicy;
  readonly random: () => number;
}): Decision {
  const { outcome, attempt, startedAt, now, policy, random } = input;
  const verdict = classify(outcome);
  if (verdict === 'success') return { action: 'done' };
  if (verdict === 'fail') return { action: 'fail', reason: 'not_retryable' };
  if (attempt >= policy.maxAttempts) return { action: 'fail', reason: 'attempts_exhausted' };
  const asked = outcome.kind === 'response' ? parseRetryAfter(outcome.retryAfter, now) : null;
  // Retry-After is a floor (the server said "not before"); the jitter still spreads the retries.
  const delayMs = Math.min(policy.maxDelayMs, Math.max(asked ?? 0, backoffMs(attempt, policy, random)));
  if (now + delayMs > startedAt + policy.deadlineMs) return { action: 'fail', reason: 'deadline' };
  return { action: 'retry', delayMs };
}
