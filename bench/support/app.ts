/**
 * The service as a benchmark runs it in-process: a fresh database (see environment.ts), migrations,
 * the platform key, the container and the app — the same set-up as `src/server.ts` minus listening.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { type Container, createContainer } from '../../src/container.js';
import { openDatabase } from '../../src/db/client.js';
import { migrate, readMigrations } from '../../src/db/migrator.js';
import { createLogger } from '../../src/lib/logger.js';
import { ensurePlatformKey } from '../../src/modules/auth/platform-key.js';
import { parseKeyringSpec } from '../../src/modules/crypto/keyring.js';
import type { OutboundClient } from '../../src/modules/outbound/outbound-client.js';
import { type BenchDatabase, benchDatabase } from './environment.js';

export const PLATFORM_KEY = 'bench-platform-admin-key-0123456789abcdefghij';
export const BENCH_ENCRYPTION_KEYS = `bench:${Buffer.alloc(32, 7).toString('base64')}`;
/** The audit checkpoints' signing key of a production-mode bench service. */
export const BENCH_AUDIT_SIGNING_KEY = Buffer.alloc(32, 8).toString('base64');

// biome-ignore lint/suspicious/noExplicitAny: benchmarks read answers loosely, as res.json() does
type Answer = any;

export interface BenchApp {
  readonly app: FastifyInstance;
  readonly container: Container;
  readonly db: BenchDatabase;
  /** `app.inject` that throws on any status ≥ 300, returning the parsed body. */
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    key: string,
    payload?: object,
  ): Promise<Answer>;
  close(): Promise<void>;
}

export interface BenchAppOptions {
  /** Environment variables on top of the benchmark defaults (NODE_ENV=test, LOG_LEVEL=warn …). */
  readonly env?: Record<string, string>;
  readonly outbound?: OutboundClient;
  /** Use this database instead of a fresh one (it is not dropped by close()). */
  readonly databaseUrl?: string;
}

export async function startBenchApp(label: string, options: BenchAppOptions = {}): Promise<BenchApp> {
  const db: BenchDatabase = options.databaseUrl
    ? { url: options.databaseUrl, close: async () => undefined }
    : await benchDatabase(label);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...options.env,
  });
  const logger = createLogger((process.env.BENCH_LOG_LEVEL ?? 'warn') as 'warn');
  const database = openDatabase({ url: db.url, poolMax: config.dbPoolMax });
  const migrations = await readMigrations();
  await migrate(database.pool, logger, migrations);
  await ensurePlatformKey(database.db, PLATFORM_KEY);
  const container = createContainer({
    config,
    logger,
    database,
    keyring: parseKeyringSpec(config.encryptionKeys as string),
    migrations,
    outbound: options.outbound,
  });
  const app = await buildApp(container);
  return {
    app,
    container,
    db,
    async call(method, url, key, payload) {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, payload });
      if (res.statusCode >= 300)
        throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res.body ? res.json() : undefined;
    },
    async close() {
      await container.forwarder.stop();
      await app.close();
      await database.close();
      await db.close();
    },
  };
}
