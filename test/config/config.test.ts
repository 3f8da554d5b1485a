/**
 * loadConfig(env) is the only reader of the environment (§9): defaults, one sentence per bad
 * variable (all of them at once), production refusals, a frozen result — and ENCRYPTION_KEYS never
 * echoed back in an error.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseAllowlist } from '../../src/config/config.js';
import { parseKeyringSpec } from '../../src/modules/crypto/keyring.js';

const KEY_A = Buffer.alloc(32, 0xa1).toString('base64');
const KEY_B = Buffer.alloc(32, 0xb2).toString('base64');
const GOOD_KEYS = `k1:${KEY_A}`;
const GOOD_SIGNING_KEY = Buffer.alloc(32, 5).toString('base64');

/** The ConfigError that `env` produces (fails the test when loadConfig accepts it). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** Asserts that `env` is refused with exactly one problem, which names `variable`. */
function expectRefused(env: Record<string, string>, variable: string): ConfigError {
  const error = configError(env);
  expect(error.code).toBe('CONFIG_INVALID');
  expect(error.problems).toHaveLength(1);
  expect(error.problems[0]).toMatch(new RegExp(`^${variable}\\b`));
  expect(error.message).toContain(variable);
  return error;
}

describe('loadConfig', () => {
  it('fills every setting with its documented default from an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      nodeEnv: 'development',
      isProduction: false,
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      dataDir: './.data',
      databaseUrl: undefined,
      migrationDatabaseUrl: undefined,
      dbPoolMax: 10,
      encryptionKeys: undefined,
      bootstrapAdminKey: undefined,
      auditSigningKey: undefined,
      auditCheckpointIntervalSeconds: 300,
      outbound: { allowlist: { hosts: [], cidrs: [] }, allowHttp: false, timeoutMs: 10_000 },
      discoveryCache: { ttlSeconds: 300, maxEntries: 1000 },
      trustProxy: false,
      shutdownTimeoutMs: 10_000,
      idempotencyTtlSeconds: 86_400,
      authFailures: { limit: 20, windowSeconds: 60 },
      authCacheTtlMs: 5000,
      planTtlSeconds: 3600,
      forwarding: {
        worker: true,
        concurrency: 64,
        perApiBase: 16,
        perApiBaseShared: true,
        leaseMs: 30_000,
        pollMs: 500,
        callTimeoutMs: 10_000,
        maxAttempts: 8,
        deadlineMs: 900_000,
        backoffBaseMs: 500,
        backoffMaxMs: 60_000,
      },
      jobs: { worker: true, concurrency: 8, leaseSeconds: 60, pollMs: 1000, retentionDays: 7 },
      webhooks: {
        concurrency: 64,
        timeoutMs: 5_000,
        retryWindowMs: 86_400_000,
        disableAfterMs: 259_200_000,
        secretOverlapMs: 86_400_000,
        backoffBaseMs: 5_000,
        backoffMaxMs: 3_600_000,
      },
      watch: {
        discoveryIntervalMs: 21_600_000,
        expiryIntervalMs: 86_400_000,
        deliveryStuckMs: 3_600_000,
        probeIntervalSeconds: 86_400,
        concurrency: 1,
        share: 0.25,
      },
      publicUrl: 'http://localhost:3000',
      consoleSessions: { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, retentionMs: 30 * 86_400_000 },
    });
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '0.0.0.0',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      DATA_DIR: '/var/lib/sso',
      DATABASE_URL: 'postgresql://sso:pw@db:5432/sso',
      MIGRATION_DATABASE_URL: 'postgresql://sso_owner:pw2@db:5432/sso',
      DB_POOL_MAX: '3',
      ENCRYPTION_KEYS: GOOD_KEYS,
      BOOTSTRAP_ADMIN_KEY: 'b'.repeat(32),
      OUTBOUND_ALLOWLIST: 'idp.internal, 10.0.0.0/8',
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_TIMEOUT_MS: '2500',
      DISCOVERY_CACHE_TTL_SECONDS: '60',
      DISCOVERY_CACHE_MAX_ENTRIES: '25',
      TRUST_PROXY: 'true',
      SHUTDOWN_TIMEOUT_MS: '500',
      IDEMPOTENCY_TTL_SECONDS: '60',
      AUTH_FAILURE_LIMIT: '5',
      AUTH_FAILURE_WINDOW_SECONDS: '30',
      AUTH_CACHE_TTL_SECONDS: '0',
      PLAN_TTL_SECONDS: '120',
      FORWARDING_WORKER: 'false',
      FORWARDING_CONCURRENCY: '8',
      FORWARDING_PER_API_BASE: '2',
      FORWARDING_PER_API_BASE_SHARED: 'false',
      FORWARDING_LEASE_SECONDS: '5',
      FORWARDING_POLL_MS: '100',
      FORWARDING_MAX_ATTEMPTS: '3',
      FORWARDING_DEADLINE_SECONDS: '60',
      FORWARDING_BACKOFF_BASE_MS: '10',
      FORWARDING_BACKOFF_MAX_MS: '1000',
      COGNIGY_TIMEOUT_MS: '750',
      JOBS_WORKER: 'false',
      JOBS_CONCURRENCY: '3',
      JOBS_LEASE_SECONDS: '9',
      JOBS_POLL_MS: '250',
      JOBS_RETENTION_DAYS: '2',
      WATCH_DISCOVERY_INTERVAL_SECONDS: '600',
      WATCH_EXPIRY_INTERVAL_SECONDS: '3600',
      WATCH_DELIVERY_STUCK_SECONDS: '120',
      WATCH_PROBE_INTERVAL_SECONDS: '7200',
      WATCH_CONCURRENCY: '4',
      WATCH_SHARE_PERCENT: '10',
      PUBLIC_URL: 'https://sso.example.com',
      CONSOLE_SESSION_IDLE_MINUTES: '15',
      CONSOLE_SESSION_MAX_HOURS: '8',
      CONSOLE_SESSION_RETENTION_DAYS: '7',
      WEBHOOK_CONCURRENCY: '7',
      WEBHOOK_TIMEOUT_MS: '900',
      WEBHOOK_RETRY_SECONDS: '600',
      WEBHOOK_DISABLE_AFTER_SECONDS: '3600',
      WEBHOOK_SECRET_OVERLAP_SECONDS: '60',
      WEBHOOK_BACKOFF_BASE_MS: '20',
      WEBHOOK_BACKOFF_MAX_MS: '2000',
    });
    expect(config).toMatchObject({
      nodeEnv: 'test',
      isProduction: false,
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'debug',
      dataDir: '/var/lib/sso',
      databaseUrl: 'postgresql://sso:pw@db:5432/sso',
      migrationDatabaseUrl: 'postgresql://sso_owner:pw2@db:5432/sso',
      dbPoolMax: 3,
      encryptionKeys: GOOD_KEYS,
      bootstrapAdminKey: 'b'.repeat(32),
      outbound: {
        allowlist: { hosts: ['idp.internal'], cidrs: ['10.0.0.0/8'] },
        allowHttp: true,
        timeoutMs: 2500,
      },
      discoveryCache: { ttlSeconds: 60, maxEntries: 25 },
      trustProxy: true,
      shutdownTimeoutMs: 500,
      idempotencyTtlSeconds: 60,
      authFailures: { limit: 5, windowSeconds: 30 },
      authCacheTtlMs: 0,
      planTtlSeconds: 120,
      forwarding: {
        worker: false,
        concurrency: 8,
        perApiBase: 2,
        perApiBaseShared: false,
        leaseMs: 5000,
        pollMs: 100,
        callTimeoutMs: 750,
        maxAttempts: 3,
        deadlineMs: 60_000,
        backoffBaseMs: 10,
        backoffMaxMs: 1000,
      },
      jobs: { worker: false, concurrency: 3, leaseSeconds: 9, pollMs: 250, retentionDays: 2 },
      webhooks: {
        concurrency: 7,
        timeoutMs: 900,
        retryWindowMs: 600_000,
        disableAfterMs: 3_600_000,
        secretOverlapMs: 60_000,
        backoffBaseMs: 20,
        backoffMaxMs: 2000,
      },
      watch: {
        discoveryIntervalMs: 600_000,
        expiryIntervalMs: 3_600_000,
        deliveryStuckMs: 120_000,
        probeIntervalSeconds: 7200,
        concurrency: 4,
        share: 0.1,
      },
      publicUrl: 'https://sso.example.com',
      consoleSessions: { idleMs: 15 * 60_000, maxMs: 8 * 3_600_000, retentionMs: 7 * 86_400_000 },
    });
  });

  it('accepts postgres:// as well as postgresql:// database URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/d' }).databaseUrl).toBe('postgres://u@h/d');
  });

  it('refuses PORT=abc naming PORT', () => {
    expectRefused({ PORT: 'abc' }, 'PORT');
  });

  it('refuses LOG_LEVEL=loud naming LOG_LEVEL and the accepted levels', () => {
    const error = expectRefused({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    expect(error.problems[0]).toContain('debug');
  });

  it('refuses a DATABASE_URL that is not PostgreSQL', () => {
    expectRefused({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL');
  });

  it('refuses a MIGRATION_DATABASE_URL that is not PostgreSQL, without echoing it', () => {
    const error = expectRefused(
      { DATABASE_URL: 'postgresql://h/d', MIGRATION_DATABASE_URL: 'mysql://owner:s3cret@h/d' },
      'MIGRATION_DATABASE_URL',
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses MIGRATION_DATABASE_URL without DATABASE_URL (the embedded database has its own two roles)', () => {
    const error = expectRefused(
      { MIGRATION_DATABASE_URL: 'postgresql://owner:s3cret@h/d' },
      'MIGRATION_DATABASE_URL',
    );
    expect(error.problems[0]).toMatch(/needs DATABASE_URL/);
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses a DATABASE_URL that is not a URL without echoing it', () => {
    const error = expectRefused({ DATABASE_URL: 'not a url with s3cret' }, 'DATABASE_URL');
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses a malformed ENCRYPTION_KEYS entry without echoing the key', () => {
    const error = expectRefused({ ENCRYPTION_KEYS: `k1=${KEY_A}` }, 'ENCRYPTION_KEYS');
    expect(error.message).not.toContain(KEY_A);
  });

  it('refuses an ENCRYPTION_KEYS key that is not 32 bytes without echoing it', () => {
    const short = Buffer.alloc(16, 0x5c).toString('base64');
    const error = expectRefused({ ENCRYPTION_KEYS: `k1:${short}` }, 'ENCRYPTION_KEYS');
    expect(error.problems[0]).toContain('k1');
    expect(error.message).not.toContain(short);
  });

  it('refuses an ENCRYPTION_KEYS id listed twice without echoing either key', () => {
    const error = expectRefused({ ENCRYPTION_KEYS: `k1:${KEY_A},k1:${KEY_B}` }, 'ENCRYPTION_KEYS');
    expect(error.problems[0]).toContain('"k1"');
    expect(error.message).not.toContain(KEY_A);
    expect(error.message).not.toContain(KEY_B);
  });

  it('refuses an entry written backwards (key:id) without echoing the key as if it were an id', () => {
    const urlSafe = Buffer.alloc(32, 0x42).toString('base64url');
    const error = expectRefused({ ENCRYPTION_KEYS: `${urlSafe}:k1` }, 'ENCRYPTION_KEYS');
    expect(error.message).not.toContain(urlSafe);
    expect(error.problems[0]).toContain('entry 1');
  });

  it('refuses an empty ENCRYPTION_KEYS list', () => {
    expectRefused({ ENCRYPTION_KEYS: ' , ' }, 'ENCRYPTION_KEYS');
  });

  it('refuses a BOOTSTRAP_ADMIN_KEY shorter than 32 characters without echoing it', () => {
    const error = expectRefused({ BOOTSTRAP_ADMIN_KEY: 'too-short-key' }, 'BOOTSTRAP_ADMIN_KEY');
    expect(error.message).not.toContain('too-short-key');
  });

  it('refuses a BOOTSTRAP_ADMIN_KEY containing spaces', () => {
    expectRefused({ BOOTSTRAP_ADMIN_KEY: `${'a'.repeat(20)} ${'b'.repeat(20)}` }, 'BOOTSTRAP_ADMIN_KEY');
  });

  it.each([
    'bad host!',
    'http://idp.example.com',
    '10.0.0.0/33',
    'fd00::/129',
    '10.0.0.0/8/1',
    '10.0.0/8',
    '-leading-dash.example',
  ])('refuses the OUTBOUND_ALLOWLIST entry %j naming OUTBOUND_ALLOWLIST and the entry', (entry) => {
    const error = expectRefused({ OUTBOUND_ALLOWLIST: `ok.example.com,${entry}` }, 'OUTBOUND_ALLOWLIST');
    expect(error.problems[0]).toContain(entry.toLowerCase());
  });

  it('defaults PUBLIC_URL to http://localhost:<PORT> and keeps only the origin of one given', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://SSO.example.com:8443/' }).publicUrl).toBe(
      'https://sso.example.com:8443',
    );
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:3000' }).publicUrl).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ PUBLIC_URL: 'http://[::1]:3000' }).publicUrl).toBe('http://[::1]:3000');
  });

  it('refuses a plain-http PUBLIC_URL other than localhost (the session cookie would not be Secure)', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'http://sso.example.com' })).toThrow(
      /PUBLIC_URL .*must be https:\/\/ unless the host is localhost/,
    );
  });

  it('refuses a PUBLIC_URL with a path, a query or credentials, and one that is not a URL', () => {
    for (const bad of [
      'https://sso.example.com/console',
      'https://sso.example.com/?a=1',
      'https://u:p@sso.example.com',
      'sso.example.com',
      'ftp://sso.example.com',
    ]) {
      expect(() => loadConfig({ PUBLIC_URL: bad }), bad).toThrow(/PUBLIC_URL/);
    }
  });

  it('refuses console session times that are not positive whole numbers, or an idle timeout past the lifetime', () => {
    expect(() => loadConfig({ CONSOLE_SESSION_IDLE_MINUTES: '0' })).toThrow(
      /CONSOLE_SESSION_IDLE_MINUTES must be a positive whole number/,
    );
    expect(() => loadConfig({ CONSOLE_SESSION_MAX_HOURS: '1.5' })).toThrow(
      /CONSOLE_SESSION_MAX_HOURS must be a positive whole number/,
    );
    expect(() => loadConfig({ CONSOLE_SESSION_RETENTION_DAYS: '0' })).toThrow(
      /CONSOLE_SESSION_RETENTION_DAYS must be a positive whole number/,
    );
    expect(() => loadConfig({ CONSOLE_SESSION_IDLE_MINUTES: '121', CONSOLE_SESSION_MAX_HOURS: '2' })).toThrow(
      /CONSOLE_SESSION_IDLE_MINUTES must not exceed CONSOLE_SESSION_MAX_HOURS/,
    );
  });

  it('refuses OUTBOUND_ALLOW_HTTP=maybe', () => {
    expectRefused({ OUTBOUND_ALLOW_HTTP: 'maybe' }, 'OUTBOUND_ALLOW_HTTP');
  });

  it('refuses FORWARDING_PER_API_BASE_SHARED=sometimes', () => {
    expectRefused({ FORWARDING_PER_API_BASE_SHARED: 'sometimes' }, 'FORWARDING_PER_API_BASE_SHARED');
  });

  it.each([
    ['DB_POOL_MAX', '0'],
    ['OUTBOUND_TIMEOUT_MS', '-1'],
    ['IDEMPOTENCY_TTL_SECONDS', '1.5'],
    ['AUTH_FAILURE_LIMIT', '0'],
  ])('refuses %s=%s (must be a positive whole number)', (name, value) => {
    expectRefused({ [name]: value }, name);
  });

  it.each(['-1', '301', '2.5'])('refuses AUTH_CACHE_TTL_SECONDS=%s (0 to 300 whole seconds)', (value) => {
    expectRefused({ AUTH_CACHE_TTL_SECONDS: value }, 'AUTH_CACHE_TTL_SECONDS');
  });

  it.each(['59', '604801', '90.5'])(
    'refuses PLAN_TTL_SECONDS=%s (60 s to 7 days, whole seconds)',
    (value) => {
      expectRefused({ PLAN_TTL_SECONDS: value }, 'PLAN_TTL_SECONDS');
    },
  );
  it.each([
    'WEBHOOK_CONCURRENCY',
    'WEBHOOK_TIMEOUT_MS',
    'WEBHOOK_RETRY_SECONDS',
    'WEBHOOK_DISABLE_AFTER_SECONDS',
    'WEBHOOK_SECRET_OVERLAP_SECONDS',
    'WEBHOOK_BACKOFF_BASE_MS',
    'WEBHOOK_BACKOFF_MAX_MS',
  ])('refuses %s=0 (a positive whole number)', (name) => {
    expectRefused({ [name]: '0' }, name);
  });

  it.each(['0', '101', '12.5'])('refuses WATCH_SHARE_PERCENT=%s (1 to 100 whole percent)', (value) => {
    expectRefused({ WATCH_SHARE_PERCENT: value }, 'WATCH_SHARE_PERCENT');
  });

  it('reports several bad values all at once, one line each', () => {
    const error = configError({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      ENCRYPTION_KEYS: `k1:${KEY_A},k1:${KEY_B}`,
      BOOTSTRAP_ADMIN_KEY: 'short',
      OUTBOUND_ALLOWLIST: 'bad host!',
      OUTBOUND_ALLOW_HTTP: 'maybe',
    });
    const named = error.problems.map((p) => p.split(' ')[0]).sort();
    expect(named).toEqual(
      [
        'BOOTSTRAP_ADMIN_KEY',
        'DATABASE_URL',
        'ENCRYPTION_KEYS',
        'LOG_LEVEL',
        'OUTBOUND_ALLOWLIST',
        'OUTBOUND_ALLOW_HTTP',
        'PORT',
      ].sort(),
    );
    expect(error.message.split('\n')).toHaveLength(1 + named.length);
    expect(error.message).not.toContain(KEY_A);
    expect(error.message).not.toContain(KEY_B);
  });

  it('refuses production without DATABASE_URL, ENCRYPTION_KEYS and AUDIT_SIGNING_KEY, naming each', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.problems).toHaveLength(3);
    expect(error.problems.some((p) => p.startsWith('DATABASE_URL'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('ENCRYPTION_KEYS'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('AUDIT_SIGNING_KEY'))).toBe(true);
  });

  it('refuses production without ENCRYPTION_KEYS even when DATABASE_URL is set', () => {
    expectRefused(
      { NODE_ENV: 'production', DATABASE_URL: 'postgresql://h/d', AUDIT_SIGNING_KEY: GOOD_SIGNING_KEY },
      'ENCRYPTION_KEYS',
    );
  });

  it('refuses production without DATABASE_URL even when ENCRYPTION_KEYS is set', () => {
    expectRefused(
      { NODE_ENV: 'production', ENCRYPTION_KEYS: GOOD_KEYS, AUDIT_SIGNING_KEY: GOOD_SIGNING_KEY },
      'DATABASE_URL',
    );
  });

  it('refuses production without AUDIT_SIGNING_KEY, saying what it is for', () => {
    const error = configError({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://h/d',
      ENCRYPTION_KEYS: GOOD_KEYS,
    });
    expect(error.problems).toEqual([
      expect.stringMatching(/^AUDIT_SIGNING_KEY is required in production.*signs audit checkpoints/),
    ]);
  });

  it.each([
    ['base64 of 32 bytes', GOOD_SIGNING_KEY],
    ['base64url of 32 bytes', Buffer.alloc(32, 6).toString('base64url')],
    [
      'a PKCS#8 PEM',
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ],
  ])('accepts AUDIT_SIGNING_KEY as %s', (_what, value) => {
    expect(loadConfig({ AUDIT_SIGNING_KEY: value }).auditSigningKey).toBe(value);
  });

  it.each([
    ['16 bytes', Buffer.alloc(16, 1).toString('base64'), 'must decode to 32 bytes (got 16)'],
    ['not base64', 'not a key!', 'must be base64 of a 32-byte Ed25519 seed'],
    [
      'an RSA PEM',
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      'must be an Ed25519 key',
    ],
    [
      'a broken PEM',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      'is not a readable PEM private key',
    ],
  ])('refuses AUDIT_SIGNING_KEY that is %s, without repeating it', (_what, value, message) => {
    const error = configError({ AUDIT_SIGNING_KEY: value });
    expect(error.problems).toEqual([expect.stringContaining(`AUDIT_SIGNING_KEY ${message}`)]);
    expect(error.message).not.toContain(value);
  });

  it('takes AUDIT_CHECKPOINT_INTERVAL_SECONDS (default 300), a positive whole number', () => {
    expect(loadConfig({}).auditCheckpointIntervalSeconds).toBe(300);
    expect(loadConfig({ AUDIT_CHECKPOINT_INTERVAL_SECONDS: '60' }).auditCheckpointIntervalSeconds).toBe(60);
    expectRefused({ AUDIT_CHECKPOINT_INTERVAL_SECONDS: '0' }, 'AUDIT_CHECKPOINT_INTERVAL_SECONDS');
  });

  it('refuses OUTBOUND_ALLOW_HTTP=true in production', () => {
    expectRefused(
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgresql://h/d',
        ENCRYPTION_KEYS: GOOD_KEYS,
        AUDIT_SIGNING_KEY: GOOD_SIGNING_KEY,
        OUTBOUND_ALLOW_HTTP: 'true',
      },
      'OUTBOUND_ALLOW_HTTP',
    );
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://h/d',
      ENCRYPTION_KEYS: GOOD_KEYS,
      AUDIT_SIGNING_KEY: GOOD_SIGNING_KEY,
    });
    expect(config.isProduction).toBe(true);
    expect(config.outbound.allowHttp).toBe(false);
  });

  it('returns a configuration frozen all the way down', () => {
    const config = loadConfig({ OUTBOUND_ALLOWLIST: 'idp.internal,10.0.0.0/8' });
    const frozen = (value: unknown): boolean =>
      typeof value !== 'object' ||
      value === null ||
      (Object.isFrozen(value) && Object.values(value).every(frozen));
    expect(frozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.outbound.allowlist.hosts as string[]).push('evil.example')).toThrow(TypeError);
    expect(config.outbound.allowlist.hosts).toEqual(['idp.internal']);
  });

  it('gives each call its own default allowlist', () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(Object.isFrozen(first.outbound.allowlist.cidrs)).toBe(true);
    expect(second.outbound.allowlist).toEqual({ hosts: [], cidrs: [] });
  });
});

describe('parseAllowlist', () => {
  it('accepts hostnames and wildcard hosts, lower-cased and trimmed', () => {
    expect(parseAllowlist(' IdP.Example.com , *.corp.example,localhost, cognigy_onprem.local ')).toEqual({
      hosts: ['idp.example.com', '*.corp.example', 'localhost', 'cognigy_onprem.local'],
      cidrs: [],
    });
  });

  it('turns single IPv4 and IPv6 addresses into host-sized CIDRs', () => {
    expect(parseAllowlist('127.0.0.1,::1,2001:DB8::5')).toEqual({
      hosts: [],
      cidrs: ['127.0.0.1/32', '::1/128', '2001:db8::5/128'],
    });
  });

  it('accepts IPv4 and IPv6 CIDR ranges up to their full prefix length', () => {
    expect(parseAllowlist('10.0.0.0/8,192.168.1.0/24,fd00::/8,::1/128,0.0.0.0/0,10.1.2.3/32')).toEqual({
      hosts: [],
      cidrs: ['10.0.0.0/8', '192.168.1.0/24', 'fd00::/8', '::1/128', '0.0.0.0/0', '10.1.2.3/32'],
    });
  });

  it('ignores empty entries', () => {
    expect(parseAllowlist(',, ,')).toEqual({ hosts: [], cidrs: [] });
  });

  it.each([
    '10.0.0.0/',
    '10.0.0.0/x',
    '/8',
    'host.example/8',
    '1.2.3.4/33',
    '::/129',
    'a b',
    '*',
    '*.*.example',
  ])('refuses %j', (entry) => {
    expect(() => parseAllowlist(entry)).toThrow(Error);
  });
});

describe('parseKeyringSpec (property)', () => {
  const keyId = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
  const keyBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const encoding = fc.constantFrom('base64', 'base64-unpadded', 'base64url') as fc.Arbitrary<
    'base64' | 'base64-unpadded' | 'base64url'
  >;
  const encode = (bytes: Uint8Array, how: 'base64' | 'base64-unpadded' | 'base64url') => {
    const buffer = Buffer.from(bytes);
    if (how === 'base64url') return buffer.toString('base64url');
    const standard = buffer.toString('base64');
    return how === 'base64' ? standard : standard.replace(/=+$/, '');
  };
  const entries = fc.uniqueArray(fc.record({ id: keyId, bytes: keyBytes, how: encoding }), {
    minLength: 1,
    maxLength: 5,
    selector: (e) => e.id,
  });

  it('round-trips generated specs: every id, every key, the last one active', () => {
    fc.assert(
      fc.property(entries, fc.constantFrom(',', ' , ', ',\n', ',,'), (list, separator) => {
        const spec = list.map((e) => `${e.id}:${encode(e.bytes, e.how)}`).join(separator);
        const keyring = parseKeyringSpec(spec);
        expect(keyring.ids).toEqual(list.map((e) => e.id));
        for (const e of list) expect(keyring.get(e.id).key.equals(Buffer.from(e.bytes))).toBe(true);
        expect(keyring.active.id).toBe(list.at(-1)?.id);
      }),
      { numRuns: 300 },
    );
  });

  /** Damages one entry of a valid spec the ways people damage them. */
  const damage = fc.constantFrom(
    'truncate-key',
    'extend-key',
    'drop-colon',
    'swap-id-and-key',
    'duplicate-id',
    'bad-id',
    'bad-char-in-key',
    'equals-instead-of-colon',
    'newline-inside',
    'empty-id',
  );

  it('refuses damaged specs with a plain Error whose message never contains key material', () => {
    fc.assert(
      fc.property(entries, damage, fc.nat(), (list, how, pick) => {
        const materials = list.map((e) => encode(e.bytes, e.how));
        const parts = list.map((e, i) => `${e.id}:${materials[i]}`);
        const i = pick % parts.length;
        const { id } = list[i]!;
        const material = materials[i]!;
        switch (how) {
          case 'truncate-key':
            parts[i] = `${id}:${material.slice(0, 20)}`;
            break;
          case 'extend-key':
            parts[i] =
              `${id}:${Buffer.concat([Buffer.from(list[i]!.bytes), Buffer.from('xyz')]).toString('base64')}`;
            materials.push(parts[i].slice(id.length + 1));
            break;
          case 'drop-colon':
            parts[i] = `${id}${material}`;
            break;
          case 'swap-id-and-key':
            parts[i] = `${material}:${id}`;
            break;
          case 'duplicate-id':
            parts.push(`${id}:${materials[0]}`);
            break;
          case 'bad-id':
            parts[i] = `bad id!:${material}`;
            break;
          case 'bad-char-in-key':
            parts[i] = `${id}:${material.slice(0, 10)}*${material.slice(11)}`;
            break;
          case 'equals-instead-of-colon':
            parts[i] = `${id}=${material}`;
            break;
          case 'newline-inside':
            parts[i] = `${id}:${material.slice(0, 22)}\n${material.slice(22)}`;
            break;
          case 'empty-id':
            parts[i] = `:${material}`;
            break;
        }
        let thrown: unknown;
        try {
          parseKeyringSpec(parts.join(','));
        } catch (error) {
          thrown = error;
        }
        // Rarely a damaged spec is still valid (a reversed entry whose id happens to be 43 base64
        // characters); what is checked is that every refusal is a plain Error naming no key material.
        if (thrown === undefined) return;
        expect(thrown).toBeInstanceOf(Error);
        expect(Object.getPrototypeOf(thrown)).toBe(Error.prototype);
        const message = (thrown as Error).message;
        expect(message.length).toBeGreaterThan(0);
        for (const secret of materials) {
          expect(message).not.toContain(secret);
          // nor a recognisable piece of it (a damaged key is still mostly key material)
          expect(message).not.toContain(secret.slice(0, 20));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but an Error for arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (spec) => {
        try {
          parseKeyringSpec(spec);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 500 },
    );
  });
});
