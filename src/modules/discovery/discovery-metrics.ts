/**
 * Prometheus metrics of the validator, on the app's registry: how long a check takes, and how each
 * named check turned out. Labels are bounded (check names and statuses): never an issuer or URL.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { DiscoveryReport } from './discovery-report.js';

export interface DiscoveryMetrics {
  record(report: DiscoveryReport): void;
}

export function createDiscoveryMetrics(registry: Registry): DiscoveryMetrics {
  const duration = new Histogram({
    name: 'discovery_check_duration_seconds',
    help: 'Time to validate an OIDC issuer, by overall status and whether the document came from the cache',
    labelNames: ['status', 'cached'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'discovery_check_outcomes_total',
    help: 'Outcomes of the named discovery checks',
    labelNames: ['check', 'status'] as const,
    registers: [registry],
  });
  return {
    record(report) {
      duration.observe({ status: report.status, cached: String(report.cached) }, report.durationMs / 1000);
      for (const c of report.checks) outcomes.inc({ check: c.name, status: c.status });
    },
  };
}
