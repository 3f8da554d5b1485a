/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR. */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseSource {
  /** What the service connects as: its runtime role. */
  readonly url: string;
  /**
   * What migrates: the role that owns the schema (MIGRATION_DATABASE_URL, or the embedded
   * database's owner role). Undefined: `url` migrates too (and owns what it makes).
   */
  readonly migrationUrl: string | undefined;
  readonly embedded: boolean;
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

/** `whileStarting` is called once, when the caller may do other work while the database starts. */
export async function resolveDatabaseSource(
  config: Config,
  logger: Logger,
  whileStarting: () => void = () => undefined,
): Promise<DatabaseSource> {
  if (config.databaseUrl) {
    whileStarting();
    return {
      url: config.databaseUrl,
      migrationUrl: config.migrationDatabaseUrl,
      embedded: false,
      stop: async () => undefined,
    };
  }
  logger.warn('DATABASE_URL is not set: using an embedded PostgreSQL (development only)');
  const embedded = await startEmbeddedPostgres(config.dataDir, logger, whileStarting);
  try {
    // Loaded here: pg is not needed before the cluster runs (start time).
    const { ensureEmbeddedRoles } = await import('./embedded-roles.js');
    const roles = await ensureEmbeddedRoles(config.dataDir, embedded.url, logger);
    return { ...roles, embedded: true, stop: () => embedded.stop() };
  } catch (error) {
    await embedded.stop().catch(() => undefined);
    throw error;
  }
}
