/**
 * The README's curl walk-through works verbatim: its ```bash block (the one after the
 * `<!-- walkthrough -->` marker) runs with `bash -euo pipefail` against a freshly started service,
 * with only SSO_URL and PLATFORM_KEY given, and shows the Cognigy API key only as a fingerprint.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanUpProcesses,
  embeddedDatabaseUrl,
  makeTempDir,
  PROJECT_ROOT,
  printedKeys,
  type ServiceProcess,
  spawnService,
  stopService,
  tail,
  waitForBanner,
  waitForReady,
} from '../support/process.js';

const MARKER = '<!-- walkthrough';

/** The first ```bash block after the marker comment. */
function walkthroughBlock(readme: string): string {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no "${MARKER} …-->" marker before the walk-through`);
  const match = /```bash\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!match?.[1]) throw new Error('no ```bash block after the walk-through marker');
  return match[1];
}

function runBash(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('the README curl walk-through', () => {
  let dir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    dir = await makeTempDir('readme');
  });

  afterAll(async () => {
    await cleanUpProcesses();
  });

  it('starts from SSO_URL and PLATFORM_KEY only', () => {
    const block = walkthroughBlock(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'));
    const exports = block
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
      .slice(0, 2);
    expect(exports[0]).toMatch(/^export SSO_URL=.*http:\/\/127\.0\.0\.1:3000/);
    expect(exports[1]).toMatch(/^export PLATFORM_KEY=/);
    expect(block).toMatch(/\bjq\b/);
  });

  it('runs verbatim against a fresh service and shows the Cognigy API key only as a fingerprint', async () => {
    const block = walkthroughBlock(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'));
    const cognigyKey = /"apiKey":\s*"([^"]+)"/.exec(block)?.[1];
    expect(cognigyKey, 'the block sets a Cognigy API key').toBeDefined();

    const dataDir = join(dir, 'data');
    // The walk-through approves a version for api-trial.cognigy.ai with a demo key: no forwarding
    // worker here, so that a test never calls a real Cognigy installation.
    service = await spawnService({ DATA_DIR: dataDir, FORWARDING_WORKER: 'false' });
    await waitForReady(service, 60_000);
    await waitForBanner(service);
    const platformKey = printedKeys(service)[0];
    expect(platformKey, tail(service)).toBeDefined();

    const run = await runBash(block, { SSO_URL: service.url, PLATFORM_KEY: platformKey as string }, dir);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).toBe(0);

    // The fingerprint shown is the one stored for the org's Cognigy target.
    const client = new pg.Client({ connectionString: embeddedDatabaseUrl(dataDir) });
    await client.connect();
    let fingerprints: string[];
    try {
      const { rows } = await client.query<{ api_key_fingerprint: string }>(
        'SELECT api_key_fingerprint FROM cognigy_targets',
      );
      fingerprints = rows.map((r) => r.api_key_fingerprint);
    } finally {
      await client.end();
    }
    expect(fingerprints).toHaveLength(1);
    expect(run.stdout).toContain(fingerprints[0]);
    expect(run.stdout).toMatch(/"fingerprint":\s*"hmac-sha256:[0-9a-f]+"/);
    // The review steps: version 1 drafted, approved by the second key, desired; the dry run's key masked.
    expect(run.stdout).toMatch(/"review":\s*"draft"/);
    expect(run.stdout).toMatch(/"state":\s*"approved",\s*"selfApproved":\s*false/);
    expect(run.stdout).toMatch(/"desired":\s*1/);
    expect(run.stdout).toContain('/v2.0/identityprovider/reset');
    expect(run.stdout).toMatch(/"x-api-key":\s*"\[masked hmac-sha256:[0-9a-f]{32}\]"/);

    expect(output).not.toContain(cognigyKey);
    expect(service.stdout()).not.toContain(cognigyKey); // nor in the service's logs

    const exit = await stopService(service, 'SIGTERM', 15_000);
    expect({ code: exit.code, signal: exit.signal }, tail(service)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
