/** The audit actions of signed checkpoints (see modules/audit/audit-actions.ts). */
import type { Created } from '../audit/audit-actions.js';

declare module '../audit/audit-actions.js' {
  interface AuditActions {
    /**
     * A checkpoint of this chain: recorded first, then the chain's head (this very event) is signed,
     * so the checkpoint covers its own record and the chain has not moved since (README, "Signed
     * checkpoints"). The signature is in the checkpoint, not here: it covers this event's hash.
     */
    'audit.checkpointed': {
      target: 'audit_trail';
      diff: Created<{ readonly keyId: string; readonly reason: 'interval' | 'request' }>;
    };
    /** A public key joins the signing keys (on the platform's chain): first used, or a rotation's new key. */
    'audit.signing_key_added': {
      target: 'audit_signing_key';
      diff: Created<{
        readonly keyId: string;
        /** The public key (JWK `x`); never the private half. */
        readonly publicKey: string;
        readonly reason: 'first_use' | 'rotation';
        readonly previousKeyId: string | null;
      }>;
    };
  }
}
