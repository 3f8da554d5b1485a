/**
 * The worker of the queue `webhook.delivery` (one job per delivery, on the job runner): loads the
 * delivery with its event and endpoint, signs the body (Standard Webhooks; with both secrets while a
 * rotation overlaps), POSTs it through the outbound network policy with a short deadline, and records
 * the attempt with the delivery's new state. 2xx: delivered. Network errors, timeouts, 408, 429 and
 * 5xx: retried with backoff (or at the receiver's `Retry-After`) until the retry window has passed.
 * Anything else (another 4xx, a refusal of the network policy): failed at once. An endpoint failing
 * for longer than the disable time is disabled, audited, and announced to the tenant's other endpoints.
 *
 * Loads and records are batched across the jobs running at once (lib/coalesce.ts): a busy worker
 * pays a few statements per batch of deliveries, not per delivery.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { type Backoff, backoffMs } from '../../lib/backoff.js';
import { coalesced } from '../../lib/coalesce.js';
import { systemContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { type JobContext, LeaseLostError, RetryJobError } from '../jobs/job-runner.js';
import { OutboundError, type OutboundFetch } from '../outbound/outbound-fetch.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import type { WebhookMetrics } from './webhook-metrics.js';
import { secretKey, signatureHeader } from './webhook-signature.js';
import { secretLocation } from './webhook-view.js';
import {
  type AttemptOutcome,
  type DeliveryToSend,
  webhooksRepository as repo,
} from './webhooks.repository.js';

export interface DeliveryPolicy extends Backoff {
  /** Deadline of one attempt (connection, answer and body). */
  readonly timeoutMs: number;
  /** How long after its event a delivery is retried. */
  readonly retryWindowMs: number;
  /** An endpoint failing for longer than this is disabled. */
  readonly disableAfterMs: number;
}

export interface WebhookSenderDeps {
  readonly db: Db;
  readonly fetch: OutboundFetch;
  readonly secrets: Pick<SecretsService, 'openTenantSecret'>;
  readonly change: ChangeRunner;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly policy: DeliveryPolicy;
  readonly metrics?: WebhookMetrics;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Longest excerpt of a receiver's answer that is kept (only of answers that are not 2xx). */
export const EXCERPT_CHARS = 256;
const MAX_RESPONSE_BYTES = 64 * 1024;
const RETRYABLE_STATUS = (s: number) => s === 408 || s === 429 || s >= 500;
const USER_AGENT = 'cognigy-sso-webhooks/1';

/** `Retry-After` in ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function excerptOf(text: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean === '' ? null : clean.slice(0, EXCERPT_CHARS);
}

interface Result {
  outcome: AttemptOutcome['outcome'];
  httpStatus: number | null;
  error: string | null;
  excerpt: string | null;
  retryAfter?: number;
}

export function createWebhookSender(deps: WebhookSenderDeps) {
  const { db, policy, logger } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  const load = coalesced(async (ids: readonly string[]) => {
    const found = await repo.loadForSending(db, ids);
    return ids.map((id) => found.get(id));
  });
  // Attempts are recorded in batches, each with the completion of the jobs it settles (one worker
  // per runner: the batch's lease owner is the first's); answers whether the job was completed.
  const record = coalesced(async (batch: ReadonlyArray<{ outcome: AttemptOutcome; worker: string }>) => {
    const { completed, failing } = await repo.recordAttempts(
      db,
      batch.map((b) => b.outcome),
      new Date(now() - policy.disableAfterMs),
      batch[0]?.worker ?? '',
    );
    for (const endpoint of failing) void disable(endpoint);
    return batch.map((b) => b.outcome.jobId !== null && completed.has(b.outcome.jobId));
  });

  /** Disables an endpoint failing for too long: audited, and announced to the tenant's other endpoints. */
  async function disable(e: { endpointId: string; tenantId: string; url: string; failingSince: Date }) {
    const hours = Math.round(policy.disableAfterMs / 3_600_000);
    const reason = `every delivery failed since ${e.failingSince.toISOString()} (longer than ${hours} h)`;
    try {
      await deps.change(systemContext('webhooks'), async (tx, trail) => {
        const row = await repo.disableEndpoint(tx, e.endpointId, reason);
        if (!row) return trail.unchanged();
        await trail.record({
          tenantId: e.tenantId,
          action: 'webhook.disabled',
          target: { type: 'webhook', id: e.endpointId },
          diff: {
            before: { enabled: true },
            after: { enabled: false, url: row.url, disabledReason: reason },
          },
        });
      });
      logger.warn(
        { webhook: e.endpointId, tenant: e.tenantId },
        'webhooks: endpoint disabled (failing too long)',
      );
    } catch (err) {
      logger.warn({ err, webhook: e.endpointId }, 'webhooks: disabling a failing endpoint failed');
    }
  }

  async function signingKeys(d: DeliveryToSend): Promise<Buffer[]> {
    const keys = [
      secretKey(
        await deps.secrets.openTenantSecret(
          db,
          secretLocation(d.tenantId, d.endpointId, 'current'),
          d.secretSealed,
        ),
      ),
    ];
    if (d.previousSecretSealed && d.previousSecretExpiresAt && d.previousSecretExpiresAt.getTime() > now()) {
      const previous = await deps.secrets.openTenantSecret(
        db,
        secretLocation(d.tenantId, d.endpointId, 'previous'),
        d.previousSecretSealed,
      );
      keys.push(secretKey(previous));
    }
    return keys;
  }

  async function send(d: DeliveryToSend, signal: AbortSignal): Promise<Result> {
    const timestamp = Math.floor(now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': d.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(await signingKeys(d), { id: d.eventId, timestamp, body: d.body }),
    };
    try {
      const res = await deps.fetch(d.url, {
        method: 'POST',
        headers,
        body: d.body,
        timeoutMs: policy.timeoutMs,
        maxRedirects: 2,
        maxBytes: MAX_RESPONSE_BYTES,
        signal,
      });
      if (res.status >= 200 && res.status < 300)
        return { outcome: 'delivered', httpStatus: res.status, error: null, excerpt: null };
      const excerpt = excerptOf(await res.text());
      const error = `HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (a redirect beyond the ones followed)' : ''}`;
      if (RETRYABLE_STATUS(res.status)) {
        return {
          outcome: 'retryable',
          httpStatus: res.status,
          error,
          excerpt,
          retryAfter: retryAfterMs(res.headers.get('retry-after'), now()),
        };
      }
      return { outcome: 'failed', httpStatus: res.status, error, excerpt };
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err; // the worker is stopping: the job is released
      const retry = err.reason === 'network' || err.reason === 'timeout' || err.reason === 'resolve';
      return { outcome: retry ? 'retryable' : 'failed', httpStatus: null, error: err.detail, excerpt: null };
    }
  }

  /** The handler of one delivery's job. */
  return async function deliver(ctx: JobContext): Promise<undefined | 'completed'> {
    const d = await load(ctx.job.key);
    // Gone with its endpoint, or already settled (a job run again after its outcome was written).
    if (d?.state !== 'pending') return;
    if (!d.enabled) {
      await repo.failUnsent(db, d.id, 'the endpoint is disabled; not sent');
      return;
    }
    const startedAt = new Date(now());
    const t0 = performance.now();
    const result = await send(d, ctx.signal);
    const durationMs = performance.now() - t0;
    let nextAttemptAt: Date | null = null;
    if (result.outcome === 'retryable') {
      // The receiver's Retry-After is honoured as it is (within the retry window); otherwise backoff.
      const wait =
        result.retryAfter ?? Math.max(policy.baseDelayMs / 10, backoffMs(d.attempts + 1, policy, random));
      if (now() + wait > d.createdAt.getTime() + policy.retryWindowMs) {
        result.outcome = 'failed';
        result.error = `${result.error}; given up: retried for ${Math.round(policy.retryWindowMs / 60_000)} minutes`;
      } else {
        nextAttemptAt = new Date(now() + wait);
      }
    }
    const completed = await record({
      worker: ctx.worker,
      outcome: {
        deliveryId: d.id,
        // settled: its job is completed with the record; to be retried: the runner reschedules it
        jobId: nextAttemptAt ? null : ctx.job.id,
        number: d.attempts + 1,
        startedAt,
        durationMs,
        outcome: result.outcome,
        httpStatus: result.httpStatus,
        error: result.error,
        responseExcerpt: result.excerpt,
        nextAttemptAt,
      },
    });
    deps.metrics?.attempt(result.outcome, result.httpStatus, durationMs);
    if (nextAttemptAt) throw new RetryJobError(result.error ?? 'retry', nextAttemptAt.getTime() - now());
    // Not completed: another worker took the job over (its lease ran out); it will send it again.
    if (!completed) throw new LeaseLostError(ctx.job.id);
    return 'completed';
  };
}
