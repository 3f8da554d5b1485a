/**
 * Bringing the service's dependencies up and down, shared by the server and the CLIs:
 * configuration → logger → database (external or embedded) → migrations. The keyring is loaded by
 * the commands that need one (loadKeyring), so that db:migrate or audit:verify never create a key.
 */
import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import type { Database } from './db/client.js';
import { resolveDatabaseSource } from './db/database-source.js';
import { type MigrationFile, readMigrations } from './db/migrator.js';
import { createLogger } from './lib/logger.js';

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly migrations: readonly MigrationFile[];
  readonly embedded: boolean;
  /** Closes the pool and stops an embedded database this process started. */
  shutdown(): Promise<void>;
}

/** Loads the configuration or exits with one line per problem. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

export async function startRuntime(
  config: Config,
  options: {
    applicationName: string;
    migrate: boolean;
    logger?: Logger;
    /** Called once while the database starts (an embedded one's initdb or postmaster runs). */
    whileDatabaseStarts?: () => void;
  },
): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // The database client (Kysely and pg, about 200 ms to load) loads while the database starts.
  let client: Promise<typeof import('./db/client.js')> | undefined;
  const loadClient = () => {
    client ??= import('./db/client.js');
    return client;
  };
  const source = await resolveDatabaseSource(config, logger, () => {
    loadClient().catch(() => undefined); // marked handled until awaited below
    options.whileDatabaseStarts?.();
  });
  const { openDatabase } = await loadClient().catch(async (error: unknown) => {
    await source.stop().catch(() => undefined);
    throw error;
  });
  const database = openDatabase({
    url: source.url,
    poolMax: config.dbPoolMax,
    applicationName: options.applicationName,
  });
  try {
    const migrations = await readMigrations();
    if (options.migrate) {
      const { migrateAsOwner } = await import('./db/migrate-as-owner.js');
      await migrateAsOwner(database.pool, source.migrationUrl, logger, migrations);
    }
    return {
      config,
      logger,
      database,
      migrations,
      embedded: source.embedded,
      async shutdown() {
        await database.close();
        await source.stop();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    await source.stop().catch(() => undefined);
    throw error;
  }
}
