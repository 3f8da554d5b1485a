/**
 * Prometheus metrics of the watch (issue 17): open findings by kind and severity and the job queue's
 * depth (read from the database when scraped, so every process reports the shared state), the last
 * round's duration and fetches, and issuer checks by outcome. Labels are bounded: never an org or URL.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface WatchMetrics {
  issuerChecked(outcome: 'ok' | 'unreadable' | 'refused'): void;
  roundFinished(round: 'discovery' | 'local', seconds: number, fetches: number): void;
}

export function createWatchMetrics(
  registry: Registry,
  reads: {
    readonly openFindings: () => Promise<{ kind: string; severity: string; count: number }[]>;
    readonly jobDepth: () => Promise<{ queue: string; state: string; count: number }[]>;
  },
): WatchMetrics {
  new Gauge({
    name: 'findings_open',
    help: 'Open findings of the watch, by kind and severity, across every tenant',
    labelNames: ['kind', 'severity'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await reads.openFindings()) this.set({ kind: r.kind, severity: r.severity }, r.count);
    },
  });
  new Gauge({
    name: 'jobs_queue_depth',
    help: 'Background jobs waiting (pending) and running, by queue, across every process',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await reads.jobDepth()) this.set({ queue: r.queue, state: r.state }, r.count);
    },
  });
  const duration = new Gauge({
    name: 'watch_round_duration_seconds',
    help: 'Duration of the last finished round, from its start to its last job',
    labelNames: ['round'] as const,
    registers: [registry],
  });
  const fetches = new Gauge({
    name: 'watch_round_fetches',
    help: 'Issuers whose discovery document was fetched in the last finished round (one fetch each)',
    labelNames: ['round'] as const,
    registers: [registry],
  });
  const checks = new Counter({
    name: 'watch_issuer_checks_total',
    help: 'Issuers checked by the watch, by outcome (ok, unreadable, refused by the network policy)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    issuerChecked: (outcome) => checks.inc({ outcome }),
    roundFinished(round, seconds, n) {
      duration.set({ round }, seconds);
      fetches.set({ round }, n);
    },
  };
}
