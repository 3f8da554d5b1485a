/**
 * One call to a Cognigy installation (SPEC §6): sends a configure or reset request through the
 * outbound policy and tells what came of it — success, or Cognigy's refusal with its `detail`,
 * `code` and `traceId`, or a network failure or timeout — as an attempt record. It never throws
 * for anything Cognigy or the network does, and never logs or returns the request's secrets.
 * The retry decisions are forwarding/retry-policy.ts's; the worker (forwarding/forwarder.ts) puts the
 * two together.
 */
import { performance } from 'node:perf_hooks';
import { OutboundError, type OutboundFetch } from '../outbound/outbound-fetch.js';
import type { CognigyRequest } from './cognigy-request.js';

/** Largest answer read from Cognigy (its answers are small JSON documents). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** What one attempt came to: Cognigy's answer, or no answer (network failure, timeout). */
export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | null }
  | { readonly kind: 'network' | 'timeout' };

export interface CognigyAttempt {
  readonly outcome: AttemptOutcome;
  readonly durationMs: number;
  /** Cognigy's trace id of the call (from its error body), when it gave one. */
  readonly traceId: string | null;
  /** What went wrong, for people: Cognigy's detail, or the network failure. Never a secret. */
  readonly error: {
    readonly detail: string;
    readonly code: string | number | null;
    readonly title: string | null;
  } | null;
}

function text(value: unknown, max = 2000): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

export function createCognigyClient(deps: { readonly fetch: OutboundFetch; readonly timeoutMs: number }) {
  return {
    /** @param signal aborts the call (graceful shutdown): the outcome is then a network failure. */
    async send(request: CognigyRequest, signal?: AbortSignal): Promise<CognigyAttempt> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let res: Response;
      try {
        res = await deps.fetch(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body ? { body: JSON.stringify(request.body) } : {}),
          maxBytes: MAX_ANSWER_BYTES,
          timeoutMs: deps.timeoutMs,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        const reason = error instanceof OutboundError ? error.reason : 'network';
        return {
          outcome: { kind: reason === 'timeout' ? 'timeout' : 'network' },
          durationMs: elapsed(),
          traceId: null,
          error: {
            detail: error instanceof OutboundError ? error.detail : 'The request failed',
            code: reason,
            title: null,
          },
        };
      }
      const outcome: AttemptOutcome = {
        kind: 'response',
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
      };
      if (res.status >= 200 && res.status < 300) {
        return { outcome, durationMs: elapsed(), traceId: null, error: null };
      }
      // Cognigy's errors: {type, title, status, detail, instance, code, traceId, details}.
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(await res.text());
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          body = parsed as Record<string, unknown>;
      } catch {
        // not JSON: the status says enough
      }
      const code = typeof body.code === 'number' || typeof body.code === 'string' ? body.code : null;
      return {
        outcome,
        durationMs: elapsed(),
        traceId: text(body.traceId, 200),
        error: {
          detail: text(body.detail) ?? `Cognigy answered HTTP ${res.status}`,
          code,
          title: text(body.title, 200),
        },
      };
    },
  };
}

export type CognigyClient = ReturnType<typeof createCognigyClient>;
