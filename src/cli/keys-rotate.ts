/**
 * `npm run keys:rotate`: re-wraps every data key with the newest master key in ENCRYPTION_KEYS and
 * records the rotation in the audit trail (the platform's chain, and each affected tenant's).
 * Procedure: append a new key to ENCRYPTION_KEYS on every process, run this, then remove the old key.
 */
import { systemContext } from '../lib/request-context.js';
import { createAuditService } from '../modules/audit/audit.service.js';
import { createChangeRunner } from '../modules/audit/audited-change.js';
import { loadKeyring } from '../modules/crypto/keyring-source.js';
import { idempotencyRepository } from '../modules/idempotency/idempotency.repository.js';
import { rotateMasterKey } from '../modules/secrets/rotation.js';
import { configOrExit, startRuntime } from '../runtime.js';

const runtime = await startRuntime(configOrExit(), { applicationName: 'cognigy-sso-rotate', migrate: true });
try {
  const { db, pool } = runtime.database;
  const report = await rotateMasterKey(
    { db, responses: idempotencyRepository },
    await loadKeyring(runtime.config, runtime.logger),
    runtime.logger,
  );
  const change = createChangeRunner(db, createAuditService({ db, pool }));
  await change(systemContext('keys:rotate'), async (_tx, trail) => {
    const target = { type: 'keyring' as const, id: report.activeKeyId };
    const { byTenant, ...summary } = report;
    await trail.record({ tenantId: null, action: 'keys.rotated', target, diff: { after: summary } });
    for (const [tenantId, rewrapped] of Object.entries(byTenant)) {
      await trail.record({
        tenantId,
        action: 'keys.rotated',
        target,
        diff: { after: { activeKeyId: report.activeKeyId, rewrappedKeys: rewrapped } },
      });
    }
  });
  if (report.remaining > 0) {
    runtime.logger.warn(
      { remaining: report.remaining },
      'rows were sealed by an older key during the run; run again',
    );
    process.exitCode = 2;
  }
} catch (error) {
  runtime.logger.error({ err: error }, 'key rotation failed');
  process.exitCode = 1;
} finally {
  await runtime.shutdown();
}
