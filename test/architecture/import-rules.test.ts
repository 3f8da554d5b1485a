/**
 * The import rules of .dependency-cruiser.cjs hold for src/ (issue 16): the leaves (config, lib,
 * crypto, outbound, discovery) import nothing above them, no file or folder reaches itself, only
 * routes and plugins use Fastify. The rules are also run on a small tree written for the test with
 * one wrong arrow of each kind, to show that they report what they should.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const RULES_FILE = join(ROOT, '.dependency-cruiser.cjs');

/** Cruises `src` under `baseDir` with the repository's rules, as `npx depcruise src` does. */
async function cruiseWithRules(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(RULES_FILE);
  const tsConfig = extractTSConfig(join(baseDir, 'tsconfig.json'));
  const { output } = await cruise(['src'], { ...options, baseDir }, {}, { tsConfig });
  if (typeof output === 'string') throw new Error('expected a cruise result, got a report');
  return output;
}

const describeViolation = (v: IViolation) =>
  v.cycle
    ? `${v.rule.name}: ${v.from} → ${v.cycle.map((step) => step.name).join(' → ')}`
    : `${v.rule.name}: ${v.from} → ${v.to}`;

const violationsOf = (result: ICruiseResult) => result.summary.violations.map(describeViolation).sort();

describe('import rules on src/', () => {
  it('hold: no violation', { timeout: 120_000 }, async () => {
    const result = await cruiseWithRules(ROOT);
    // the cruise did see the code: every folder of src/ and the arrows between them
    const sources = result.modules.map((m) => m.source);
    for (const folder of ['config', 'lib', 'db', 'plugins', 'cli', 'modules/crypto', 'modules/outbound']) {
      expect(sources.some((s) => s.startsWith(`src/${folder}/`))).toBe(true);
    }
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(result.summary.totalDependenciesCruised).toBeGreaterThan(300);
    expect(violationsOf(result)).toEqual([]);
  });
});

describe('import rules on a tree with wrong arrows', () => {
  let dir: string;

  /** A minimal copy of the layout: each file path → its source. */
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      include: ['src'],
    }),
    'src/config/config.ts': 'export const config = { port: 1 };\n',
    'src/lib/errors.ts': "import { config } from '../config/config.js';\nexport const port = config.port;\n",
    // the wrong arrow the rules exist for: a leaf importing a domain module above it
    'src/modules/outbound/outbound-fetch.ts':
      "import { findOrg } from '../orgs/orgs.service.js';\nexport const fetchFor = (id: string) => findOrg(id);\n",
    'src/modules/orgs/orgs.service.ts':
      "import { port } from '../../lib/errors.js';\nexport const findOrg = (id: string) => [id, port].join(':');\n",
    // two modules importing each other, file by file without a file-level cycle
    'src/modules/auth/authenticator.ts':
      "import { keyName } from '../api-keys/api-keys.repository.js';\nexport const who = () => keyName;\n",
    'src/modules/auth/principal.ts': "export type Role = 'admin';\n",
    'src/modules/api-keys/api-keys.repository.ts': "export const keyName = 'k';\n",
    'src/modules/api-keys/api-keys.service.ts':
      "import type { Role } from '../auth/principal.js';\nexport const roles: Role[] = ['admin'];\n",
    // the CLI reaching past the typed client into the service's own modules
    'src/cli/csso/commands/orgs.ts':
      "import { findOrg } from '../../../modules/orgs/orgs.service.js';\nexport const list = () => findOrg('a');\n",
    'src/cli/csso/main.ts': "import { list } from './commands/orgs.js';\nlist();\n",
    // a service that knows the HTTP framework
    'src/modules/orgs/orgs.repository.ts':
      "import type { FastifyRequest } from 'fastify';\nexport type Req = FastifyRequest;\n",
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'import-rules-'));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    // a stand-in for the framework's package, so that the import resolves as it does in src/
    await mkdir(join(dir, 'node_modules/fastify'), { recursive: true });
    await writeFile(
      join(dir, 'node_modules/fastify/package.json'),
      '{"name":"fastify","type":"module","main":"fastify.js","types":"fastify.d.ts"}\n',
    );
    await writeFile(join(dir, 'node_modules/fastify/fastify.js'), 'export default {};\n');
    await writeFile(join(dir, 'node_modules/fastify/fastify.d.ts'), 'export interface FastifyRequest {}\n');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports each wrong arrow, and only those', { timeout: 120_000 }, async () => {
    const violations = violationsOf(await cruiseWithRules(dir));
    expect(violations).toEqual([
      'csso-talks-through-the-client: src/cli/csso/commands/orgs.ts → src/modules/orgs/orgs.service.ts',
      'no-circular-between-folders: src/modules/api-keys → src/modules/auth → src/modules/api-keys',
      'no-circular-between-folders: src/modules/auth → src/modules/api-keys → src/modules/auth',
      'only-routes-and-plugins-import-fastify: src/modules/orgs/orgs.repository.ts → node_modules/fastify/fastify.js',
      'outbound-is-a-leaf: src/modules/outbound/outbound-fetch.ts → src/modules/orgs/orgs.service.ts',
    ]);
  });
});
