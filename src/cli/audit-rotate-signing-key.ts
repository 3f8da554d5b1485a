/**
 * `npm run audit:rotate-signing-key`: replaces the generated key that signs audit checkpoints
 * (`<DATA_DIR>/audit-signing-key`) by a new one. The new public key is recorded first (with the
 * audit event `audit.signing_key_added`, reason `rotation`, on the platform's chain), then the file
 * is replaced; the old public keys stay in `audit_signing_keys`, so every old checkpoint stays
 * verifiable. Restart the service's processes afterwards: until then they sign with the old key
 * (still valid). With AUDIT_SIGNING_KEY set, put a new key into it instead (it is refused here);
 * the service records the new key when it first signs with it.
 */
import { createAuditService } from '../modules/audit/audit.service.js';
import { createChangeRunner } from '../modules/audit/audited-change.js';
import { createCheckpointsService } from '../modules/audit-checkpoints/checkpoints.service.js';
import {
  assertGeneratedSigningKey,
  loadSigningKey,
  rotateGeneratedSigningKey,
} from '../modules/crypto/signing-key-source.js';
import { createJobRunner } from '../modules/jobs/job-runner.js';
import { configOrExit, startRuntime } from '../runtime.js';

const runtime = await startRuntime(configOrExit(), {
  applicationName: 'cognigy-sso-rotate-signing-key',
  migrate: true,
});
const { config, logger } = runtime;
try {
  assertGeneratedSigningKey(config);
  const { db, pool } = runtime.database;
  const previous = await loadSigningKey(config, logger);
  const jobs = createJobRunner({ db, logger, concurrency: 1, leaseSeconds: 60, pollMs: 1_000 });
  const checkpoints = createCheckpointsService({
    db,
    change: createChangeRunner(db, createAuditService({ db, pool })),
    signingKey: previous,
    jobs,
    intervalMs: config.auditCheckpointIntervalSeconds * 1000,
    logger,
  });
  await checkpoints.ensureKey(); // the old key's public half, if no process recorded it yet
  const next = await rotateGeneratedSigningKey(config, (key) =>
    checkpoints.recordRotatedKey(key, previous.kid),
  );
  logger.info(
    { previousKeyId: previous.kid, keyId: next.kid },
    'audit signing key rotated: restart the service’s processes to sign with the new key',
  );
} catch (error) {
  logger.error({ err: error }, 'audit signing key rotation failed');
  process.exitCode = 1;
} finally {
  await runtime.shutdown();
}
