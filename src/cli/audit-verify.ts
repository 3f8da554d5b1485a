/** `npm run audit:verify`: recomputes every chain (each tenant's and the platform's), with progress. */
import { createAuditService } from '../modules/audit/audit.service.js';
import { configOrExit, startRuntime } from '../runtime.js';

const runtime = await startRuntime(configOrExit(), {
  applicationName: 'cognigy-sso-audit-verify',
  migrate: false,
});
const { logger } = runtime;
try {
  const audit = createAuditService({ db: runtime.database.db, pool: runtime.database.pool });
  const chains = await audit.chains();
  let failed = 0;
  let total = 0;
  for (const [index, chain] of chains.entries()) {
    const result = await audit.verify(chain, {}, (checked) =>
      logger.info({ chain, checked, progress: `${index + 1}/${chains.length}` }, 'audit verify: progress'),
    );
    total += result.checked;
    if (result.ok) logger.info({ chain, checked: result.checked }, 'audit verify: chain intact');
    else {
      failed += 1;
      logger.error({ chain, firstMismatch: result.firstMismatch }, 'audit verify: chain BROKEN');
    }
  }
  logger.info({ chains: chains.length, events: total, broken: failed }, 'audit verify: finished');
  process.exitCode = failed > 0 ? 1 : 0;
} catch (error) {
  logger.error({ err: error }, 'audit verify failed');
  process.exitCode = 2;
} finally {
  await runtime.shutdown();
}
