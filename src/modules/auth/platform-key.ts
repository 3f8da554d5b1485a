/**
 * The platform admin key (§3.3): from BOOTSTRAP_ADMIN_KEY, or generated on the very first start
 * and returned so that the server can print it once. Several processes starting together on an
 * empty database generate exactly one (advisory transaction lock).
 */
import type { Db } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { adoptApiKey, issueApiKey } from './api-key-token.js';
import { apiKeysRepository as keys } from './api-keys.repository.js';

export interface PlatformKeyOutcome {
  /** Set only when this call generated a key: print it once, it is not stored anywhere readable. */
  readonly generatedToken?: string;
  readonly source: 'environment' | 'generated' | 'existing';
}

export async function ensurePlatformKey(
  db: Db,
  bootstrapKey: string | undefined,
): Promise<PlatformKeyOutcome> {
  return inTransaction(db, async (tx) => {
    await keys.lockPlatformKeys(tx);
    if (bootstrapKey) {
      const adopted = adoptApiKey(bootstrapKey);
      if (!(await keys.existsPrefix(tx, adopted.prefix))) {
        await keys.insert(tx, {
          tenantId: null,
          kind: 'platform',
          name: 'platform admin (BOOTSTRAP_ADMIN_KEY)',
          prefix: adopted.prefix,
          secretHash: adopted.secretHash,
          roles: ['platform_admin'],
          orgScope: [],
          createdById: null,
          expiresAt: null,
        });
      }
      return { source: 'environment' };
    }
    if (await keys.hasActivePlatformKey(tx)) return { source: 'existing' };
    const issued = issueApiKey();
    await keys.insert(tx, {
      tenantId: null,
      kind: 'platform',
      name: 'platform admin (generated at first start)',
      prefix: issued.prefix,
      secretHash: issued.secretHash,
      roles: ['platform_admin'],
      orgScope: [],
      createdById: null,
      expiresAt: null,
    });
    return { source: 'generated', generatedToken: issued.token };
  });
}
