/**
 * Prometheus metrics of webhook deliveries (issue 18): attempts by outcome and HTTP status class, their
 * duration, and — read from the database when scraped, so every process reports the shared queue —
 * the undelivered deliveries and the age of the oldest. Labels are bounded: never a tenant or a URL.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { statusClass } from '../../lib/http-status.js';

export interface WebhookMetrics {
  attempt(outcome: 'delivered' | 'retryable' | 'failed', status: number | null, durationMs: number): void;
}

export function createWebhookMetrics(
  registry: Registry,
  backlog: () => Promise<{ pending: number; oldestSeconds: number }>,
): WebhookMetrics {
  const attempts = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retryable, failed) and HTTP status class (none: no answer)',
    labelNames: ['outcome', 'status_class'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'webhook_delivery_duration_seconds',
    help: 'Duration of webhook delivery attempts, by HTTP status class',
    labelNames: ['status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // One read serves both gauges of a scrape.
  let reading: Promise<{ pending: number; oldestSeconds: number }> | undefined;
  const read = () => {
    reading ??= backlog().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  new Gauge({
    name: 'webhook_queue_depth',
    help: 'Webhook deliveries not delivered yet (waiting or being retried), across every process',
    registers: [registry],
    async collect() {
      this.set((await read()).pending);
    },
  });
  new Gauge({
    name: 'webhook_oldest_undelivered_seconds',
    help: 'Age of the oldest webhook delivery not delivered yet (0: none)',
    registers: [registry],
    async collect() {
      this.set((await read()).oldestSeconds);
    },
  });
  return {
    attempt(outcome, status, durationMs) {
      attempts.inc({ outcome, status_class: statusClass(status) });
      duration.observe({ status_class: statusClass(status) }, durationMs / 1000);
    },
  };
}
