/**
 * Builds the app without touching a database (the pool connects lazily and no request is made) and
 * returns its OpenAPI document: what `npm run openapi:write` commits and what the drift test compares.
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createContainer } from '../src/container.js';
import { openDatabase } from '../src/db/client.js';
import { readMigrations } from '../src/db/migrator.js';
import { createLogger } from '../src/lib/logger.js';
import { generateKeySpecEntry, parseKeyringSpec } from '../src/modules/crypto/keyring.js';

export async function generateOpenApiDocument(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused' });
  const database = openDatabase({ url: config.databaseUrl as string, poolMax: 1 });
  const container = createContainer({
    config,
    logger: createLogger('silent'),
    database,
    keyring: parseKeyringSpec(generateKeySpecEntry('openapi')),
    migrations: await readMigrations(),
  });
  const app = await buildApp(container);
  try {
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}
