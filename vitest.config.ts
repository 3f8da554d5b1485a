import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single worker on a 2-core machine. The
    // files spend much of their time waiting on child processes, timers, the browser and the
    // database, so one worker more than the cores keeps the CPUs busy (2 cores, Node 24, embedded
    // PostgreSQL: 499 s with 1 worker, 261 s with 3). TEST_WORKERS overrides it.
    maxWorkers: Number(process.env.TEST_WORKERS) || availableParallelism() + 1,
  },
});
