/**
 * What the tenant's webhooks are told, and when: an event type per audit action that matters to an
 * MSP's tooling. Events are made from the audit records of a change, inside the change's transaction
 * (webhook-outbox.ts), so there is no event without its change and no change without its event. Pure:
 * no I/O. A payload names the event, the tenant, the org, the resource and its API path, and a short
 * sentence; it never carries a secret or a fingerprint of one (the diffs' fingerprints are not copied).
 */
import type { AuditRecord } from '../audit/audit-event.js';

/** The event types an endpoint can ask for. */
export const WEBHOOK_EVENT_TYPES = [
  'sso.version.drafted',
  'sso.version.approved',
  'sso.version.rejected',
  'deployment.succeeded',
  'deployment.failed',
  'finding.opened',
  'finding.resolved',
  'webhook.disabled',
  'audit.checkpoint',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The ping of `POST /v1/webhooks/{id}/test`: sent to that endpoint only, whatever it asked for. */
export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * An event before the database has seen it. `summary` may hold `{org}`, replaced by the org's slug
 * when the event is written (the change's records name the org by id only).
 */
export interface WebhookEventDraft {
  readonly tenantId: string;
  readonly orgId: string | null;
  readonly type: WebhookEventType | typeof TEST_EVENT_TYPE;
  readonly resource: { readonly type: string; readonly id: string; readonly path: string };
  readonly summary: string;
  /** Facts of the event type (never a secret). */
  readonly details: Readonly<Record<string, unknown>>;
}

type Diff = { readonly before?: Record<string, unknown>; readonly after?: Record<string, unknown> };

const versionPath = (r: AuditRecord, n: unknown) => `/v1/orgs/${r.orgId}/sso/versions/${n}`;
const by = (r: AuditRecord) => (r.actor.type === 'system' ? '' : ` by ${r.actor.name}`);

/** The webhook event of one audit record, if it is one the webhooks tell. */
export function eventOf(r: AuditRecord): WebhookEventDraft | null {
  if (!r.tenantId) return null;
  const diff = r.diff as Diff;
  const after = diff.after ?? {};
  const before = diff.before ?? {};
  const base = { tenantId: r.tenantId, orgId: r.orgId };
  switch (r.action) {
    case 'sso_version.created':
    case 'sso_version.rollback_created': {
      const n = after.number;
      const rollback =
        r.action === 'sso_version.rollback_created' ? ` (a rollback to v${after.rollbackOf})` : '';
      return {
        ...base,
        type: 'sso.version.drafted',
        resource: { type: 'sso_version', id: r.target.id, path: versionPath(r, n) },
        summary: `Version ${n} of {org} was drafted${by(r)}${rollback} and awaits review.`,
        details: { version: n, kind: after.kind, validationStatus: after.validationStatus ?? null },
      };
    }
    case 'sso_version.approved':
    case 'sso_version.rejected': {
      const approved = r.action === 'sso_version.approved';
      const n = after.number;
      return {
        ...base,
        type: approved ? 'sso.version.approved' : 'sso.version.rejected',
        resource: { type: 'sso_version', id: r.target.id, path: versionPath(r, n) },
        summary: `Version ${n} of {org} was ${approved ? 'approved' : 'rejected'}${by(r)}.`,
        details: { version: n },
      };
    }
    case 'deployment.succeeded':
    case 'deployment.failed': {
      const ok = r.action === 'deployment.succeeded';
      const n = after.version;
      const status = typeof after.httpStatus === 'number' ? ` (HTTP ${after.httpStatus})` : '';
      return {
        ...base,
        type: ok ? 'deployment.succeeded' : 'deployment.failed',
        resource: {
          type: 'deployment',
          id: r.target.id,
          path: `/v1/orgs/${r.orgId}/deployments/${r.target.id}`,
        },
        summary: ok
          ? `Version ${n} of {org} was applied to its Cognigy installation.`
          : `Forwarding version ${n} of {org} to Cognigy failed${status}; it will not be retried automatically.`,
        details: {
          version: n,
          attempts: after.attempts ?? null,
          httpStatus: after.httpStatus ?? null,
          ...(ok ? {} : { traceId: after.traceId ?? null }),
        },
      };
    }
    case 'finding.opened':
    case 'finding.resolved': {
      const opened = r.action === 'finding.opened';
      const finding = opened ? after : before;
      return {
        ...base,
        type: opened ? 'finding.opened' : 'finding.resolved',
        resource: { type: 'finding', id: r.target.id, path: `/v1/orgs/${r.orgId}/findings` },
        summary: `{org}: ${opened ? '' : 'resolved: '}${finding.summary}`,
        details: { kind: finding.kind, severity: finding.severity },
      };
    }
    case 'webhook.disabled': {
      return {
        ...base,
        orgId: null,
        type: 'webhook.disabled',
        resource: { type: 'webhook', id: r.target.id, path: `/v1/webhooks/${r.target.id}` },
        summary: `The webhook endpoint ${after.url} was disabled: ${after.disabledReason}.`,
        details: { url: after.url },
      };
    }
    default:
      return null;
  }
}

/** The events of a change's audit records, in order. */
export const eventsOf = (records: readonly AuditRecord[]): WebhookEventDraft[] =>
  records.flatMap((r) => {
    const e = eventOf(r);
    return e ? [e] : [];
  });
