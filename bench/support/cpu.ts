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

/** CPU time of every process named `postgres` (server and backends), in milliseconds. */
export function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'postgres') total += cpuMsOf(Number(entry));
    } catch {}
  }
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
  const pg0 = postgresCpuMs();
  return {
    stop(): CpuSplit {
      const self = process.cpuUsage(self0);
      return {
        self: (self.user + self.system) / 1000,
        helper: helperPid ? cpuMsOf(helperPid) - helper0 : 0,
        postgres: postgresCpuMs() - pg0,
      };
    },
  };
}

export const coreCount = () => cpus().length;
