/**
 * Idempotency-Key (§3.1) for every POST: the first response to (caller, key) is kept, sealed with
 * the master key because it may hold a one-time secret (a new API key), and replayed for retries
 * of the same request; the same key with another request is 422; a retry while the first is still
 * running is 409. Responses of 5xx are not kept, so a retry after a failure runs again.
 *
 * The response is stored after the change committed; the record notes the change in the change's
 * own transaction. A retry of a request that ended without a stored response — its process died
 * after the commit, or its answer was a 5xx after the commit — is 409 IDEMPOTENCY_RESPONSE_LOST: the
 * change is made, and running it again would make it twice. A request that made no change (it died
 * before its commit, or failed) leaves nothing that holds its key: after PENDING_TAKEOVER_MS, or at
 * once after a 5xx, a retry runs again.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { ConflictError, UnprocessableError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import { associatedData } from '../crypto/associated-data.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { idempotencyRepository as records } from './idempotency.repository.js';

const PENDING_TAKEOVER_MS = 60_000;

export interface StoredResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export type BeginOutcome =
  | { kind: 'proceed'; recordId: string }
  | { kind: 'replay'; response: StoredResponse };

export interface IdempotencyServiceDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'sealWithMasterKey' | 'openWithMasterKey' | 'fingerprint'>;
  readonly ttlSeconds: number;
  readonly now?: () => Date;
}

/**
 * What identifies a request. Bodies may carry secrets (a client secret to probe, soon SSO versions),
 * so for a tenant's key the digest is keyed with the tenant's fingerprint key (HMAC): a database
 * reader cannot test guesses against it. Platform requests (tenant creation) carry no secrets.
 */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(requestText(method, path, body))
    .digest('hex');
}

const requestText = (method: string, path: string, body: unknown) =>
  `${method} ${path}\n${canonicalJson(body ?? null)}`;

export function createIdempotencyService({
  db,
  secrets,
  ttlSeconds,
  now = () => new Date(),
}: IdempotencyServiceDeps) {
  return {
    /** @param tenantId the caller's tenant (keys the request digest), null for the platform key */
    async begin(
      scope: string,
      tenantId: string | null,
      key: string,
      method: string,
      path: string,
      body: unknown,
    ): Promise<BeginOutcome> {
      const hash = tenantId
        ? await secrets.fingerprint(db, tenantId, requestText(method, path, body))
        : requestHash(method, path, body);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const at = now();
        const claimed = await records.claim(db, {
          scope,
          key,
          method,
          path,
          requestHash: hash,
          expiresAt: new Date(at.getTime() + ttlSeconds * 1000),
        });
        if (claimed) return { kind: 'proceed', recordId: claimed };
        const existing = await records.find(db, scope, key);
        if (!existing) continue; // released meanwhile: claim again
        const abandoned =
          !existing.completedAt && at.getTime() - existing.createdAt.getTime() > PENDING_TAKEOVER_MS;
        if (existing.expiresAt <= at || (abandoned && !existing.changeMadeAt)) {
          await records.release(db, existing.id);
          continue;
        }
        if (existing.requestHash !== hash) {
          throw new UnprocessableError(
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was used for a different request (method, path or body); use a new key',
          );
        }
        if (existing.changeMadeAt && (abandoned || (existing.completedAt && !existing.responseSealed))) {
          throw new ConflictError(
            'IDEMPOTENCY_RESPONSE_LOST',
            `The first request with this Idempotency-Key made its change at ${existing.changeMadeAt.toISOString()}, but its response was lost (the service stopped, or failed, before keeping it): read the resource instead of sending the request again`,
          );
        }
        if (
          !existing.completedAt ||
          !existing.responseSealed ||
          !existing.masterKeyId ||
          !existing.statusCode
        ) {
          throw new ConflictError(
            'IDEMPOTENCY_REQUEST_IN_PROGRESS',
            'The first request with this Idempotency-Key is still running',
            {
              headers: { 'retry-after': '1' },
            },
          );
        }
        const plain = secrets.openWithMasterKey(
          existing.masterKeyId,
          existing.responseSealed,
          associatedData.idempotentResponse(existing.id),
        );
        return { kind: 'replay', response: JSON.parse(plain.toString('utf8')) as StoredResponse };
      }
      throw new ConflictError(
        'IDEMPOTENCY_REQUEST_IN_PROGRESS',
        'The Idempotency-Key is contended; retry shortly',
        {
          headers: { 'retry-after': '1' },
        },
      );
    },

    async complete(recordId: string, response: StoredResponse): Promise<void> {
      if (response.statusCode >= 500 || response.statusCode === 429) {
        await records.releaseUnlessChanged(db, recordId);
        return;
      }
      const { masterKeyId, sealed } = secrets.sealWithMasterKey(
        Buffer.from(JSON.stringify(response), 'utf8'),
        associatedData.idempotentResponse(recordId),
      );
      await records.complete(db, recordId, {
        statusCode: response.statusCode,
        masterKeyId,
        responseSealed: sealed,
      });
    },

    /**
     * In the transaction of each change a request makes (the change runner's hook): its record notes
     * that the change is made, so that the note commits exactly when the change does.
     */
    async noteChangeMade(tx: Db, ctx: ChangeContext): Promise<void> {
      if (ctx.idempotencyRecordId) await records.noteChangeMade(tx, ctx.idempotencyRecordId);
    },

    /** Housekeeping: drops expired records. */
    purgeExpired: () => records.deleteExpired(db, now()),
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
