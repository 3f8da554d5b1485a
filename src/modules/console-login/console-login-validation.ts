/** The validation report stored with console login settings: an SSO version's shape, from discovery. */
import type { DiscoveryReport } from '../discovery/discovery-report.js';

export function validationOf(report: DiscoveryReport) {
  const { checks, status, ...discovery } = report;
  return { status, checkedAt: report.checkedAt, checks, discovery };
}
