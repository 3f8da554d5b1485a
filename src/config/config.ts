/**
 * The only reader of `process.env`. Every variable is validated at start; a bad value stops the
 * start with one line per problem, naming the variable and what it expects.
 */
import { isIP } from 'node:net';
import { bool, cleanEnv, EnvMissingError, makeValidator, num, port, str } from 'envalid';
import { parseKeySpecEntries } from './keyring-spec.js';
import { parseSigningKeySpec } from './signing-key-spec.js';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Exceptions to the outbound network policy (§8): hostnames and CIDR ranges. */
export interface OutboundAllowlist {
  readonly hosts: readonly string[];
  readonly cidrs: readonly string[];
}

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly dataDir: string;
  /** Absent: an embedded PostgreSQL is started under `dataDir` (never in production). */
  readonly databaseUrl: string | undefined;
  /**
   * The role that owns the schema and runs the migrations (issue 21); absent: DATABASE_URL migrates.
   * Only with DATABASE_URL: the embedded database sets up both roles itself.
   */
  readonly migrationDatabaseUrl: string | undefined;
  readonly dbPoolMax: number;
  /** Keyring spec `id:base64key,…`; absent outside production: generated once into `dataDir`. */
  readonly encryptionKeys: string | undefined;
  readonly bootstrapAdminKey: string | undefined;
  /** The audit checkpoints' Ed25519 key (signing-key-spec.ts); absent outside production: generated into `dataDir`. */
  readonly auditSigningKey: string | undefined;
  /** Signed checkpoints of the audit chains that moved (issue 21): how often, in seconds. */
  readonly auditCheckpointIntervalSeconds: number;
  readonly outbound: {
    readonly allowlist: OutboundAllowlist;
    readonly allowHttp: boolean;
    readonly timeoutMs: number;
  };
  /** Discovery documents and JWKS are cached per issuer (§5). */
  readonly discoveryCache: { readonly ttlSeconds: number; readonly maxEntries: number };
  readonly trustProxy: boolean;
  readonly shutdownTimeoutMs: number;
  readonly idempotencyTtlSeconds: number;
  readonly authFailures: { readonly limit: number; readonly windowSeconds: number };
  /** How long a verified API key is trusted without a database read (0: never); bounds revocation delay. */
  readonly authCacheTtlMs: number;
  /** How long a plan of SSO as code is kept (issue 19): apply it within this time, or plan again. */
  readonly planTtlSeconds: number;
  /** Forwarding approved versions to Cognigy (§6). */
  readonly forwarding: {
    /** Run the forwarding worker in this process. */
    readonly worker: boolean;
    readonly concurrency: number;
    /** Calls in flight at once to one Cognigy installation. */
    readonly perApiBase: number;
    /** `perApiBase` holds across every process on the database (true) or per process (false). */
    readonly perApiBaseShared: boolean;
    readonly leaseMs: number;
    readonly pollMs: number;
    readonly callTimeoutMs: number;
    readonly maxAttempts: number;
    readonly deadlineMs: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
  };
  /** The job queue of background work other than forwarding (the watch's rounds). */
  readonly jobs: {
    /** Run the job worker (and the watch's schedule) in this process. */
    readonly worker: boolean;
    readonly concurrency: number;
    readonly leaseSeconds: number;
    readonly pollMs: number;
    readonly retentionDays: number;
  };
  /** Webhook deliveries (issue 18), sent by the job runner's `webhook.delivery` queue. */
  readonly webhooks: {
    /** Deliveries in flight at once per process (its own slots on the jobs table). */
    readonly concurrency: number;
    /** Deadline of one delivery attempt. */
    readonly timeoutMs: number;
    /** How long after its event a delivery is retried. */
    readonly retryWindowMs: number;
    /** An endpoint failing for longer than this is disabled. */
    readonly disableAfterMs: number;
    /** How long the secret before a rotation keeps signing. */
    readonly secretOverlapMs: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
  };
  /**
   * The origin browsers use to reach the service (issue 20): the console's redirect URI, the origin
   * state-changing cookie requests must come from, and whether the session cookie is Secure.
   */
  readonly publicUrl: string;
  /** Console sessions (issue 20): ended after this much inactivity, and at the latest after the lifetime. */
  readonly consoleSessions: { readonly idleMs: number; readonly maxMs: number; readonly retentionMs: number };
  /** The watch (issue 17): how often each kind of round runs. */
  readonly watch: {
    readonly discoveryIntervalMs: number;
    readonly expiryIntervalMs: number;
    readonly deliveryStuckMs: number;
    /** An org's opt-in credential probe runs at most once per this many seconds. */
    readonly probeIntervalSeconds: number;
    /** Issuer (and tenant) jobs running at once per process. */
    readonly concurrency: number;
    /** The share of the time (0–1] the watch's jobs may run in a process; they pause in between. */
    readonly share: number;
  };
}

/** Thrown when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const postgresUrl = makeValidator<string>((input) => {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error('must be a URL like postgresql://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`must start with postgresql:// (got ${url.protocol}//)`);
  }
  return input;
});

const keyringSpec = makeValidator<string>((input) => {
  parseKeySpecEntries(input); // throws with a sentence that names the bad entry, never the key
  return input;
});

const signingKeySpec = makeValidator<string>((input) => {
  parseSigningKeySpec(input); // throws with a sentence, never the key
  return input;
});

const bootstrapKey = makeValidator<string>((input) => {
  if (input.length < 32 || /\s/.test(input)) {
    throw new Error('must be at least 32 characters without spaces (e.g. `openssl rand -base64 32`)');
  }
  return input;
});

/** Hosts where a plain-http PUBLIC_URL (a cookie without Secure) is acceptable: this machine only. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `PUBLIC_URL`: an origin (scheme, host, optional port; nothing after), https unless local. */
const publicUrl = makeValidator<string>((input) => {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error('must be the origin browsers use, like https://sso.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('must start with https://');
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new Error('must be an origin only (scheme, host and port), like https://sso.example.com');
  }
  if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname)) {
    throw new Error(
      'must be https:// unless the host is localhost, 127.0.0.1 or [::1] (the session cookie is Secure elsewhere)',
    );
  }
  return url.origin;
});

const allowlist = makeValidator<OutboundAllowlist>((input) => parseAllowlist(input));

const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses `OUTBOUND_ALLOWLIST`: comma-separated hostnames, IP addresses and CIDR ranges. */
export function parseAllowlist(input: string): OutboundAllowlist {
  const hosts: string[] = [];
  const cidrs: string[] = [];
  for (const raw of input.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.includes('/')) {
      const [address, prefix, ...rest] = entry.split('/');
      const family = isIP(address ?? '');
      const bits = Number(prefix);
      const max = family === 6 ? 128 : 32;
      if (rest.length > 0 || family === 0 || !/^\d+$/.test(prefix ?? '') || bits > max) {
        throw new Error(`"${entry}" is not a CIDR range like 10.0.0.0/8 or fd00::/8`);
      }
      cidrs.push(entry);
    } else if (isIP(entry) !== 0) {
      cidrs.push(entry.includes(':') ? `${entry}/128` : `${entry}/32`);
    } else if (
      /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(entry)
    ) {
      hosts.push(entry);
    } else {
      throw new Error(`"${entry}" is neither a hostname, an IP address nor a CIDR range`);
    }
  }
  return { hosts, cidrs };
}

/**
 * Validates the environment and returns a frozen configuration.
 * @throws ConfigError listing every problem at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const cleaned = cleanEnv(
    env,
    {
      NODE_ENV: str({ choices: ['development', 'production', 'test'], default: 'development' }),
      HOST: str({ default: '127.0.0.1', desc: 'Interface to listen on' }),
      PORT: port({ default: 3000 }),
      LOG_LEVEL: str({ choices: logLevels, default: 'info' }),
      DATA_DIR: str({ default: './.data' }),
      DATABASE_URL: postgresUrl({ default: undefined }),
      MIGRATION_DATABASE_URL: postgresUrl({ default: undefined }),
      DB_POOL_MAX: num({ default: 10 }),
      ENCRYPTION_KEYS: keyringSpec({ default: undefined }),
      BOOTSTRAP_ADMIN_KEY: bootstrapKey({ default: undefined }),
      AUDIT_SIGNING_KEY: signingKeySpec({ default: undefined }),
      AUDIT_CHECKPOINT_INTERVAL_SECONDS: num({ default: 300 }),
      OUTBOUND_ALLOWLIST: allowlist({ default: { hosts: [], cidrs: [] } }),
      OUTBOUND_ALLOW_HTTP: bool({ default: false }),
      OUTBOUND_TIMEOUT_MS: num({ default: 10_000 }),
      DISCOVERY_CACHE_TTL_SECONDS: num({ default: 300 }),
      DISCOVERY_CACHE_MAX_ENTRIES: num({ default: 1000 }),
      TRUST_PROXY: bool({ default: false }),
      SHUTDOWN_TIMEOUT_MS: num({ default: 10_000 }),
      IDEMPOTENCY_TTL_SECONDS: num({ default: 24 * 3600 }),
      AUTH_FAILURE_LIMIT: num({ default: 20 }),
      AUTH_FAILURE_WINDOW_SECONDS: num({ default: 60 }),
      AUTH_CACHE_TTL_SECONDS: num({ default: 5 }),
      PLAN_TTL_SECONDS: num({ default: 3600 }),
      FORWARDING_WORKER: bool({ default: true }),
      FORWARDING_CONCURRENCY: num({ default: 64 }),
      FORWARDING_PER_API_BASE: num({ default: 16 }),
      FORWARDING_PER_API_BASE_SHARED: bool({ default: true }),
      FORWARDING_LEASE_SECONDS: num({ default: 30 }),
      FORWARDING_POLL_MS: num({ default: 500 }),
      FORWARDING_MAX_ATTEMPTS: num({ default: 8 }),
      FORWARDING_DEADLINE_SECONDS: num({ default: 900 }),
      FORWARDING_BACKOFF_BASE_MS: num({ default: 500 }),
      FORWARDING_BACKOFF_MAX_MS: num({ default: 60_000 }),
      COGNIGY_TIMEOUT_MS: num({ default: 10_000 }),
      JOBS_WORKER: bool({ default: true }),
      JOBS_CONCURRENCY: num({ default: 8 }),
      JOBS_LEASE_SECONDS: num({ default: 60 }),
      JOBS_POLL_MS: num({ default: 1000 }),
      JOBS_RETENTION_DAYS: num({ default: 7 }),
      WEBHOOK_CONCURRENCY: num({ default: 64 }),
      WEBHOOK_TIMEOUT_MS: num({ default: 5_000 }),
      WEBHOOK_RETRY_SECONDS: num({ default: 24 * 3600 }),
      WEBHOOK_DISABLE_AFTER_SECONDS: num({ default: 3 * 24 * 3600 }),
      WEBHOOK_SECRET_OVERLAP_SECONDS: num({ default: 24 * 3600 }),
      WEBHOOK_BACKOFF_BASE_MS: num({ default: 5_000 }),
      WEBHOOK_BACKOFF_MAX_MS: num({ default: 3_600_000 }),
      WATCH_DISCOVERY_INTERVAL_SECONDS: num({ default: 6 * 3600 }),
      WATCH_EXPIRY_INTERVAL_SECONDS: num({ default: 24 * 3600 }),
      WATCH_DELIVERY_STUCK_SECONDS: num({ default: 3600 }),
      WATCH_PROBE_INTERVAL_SECONDS: num({ default: 24 * 3600 }),
      WATCH_CONCURRENCY: num({ default: 1 }),
      WATCH_SHARE_PERCENT: num({ default: 25 }),
      PUBLIC_URL: publicUrl({ default: undefined }),
      CONSOLE_SESSION_IDLE_MINUTES: num({ default: 30 }),
      CONSOLE_SESSION_MAX_HOURS: num({ default: 12 }),
      CONSOLE_SESSION_RETENTION_DAYS: num({ default: 30 }),
    },
    {
      reporter: ({ errors }) => {
        for (const [name, error] of Object.entries(errors)) {
          if (!error) continue;
          const why = error instanceof EnvMissingError ? 'is required' : error.message;
          problems.push(`${name} ${why.replace(/^Invalid \w+ input: /, 'is invalid: ')}`);
        }
      },
    },
  );
  if (problems.length > 0) throw new ConfigError(problems);

  const positive: Array<[string, number]> = [
    ['DB_POOL_MAX', cleaned.DB_POOL_MAX],
    ['OUTBOUND_TIMEOUT_MS', cleaned.OUTBOUND_TIMEOUT_MS],
    ['DISCOVERY_CACHE_TTL_SECONDS', cleaned.DISCOVERY_CACHE_TTL_SECONDS],
    ['DISCOVERY_CACHE_MAX_ENTRIES', cleaned.DISCOVERY_CACHE_MAX_ENTRIES],
    ['SHUTDOWN_TIMEOUT_MS', cleaned.SHUTDOWN_TIMEOUT_MS],
    ['IDEMPOTENCY_TTL_SECONDS', cleaned.IDEMPOTENCY_TTL_SECONDS],
    ['AUTH_FAILURE_LIMIT', cleaned.AUTH_FAILURE_LIMIT],
    ['AUTH_FAILURE_WINDOW_SECONDS', cleaned.AUTH_FAILURE_WINDOW_SECONDS],
    ['FORWARDING_CONCURRENCY', cleaned.FORWARDING_CONCURRENCY],
    ['FORWARDING_PER_API_BASE', cleaned.FORWARDING_PER_API_BASE],
    ['FORWARDING_LEASE_SECONDS', cleaned.FORWARDING_LEASE_SECONDS],
    ['FORWARDING_POLL_MS', cleaned.FORWARDING_POLL_MS],
    ['FORWARDING_MAX_ATTEMPTS', cleaned.FORWARDING_MAX_ATTEMPTS],
    ['FORWARDING_DEADLINE_SECONDS', cleaned.FORWARDING_DEADLINE_SECONDS],
    ['FORWARDING_BACKOFF_BASE_MS', cleaned.FORWARDING_BACKOFF_BASE_MS],
    ['FORWARDING_BACKOFF_MAX_MS', cleaned.FORWARDING_BACKOFF_MAX_MS],
    ['COGNIGY_TIMEOUT_MS', cleaned.COGNIGY_TIMEOUT_MS],
    ['JOBS_CONCURRENCY', cleaned.JOBS_CONCURRENCY],
    ['JOBS_LEASE_SECONDS', cleaned.JOBS_LEASE_SECONDS],
    ['JOBS_POLL_MS', cleaned.JOBS_POLL_MS],
    ['JOBS_RETENTION_DAYS', cleaned.JOBS_RETENTION_DAYS],
    ['WEBHOOK_CONCURRENCY', cleaned.WEBHOOK_CONCURRENCY],
    ['WEBHOOK_TIMEOUT_MS', cleaned.WEBHOOK_TIMEOUT_MS],
    ['WEBHOOK_RETRY_SECONDS', cleaned.WEBHOOK_RETRY_SECONDS],
    ['WEBHOOK_DISABLE_AFTER_SECONDS', cleaned.WEBHOOK_DISABLE_AFTER_SECONDS],
    ['WEBHOOK_SECRET_OVERLAP_SECONDS', cleaned.WEBHOOK_SECRET_OVERLAP_SECONDS],
    ['WEBHOOK_BACKOFF_BASE_MS', cleaned.WEBHOOK_BACKOFF_BASE_MS],
    ['WEBHOOK_BACKOFF_MAX_MS', cleaned.WEBHOOK_BACKOFF_MAX_MS],
    ['WATCH_DISCOVERY_INTERVAL_SECONDS', cleaned.WATCH_DISCOVERY_INTERVAL_SECONDS],
    ['WATCH_EXPIRY_INTERVAL_SECONDS', cleaned.WATCH_EXPIRY_INTERVAL_SECONDS],
    ['WATCH_DELIVERY_STUCK_SECONDS', cleaned.WATCH_DELIVERY_STUCK_SECONDS],
    ['WATCH_PROBE_INTERVAL_SECONDS', cleaned.WATCH_PROBE_INTERVAL_SECONDS],
    ['WATCH_CONCURRENCY', cleaned.WATCH_CONCURRENCY],
    ['CONSOLE_SESSION_IDLE_MINUTES', cleaned.CONSOLE_SESSION_IDLE_MINUTES],
    ['CONSOLE_SESSION_MAX_HOURS', cleaned.CONSOLE_SESSION_MAX_HOURS],
    ['CONSOLE_SESSION_RETENTION_DAYS', cleaned.CONSOLE_SESSION_RETENTION_DAYS],
    ['AUDIT_CHECKPOINT_INTERVAL_SECONDS', cleaned.AUDIT_CHECKPOINT_INTERVAL_SECONDS],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value <= 0) problems.push(`${name} must be a positive whole number`);
  }
  if (
    !Number.isInteger(cleaned.WATCH_SHARE_PERCENT) ||
    cleaned.WATCH_SHARE_PERCENT < 1 ||
    cleaned.WATCH_SHARE_PERCENT > 100
  )
    problems.push('WATCH_SHARE_PERCENT must be a whole number from 1 to 100');
  if (
    !Number.isInteger(cleaned.AUTH_CACHE_TTL_SECONDS) ||
    cleaned.AUTH_CACHE_TTL_SECONDS < 0 ||
    cleaned.AUTH_CACHE_TTL_SECONDS > 300
  ) {
    problems.push('AUTH_CACHE_TTL_SECONDS must be a whole number from 0 (no cache) to 300');
  }
  if (
    !Number.isInteger(cleaned.PLAN_TTL_SECONDS) ||
    cleaned.PLAN_TTL_SECONDS < 60 ||
    cleaned.PLAN_TTL_SECONDS > 7 * 24 * 3600
  ) {
    problems.push('PLAN_TTL_SECONDS must be a whole number from 60 to 604800 (7 days)');
  }
  if (cleaned.MIGRATION_DATABASE_URL && !cleaned.DATABASE_URL) {
    problems.push(
      'MIGRATION_DATABASE_URL needs DATABASE_URL (the role the service runs as); without both, the embedded database sets up its two roles itself',
    );
  }
  if (cleaned.CONSOLE_SESSION_IDLE_MINUTES > cleaned.CONSOLE_SESSION_MAX_HOURS * 60) {
    problems.push('CONSOLE_SESSION_IDLE_MINUTES must not exceed CONSOLE_SESSION_MAX_HOURS (in minutes)');
  }
  const isProduction = cleaned.NODE_ENV === 'production';
  if (isProduction) {
    if (!cleaned.DATABASE_URL) problems.push('DATABASE_URL is required in production (NODE_ENV=production)');
    if (!cleaned.ENCRYPTION_KEYS) {
      problems.push(
        'ENCRYPTION_KEYS is required in production (NODE_ENV=production): `id:base64-of-32-random-bytes`',
      );
    }
    if (!cleaned.AUDIT_SIGNING_KEY) {
      problems.push(
        'AUDIT_SIGNING_KEY is required in production (NODE_ENV=production): the Ed25519 key that signs audit ' +
          'checkpoints, e.g. `openssl rand -base64 32`',
      );
    }
    if (cleaned.OUTBOUND_ALLOW_HTTP) {
      problems.push('OUTBOUND_ALLOW_HTTP=true is for development and tests only, not production');
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    nodeEnv: cleaned.NODE_ENV as NodeEnv,
    isProduction,
    host: cleaned.HOST,
    port: cleaned.PORT,
    logLevel: cleaned.LOG_LEVEL as LogLevel,
    dataDir: cleaned.DATA_DIR,
    databaseUrl: cleaned.DATABASE_URL,
    migrationDatabaseUrl: cleaned.MIGRATION_DATABASE_URL,
    dbPoolMax: cleaned.DB_POOL_MAX,
    encryptionKeys: cleaned.ENCRYPTION_KEYS,
    bootstrapAdminKey: cleaned.BOOTSTRAP_ADMIN_KEY,
    auditSigningKey: cleaned.AUDIT_SIGNING_KEY,
    auditCheckpointIntervalSeconds: cleaned.AUDIT_CHECKPOINT_INTERVAL_SECONDS,
    outbound: Object.freeze({
      // frozen too: widening the allowlist at run time would widen the network policy (§8)
      allowlist: Object.freeze({
        hosts: Object.freeze([...cleaned.OUTBOUND_ALLOWLIST.hosts]),
        cidrs: Object.freeze([...cleaned.OUTBOUND_ALLOWLIST.cidrs]),
      }),
      allowHttp: cleaned.OUTBOUND_ALLOW_HTTP,
      timeoutMs: cleaned.OUTBOUND_TIMEOUT_MS,
    }),
    discoveryCache: Object.freeze({
      ttlSeconds: cleaned.DISCOVERY_CACHE_TTL_SECONDS,
      maxEntries: cleaned.DISCOVERY_CACHE_MAX_ENTRIES,
    }),
    trustProxy: cleaned.TRUST_PROXY,
    shutdownTimeoutMs: cleaned.SHUTDOWN_TIMEOUT_MS,
    idempotencyTtlSeconds: cleaned.IDEMPOTENCY_TTL_SECONDS,
    authFailures: Object.freeze({
      limit: cleaned.AUTH_FAILURE_LIMIT,
      windowSeconds: cleaned.AUTH_FAILURE_WINDOW_SECONDS,
    }),
    authCacheTtlMs: cleaned.AUTH_CACHE_TTL_SECONDS * 1000,
    planTtlSeconds: cleaned.PLAN_TTL_SECONDS,
    forwarding: Object.freeze({
      worker: cleaned.FORWARDING_WORKER,
      concurrency: cleaned.FORWARDING_CONCURRENCY,
      perApiBase: cleaned.FORWARDING_PER_API_BASE,
      perApiBaseShared: cleaned.FORWARDING_PER_API_BASE_SHARED,
      leaseMs: cleaned.FORWARDING_LEASE_SECONDS * 1000,
      pollMs: cleaned.FORWARDING_POLL_MS,
      callTimeoutMs: cleaned.COGNIGY_TIMEOUT_MS,
      maxAttempts: cleaned.FORWARDING_MAX_ATTEMPTS,
      deadlineMs: cleaned.FORWARDING_DEADLINE_SECONDS * 1000,
      backoffBaseMs: cleaned.FORWARDING_BACKOFF_BASE_MS,
      backoffMaxMs: cleaned.FORWARDING_BACKOFF_MAX_MS,
    }),
    jobs: Object.freeze({
      worker: cleaned.JOBS_WORKER,
      concurrency: cleaned.JOBS_CONCURRENCY,
      leaseSeconds: cleaned.JOBS_LEASE_SECONDS,
      pollMs: cleaned.JOBS_POLL_MS,
      retentionDays: cleaned.JOBS_RETENTION_DAYS,
    }),
    webhooks: Object.freeze({
      concurrency: cleaned.WEBHOOK_CONCURRENCY,
      timeoutMs: cleaned.WEBHOOK_TIMEOUT_MS,
      retryWindowMs: cleaned.WEBHOOK_RETRY_SECONDS * 1000,
      disableAfterMs: cleaned.WEBHOOK_DISABLE_AFTER_SECONDS * 1000,
      secretOverlapMs: cleaned.WEBHOOK_SECRET_OVERLAP_SECONDS * 1000,
      backoffBaseMs: cleaned.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: cleaned.WEBHOOK_BACKOFF_MAX_MS,
    }),
    publicUrl: cleaned.PUBLIC_URL ?? `http://localhost:${cleaned.PORT}`,
    consoleSessions: Object.freeze({
      idleMs: cleaned.CONSOLE_SESSION_IDLE_MINUTES * 60_000,
      maxMs: cleaned.CONSOLE_SESSION_MAX_HOURS * 3_600_000,
      retentionMs: cleaned.CONSOLE_SESSION_RETENTION_DAYS * 86_400_000,
    }),
    watch: Object.freeze({
      discoveryIntervalMs: cleaned.WATCH_DISCOVERY_INTERVAL_SECONDS * 1000,
      expiryIntervalMs: cleaned.WATCH_EXPIRY_INTERVAL_SECONDS * 1000,
      deliveryStuckMs: cleaned.WATCH_DELIVERY_STUCK_SECONDS * 1000,
      probeIntervalSeconds: cleaned.WATCH_PROBE_INTERVAL_SECONDS,
      concurrency: cleaned.WATCH_CONCURRENCY,
      share: cleaned.WATCH_SHARE_PERCENT / 100,
    }),
  });
}
