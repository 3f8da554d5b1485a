/**
 * Turns a presented API key into a Principal, or nothing. Every failure looks the same to the
 * caller (unknown, wrong secret, revoked, expired), so a key's existence is never confirmed.
 */
import type { Db } from '../../db/client.js';
import { apiKeysRepository as keys } from '../api-keys/api-keys.repository.js';
import { lookupPrefix, secretMatches } from './api-key-token.js';
import type { Principal, Role } from './principal.js';

/** How stale `last_used_at` may get before a request refreshes it (one write per key per window). */
const LAST_USED_RESOLUTION_MS = 5 * 60_000;

export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
}

export function createAuthenticator(db: Db, now: () => Date = () => new Date()): Authenticator {
  return {
    async authenticate(token) {
      if (token.length > 512) return undefined;
      const { prefix, secret } = lookupPrefix(token);
      const row = await keys.findForAuthentication(db, prefix);
      if (!row || !secretMatches(secret, row.secretHash)) return undefined;
      const at = now();
      if (row.revokedAt || (row.expiresAt && row.expiresAt <= at)) return undefined;
      if (!row.lastUsedAt || at.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
        await keys.touchLastUsed(db, row.id, at);
      }
      if (row.kind === 'platform') return { kind: 'platform', keyId: row.id, keyName: row.name };
      if (!row.tenantId) return undefined;
      return {
        kind: 'tenant',
        keyId: row.id,
        keyName: row.name,
        tenantId: row.tenantId,
        roles: row.roles as Role[],
        orgScope: row.orgScope.length > 0 ? row.orgScope : null,
      };
    },
  };
}
