/**
 * Exponential backoff with full jitter: the wait before attempt n+1 is uniform in
 * [0, min(max, base·2^(n-1))]. Shared by every retrying worker (forwarding, jobs). Pure: the random
 * source is a parameter.
 */
export interface Backoff {
  /** The cap of the first wait; doubles each attempt. */
  readonly baseDelayMs: number;
  /** No single wait is longer. */
  readonly maxDelayMs: number;
}

export function backoffMs(attempt: number, policy: Backoff, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
