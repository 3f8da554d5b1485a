/**
 * An org's delivery state for GET /v1/orgs/{org}/sso: the version last applied, the deployment in
 * flight (the call under way: at most one per org), the deployment waiting to be sent (the newest
 * pending one; older pending ones are superseded when it is enqueued), and the newest failure that
 * no later success has cleared. The SQL is a fragment that the
 * SSO state read joins into its own statement (one round trip for the whole answer, issue 7); this
 * file is the only one that knows how deployments make up that state.
 */

export interface DeliveryRow {
  readonly applied_number: number | null;
  readonly applied_at: Date | null;
  readonly in_flight_id: string | null;
  readonly in_flight_number: number | null;
  /** When the call under way was claimed. */
  readonly in_flight_since: Date | null;
  readonly waiting_id: string | null;
  readonly waiting_number: number | null;
  readonly waiting_not_before: Date | null;
  readonly failed_number: number | null;
  /** When the newest failure finished (or last changed). */
  readonly failed_at: Date | null;
  /** Its position in time against the applied one (finished, or created). */
  readonly failed_order: Date | null;
  readonly failed_error: { detail?: unknown } | null;
}

export interface Delivery {
  readonly applied: { readonly number: number; readonly appliedAt: string } | null;
  readonly inFlight: {
    readonly number: number;
    readonly deploymentId: string;
    readonly since: string;
  } | null;
  readonly waiting: {
    readonly number: number;
    readonly deploymentId: string;
    readonly notBefore: string;
  } | null;
  readonly lastError: { readonly number: number; readonly at: string; readonly detail: string } | null;
}

/** The select-list columns of {@link DeliveryRow}, from the joins of {@link deliveryJoins}. */
export const DELIVERY_COLUMNS = `
  dl_applied.version_number AS applied_number, dl_applied.finished_at AS applied_at,
  dl_flight.id AS in_flight_id, dl_flight.version_number AS in_flight_number, dl_flight.updated_at AS in_flight_since,
  dl_waiting.id AS waiting_id, dl_waiting.version_number AS waiting_number, dl_waiting.not_before AS waiting_not_before,
  dl_failed.version_number AS failed_number, coalesce(dl_failed.finished_at, dl_failed.updated_at) AS failed_at,
  coalesce(dl_failed.finished_at, dl_failed.created_at) AS failed_order, dl_failed.last_error AS failed_error`;

/** Four index-backed lateral joins on the deployments of the org whose id is `orgId` (an SQL expression). */
export const deliveryJoins = (orgId: string) => `
  LEFT JOIN LATERAL (SELECT version_number, finished_at FROM deployments
                      WHERE org_id = ${orgId} AND state = 'succeeded'
                      ORDER BY finished_at DESC LIMIT 1) dl_applied ON true
  LEFT JOIN LATERAL (SELECT id, version_number, updated_at FROM deployments
                      WHERE org_id = ${orgId} AND state = 'in_flight'
                      ORDER BY created_at DESC LIMIT 1) dl_flight ON true
  LEFT JOIN LATERAL (SELECT id, version_number, not_before FROM deployments
                      WHERE org_id = ${orgId} AND state = 'pending'
                      ORDER BY created_at DESC LIMIT 1) dl_waiting ON true
  LEFT JOIN LATERAL (SELECT version_number, finished_at, updated_at, created_at, last_error FROM deployments
                      WHERE org_id = ${orgId} AND state = 'failed'
                      ORDER BY finished_at DESC LIMIT 1) dl_failed ON true`;

/** The API's view of a {@link DeliveryRow}. A failure counts until a later deployment succeeds. */
export function deliveryView(row: DeliveryRow): Delivery {
  const failedSinceApplied =
    row.failed_number !== null && (row.applied_at === null || (row.failed_order as Date) > row.applied_at);
  const detail = row.failed_error?.detail;
  return {
    applied:
      row.applied_number !== null
        ? { number: row.applied_number, appliedAt: (row.applied_at as Date).toISOString() }
        : null,
    inFlight:
      row.in_flight_id !== null
        ? {
            number: row.in_flight_number as number,
            deploymentId: row.in_flight_id,
            since: (row.in_flight_since as Date).toISOString(),
          }
        : null,
    waiting:
      row.waiting_id !== null
        ? {
            number: row.waiting_number as number,
            deploymentId: row.waiting_id,
            notBefore: (row.waiting_not_before as Date).toISOString(),
          }
        : null,
    lastError: failedSinceApplied
      ? {
          number: row.failed_number as number,
          at: (row.failed_at as Date).toISOString(),
          detail: typeof detail === 'string' ? detail : 'The deployment failed',
        }
      : null,
  };
}
