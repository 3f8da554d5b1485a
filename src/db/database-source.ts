/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR. */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseSource {
  readonly url: string;
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
    return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  }
  logger.warn('DATABASE_URL is not set: using an embedded PostgreSQL (development only)');
  const embedded = await startEmbeddedPostgres(config.dataDir, logger, whileStarting);
  return { url: embedded.url, embedded: true, stop: () => embedded.stop() };
}
