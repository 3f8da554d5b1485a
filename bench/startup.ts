/**
 * `npm start` on a fresh data folder to the first 200 of /readyz (issue 7, target 8): no
 * DATABASE_URL, so the embedded PostgreSQL is initialised, started and migrated, and the platform
 * key generated — ROUNDS times, each in a new empty folder (median).
 *
 *   npm run bench:startup
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService, startFlags } from './msp/processes.js';
import { machine } from './support/environment.js';
import { writeSection } from './support/report.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const log = (msg: string) => process.stderr.write(`[bench:startup] ${msg}\n`);

// The embedded database is what a fresh `npm start` uses: no DATABASE_URL may leak in from the shell.
delete process.env.DATABASE_URL;
const times: number[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  const dataDir = await mkdtemp(join(tmpdir(), 'sso-bench-start-'));
  const service = await spawnService({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  times.push(service.readyMs);
  log(`round ${round}: ready after ${(service.readyMs / 1000).toFixed(2)} s`);
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
await writeSection(
  'startup',
  `## Start on a fresh data folder

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:startup\`

\`node ${startFlags('.').join(' ')} dist/src/server.js\` (what \`npm start\` runs) without \`DATABASE_URL\`, in a new empty data folder each time: the
embedded PostgreSQL cluster is created and started, the migrations applied, the master key and the platform key
generated; timed from spawn to the first 200 of \`GET /readyz\`. ${ROUNDS} rounds: ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')};
median **${(median / 1000).toFixed(2)} s** (target ≤ 5 s).`,
);
