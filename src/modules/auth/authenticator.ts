/**
 * Turns a presented API key into a Principal, or nothing. Every failure looks the same to the
 * caller (unknown, wrong secret, revoked, expired), so a key's existence is never confirmed.
 *
 * A verified key is cached in memory for `cacheTtlMs` (AUTH_CACHE_TTL_SECONDS), keyed by the
 * SHA-256 of the whole presented token — never by the token itself — so that a request costs no
 * database round trip. What that trades, bounded: a key revoked by another process (or directly in
 * the database) keeps working here for at most `cacheTtlMs`; a key revoked through this process is
 * forgotten at once (`forget`). Expiry is checked on every request against the cached `expiresAt`.
 * Failures are never cached (the failure rate limit bounds their cost).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/client.js';
import { lookupPrefix, secretMatches } from './api-key-token.js';
import { apiKeysRepository as keys } from './api-keys.repository.js';
import type { Principal, Role } from './principal.js';

/** How stale `last_used_at` may get before a request refreshes it (one write per key per window). */
const LAST_USED_RESOLUTION_MS = 5 * 60_000;

export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
  /** Drops a key from the cache (after its revocation committed). */
  forget(keyId: string): void;
}

export interface AuthenticatorOptions {
  /** How long a verified key is trusted without asking the database; 0 disables the cache. */
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries?: number;
  readonly now?: () => Date;
}

interface CachedKey {
  readonly principal: Principal;
  readonly expiresAt: Date | null;
  lastUsedAt: Date | null;
}

const tokenDigest = (token: string) => createHash('sha256').update(token, 'utf8').digest('base64url');

export function createAuthenticator(db: Db, options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? (() => new Date());
  const cache =
    options.cacheTtlMs > 0
      ? new LRUCache<string, CachedKey>({ max: options.cacheMaxEntries ?? 10_000, ttl: options.cacheTtlMs })
      : undefined;

  async function touch(entry: { readonly principal: Principal; lastUsedAt: Date | null }, at: Date) {
    if (entry.lastUsedAt && at.getTime() - entry.lastUsedAt.getTime() <= LAST_USED_RESOLUTION_MS) return;
    entry.lastUsedAt = at;
    await keys.touchLastUsed(db, entry.principal.keyId, at);
  }

  async function lookup(token: string, at: Date): Promise<CachedKey | undefined> {
    const { prefix, secret } = lookupPrefix(token);
    const row = await keys.findForAuthentication(db, prefix);
    if (!row || !secretMatches(secret, row.secretHash)) return undefined;
    if (row.revokedAt || (row.expiresAt && row.expiresAt <= at)) return undefined;
    let principal: Principal;
    if (row.kind === 'platform') principal = { kind: 'platform', keyId: row.id, keyName: row.name };
    else if (!row.tenantId) return undefined;
    else
      principal = {
        kind: 'tenant',
        keyId: row.id,
        keyName: row.name,
        tenantId: row.tenantId,
        roles: row.roles as Role[],
        orgScope: row.orgScope.length > 0 ? row.orgScope : null,
      };
    return { principal, expiresAt: row.expiresAt, lastUsedAt: row.lastUsedAt };
  }

  return {
    async authenticate(token) {
      if (token.length > 512) return undefined;
      const at = now();
      const digest = cache ? tokenDigest(token) : '';
      let entry = cache?.get(digest);
      if (entry?.expiresAt && entry.expiresAt <= at) {
        cache?.delete(digest);
        return undefined;
      }
      if (!entry) {
        entry = await lookup(token, at);
        if (!entry) return undefined;
        cache?.set(digest, entry);
      }
      await touch(entry, at);
      return entry.principal;
    },

    forget(keyId) {
      if (!cache) return;
      for (const [digest, entry] of cache.entries()) {
        if (entry.principal.keyId === keyId) cache.delete(digest);
      }
    },
  };
}
