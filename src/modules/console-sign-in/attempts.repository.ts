/** console_sign_in_attempts: a sign-in under way, found by the SHA-256 of its state, used once. */
import { createHash } from 'node:crypto';
import type { Db, Tx } from '../../db/client.js';

export const stateHash = (state: string) => createHash('sha256').update(state, 'utf8').digest();

export interface AttemptRow {
  readonly tenantId: string;
  /** The PKCE verifier, sealed with the tenant's data key (sign-in.service verifierLocation). */
  readonly codeVerifierSealed: string;
  readonly nonce: string;
  readonly returnTo: string;
  readonly expiresAt: Date;
}

export const attemptsRepository = {
  insert: (
    db: Db,
    a: {
      state: string;
      tenantId: string;
      codeVerifierSealed: string;
      nonce: string;
      returnTo: string;
      expiresAt: Date;
    },
  ) =>
    db
      .insertInto('console_sign_in_attempts')
      .values({
        state_hash: stateHash(a.state),
        tenant_id: a.tenantId,
        code_verifier: a.codeVerifierSealed,
        nonce: a.nonce,
        return_to: a.returnTo,
        expires_at: a.expiresAt,
      })
      .execute(),

  /** Takes the attempt of a state: deleted in the same statement, so a state works once. */
  async take(db: Db | Tx, state: string): Promise<AttemptRow | null> {
    const row = await db
      .deleteFrom('console_sign_in_attempts')
      .where('state_hash', '=', stateHash(state))
      .returning(['tenant_id', 'code_verifier', 'nonce', 'return_to', 'expires_at'])
      .executeTakeFirst();
    return row
      ? {
          tenantId: row.tenant_id,
          codeVerifierSealed: row.code_verifier,
          nonce: row.nonce,
          returnTo: row.return_to,
          expiresAt: row.expires_at,
        }
      : null;
  },

  /** Forgets attempts nobody came back for. */
  purgeExpired: (db: Db, at: Date) =>
    db.deleteFrom('console_sign_in_attempts').where('expires_at', '<', at).execute(),
};
