/**
 * Idempotency-Key (§3.1) for every POST: the first response to (caller, key) is kept, sealed with
 * the master key because it may hold a one-time secret (a new API key), and replayed for retries
 * of the same request; the same key with another request is 422; a retry while the first is still
 * running is 409. Responses of 5xx are not kept, so a retry after a failure runs again.
 *
 * Known limit: the record is completed after the change committed; a crash between the two leaves a
 * pending record that is taken over after PENDING_TAKEOVER_MS, and the retry runs again.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { ConflictError, UnprocessableError } from '../../lib/errors.js';
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
        if (existing.expiresAt <= at || abandoned) {
          await records.release(db, existing.id);
          continue;
        }
        if (existing.requestHash !== hash) {
          throw new UnprocessableError(
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was used for a different request (method, path or body); use a new key',
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
        await records.release(db, recordId);
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

    /** Housekeeping: drops expired records. */
    purgeExpired: () => records.deleteExpired(db, now()),
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
