/**
 * CPU time used by processes (Linux /proc), to say where a benchmark's CPU went: this process, a
 * helper process, and every PostgreSQL process of the machine (a local server or the embedded one).
 * On a 2-core machine, a throughput can be no higher than 2 CPU-seconds per second divided by the
 * CPU time one operation costs across all of them: that is the machine's bound, next to the
 * concurrency bound.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in milliseconds (0 when it is gone). */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU time of each process named `postgres` (server and backends), in milliseconds, by pid. */
export function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres')
        byPid.set(Number(entry), cpuMsOf(Number(entry)));
    } catch {}
  }
  return byPid;
}

/**
 * PostgreSQL CPU milliseconds between two snapshots: processes alive in both count their
 * difference, new ones all of theirs; a process that ended in between is left out (its CPU is not
 * readable any more — subtracting its earlier total made the sum negative).
 */
export function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresCpu()) total += ms - (before.get(pid) ?? 0);
  return total;
}

export interface CpuSplit {
  readonly self: number;
  readonly helper: number;
  readonly postgres: number;
}

/** Starts counting; `stop()` returns the CPU milliseconds each part used since. */
export function cpuMeter(helperPid?: number) {
  const self0 = process.cpuUsage();
  const helper0 = helperPid ? cpuMsOf(helperPid) : 0;
  const pg0 = postgresCpu();
  return {
    stop(): CpuSplit {
      const self = process.cpuUsage(self0);
      return {
        self: (self.user + self.system) / 1000,
        helper: helperPid ? cpuMsOf(helperPid) - helper0 : 0,
        postgres: postgresCpuSince(pg0),
      };
    },
  };
}

export const coreCount = () => cpus().length;
