/**
 * The process: configuration → runtime (database, migrations, keyring) → container → app → listen.
 * On SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), close the pool, stop an
 * embedded database.
 */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { createContainer } from './container.js';
import { ensurePlatformKey } from './modules/auth/platform-key.js';
import { loadKeyring } from './modules/crypto/keyring-source.js';
import { configOrExit, startRuntime } from './runtime.js';

const config = configOrExit();
const runtime = await startRuntime(config, { applicationName: 'cognigy-sso', migrate: true });
const { logger } = runtime;

try {
  const platformKey = await ensurePlatformKey(runtime.database.db, config.bootstrapAdminKey);
  const keyring = await loadKeyring(config, logger);
  const container = createContainer({ ...runtime, keyring });
  const app = await buildApp(container);

  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    // Forwarding first: no new claims, calls in flight finish and record their attempt (a call
    // still running when the grace delay ends is cut off; its lease runs out and another process
    // or the next start sends it again — configure replaces, so a duplicate is harmless).
    await container.forwarder.stop(Math.floor(config.shutdownTimeoutMs / 2));
    await app.close();
    await runtime.shutdown();
    logger.info('stopped');
  });

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
  if (platformKey.generatedToken) {
    lines.push(
      '',
      '  Platform admin key (shown only this once; it creates tenants and their first admin keys):',
      `    ${platformKey.generatedToken}`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n\n`);
  if (config.forwarding.worker) container.forwarder.start();
  logger.info({ url, platformKey: platformKey.source }, 'service ready');
} catch (error) {
  logger.fatal({ err: error }, 'service failed to start');
  await runtime.shutdown().catch(() => undefined);
  process.exit(1);
}
