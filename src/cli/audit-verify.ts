/**
 * `npm run audit:verify`: recomputes every chain (each tenant's and the platform's), with progress,
 * and checks each against its signed checkpoints (issue 21).
 *
 *   npm run audit:verify                                  checkpoints and public keys from the database
 *   npm run audit:verify -- --keys jwks.json              …with the public keys you kept (pinned)
 *   npm run audit:verify -- --checkpoints cps.ndjson --keys jwks.json
 *                                                         …against checkpoints kept outside the database
 *
 * Keys from the database are what the database says; a copy of the JWKS kept elsewhere is what makes
 * a forged checkpoint (inserted with a key of its own) stand out. Exits 0 when every chain is intact
 * and agrees with every checkpoint, 1 otherwise, 2 when it could not run.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createAuditService } from '../modules/audit/audit.service.js';
import {
  type Checkpoint,
  checkChain,
  checkpointsOfNdjson,
  keysOfJwks,
} from '../modules/audit-checkpoints/checkpoint.js';
import { checkpointsRepository } from '../modules/audit-checkpoints/checkpoints.repository.js';
import { configOrExit, startRuntime } from '../runtime.js';

const { values: options } = parseArgs({
  options: { checkpoints: { type: 'string' }, keys: { type: 'string' } },
  strict: true,
});

const runtime = await startRuntime(configOrExit(), {
  applicationName: 'cognigy-sso-audit-verify',
  migrate: false,
});
const { logger } = runtime;
try {
  const { db, pool } = runtime.database;
  const audit = createAuditService({ db, pool });
  const keys = options.keys
    ? keysOfJwks(JSON.parse(await readFile(options.keys, 'utf8')))
    : new Map((await checkpointsRepository.keys(db)).map((k) => [k.kid, k.public_key]));
  const fromFile = options.checkpoints
    ? checkpointsOfNdjson(await readFile(options.checkpoints, 'utf8'))
    : null;
  logger.info(
    {
      keys: keys.size,
      keysFrom: options.keys ?? 'database',
      checkpointsFrom: options.checkpoints ?? 'database',
    },
    'audit verify: started',
  );
  const chains = await audit.chains();
  // A file may hold checkpoints of a chain the database no longer has at all: check those too.
  for (const c of fromFile ?? []) if (!chains.includes(c.chain)) chains.push(c.chain);
  let failed = 0;
  let total = 0;
  for (const [index, chain] of chains.entries()) {
    const result = await audit.verify(chain, {}, (checked) =>
      logger.info({ chain, checked, progress: `${index + 1}/${chains.length}` }, 'audit verify: progress'),
    );
    total += result.checked;
    const checkpoints: Checkpoint[] =
      fromFile?.filter((c) => c.chain === chain) ?? (await checkpointsRepository.ofChain(db, chain));
    const view = await checkpointsRepository.chainView(
      db,
      chain,
      checkpoints.map((c) => c.seq),
    );
    const report = checkChain(view, checkpoints, keys);
    for (const problem of report.problems) {
      logger.error({ chain, ...problem }, `audit verify: ${problem.detail}`);
    }
    if (result.ok && report.problemCount === 0) {
      logger.info(
        { chain, checked: result.checked, checkpoints: report.checked, newestSigned: report.newestSigned },
        'audit verify: chain intact',
      );
    } else {
      failed += 1;
      logger.error(
        { chain, firstMismatch: result.firstMismatch, checkpointProblems: report.problemCount },
        'audit verify: chain BROKEN',
      );
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
