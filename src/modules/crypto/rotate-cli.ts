/**
 * `npm run keys:rotate`: re-wraps every data key with the newest master key in ENCRYPTION_KEYS.
 * Procedure: append a new key to ENCRYPTION_KEYS on every process, run this, then remove the old key.
 */
import { configOrExit, startRuntime } from '../../runtime.js';
import { rotateMasterKey } from './rotation.js';

const runtime = await startRuntime(configOrExit(), { applicationName: 'cognigy-sso-rotate', migrate: true });
try {
  const report = await rotateMasterKey(runtime.database.prisma, runtime.keyring, runtime.logger);
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
