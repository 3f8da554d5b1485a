/**
 * Prometheus metrics of forwarding (§6), on the app's registry: the queue's depth (read from the
 * database when scraped, so every process reports the shared queue), attempts by outcome and HTTP
 * status class, and the duration of calls to Cognigy. Labels are bounded: never an org or a URL.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { statusClass } from '../../lib/http-status.js';

export interface ForwardingMetrics {
  attempt(outcome: string, status: number | null, durationMs: number): void;
}

export function createForwardingMetrics(
  registry: Registry,
  queueDepth: () => Promise<{ pending: number; inFlight: number }>,
): ForwardingMetrics {
  const attempts = new Counter({
    name: 'forwarding_attempts_total',
    help: 'Calls to Cognigy by outcome (success, refused, retryable, network, timeout, skipped) and HTTP status class',
    labelNames: ['outcome', 'status_class'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'forwarding_call_duration_seconds',
    help: 'Duration of calls to Cognigy, by HTTP status class (none: no answer)',
    labelNames: ['status_class'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'forwarding_queue_depth',
    help: 'Deployments waiting (pending) and being sent (in_flight), across every process',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const depth = await queueDepth();
      this.set({ state: 'pending' }, depth.pending);
      this.set({ state: 'in_flight' }, depth.inFlight);
    },
  });
  return {
    attempt(outcome, status, durationMs) {
      attempts.inc({ outcome, status_class: statusClass(status) });
      if (outcome !== 'skipped') duration.observe({ status_class: statusClass(status) }, durationMs / 1000);
    },
  };
}
