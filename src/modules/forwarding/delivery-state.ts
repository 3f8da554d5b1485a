/**
 * An org's delivery state for GET /v1/orgs/{org}/sso: the version last applied, the deployment in
 * flight (the call under way: at most one per org), the deployment waiting to be sent (the newest
 * pending one; older pending ones are superseded when it is enqueued), and the newest failure that
 * no later success has cleared. `orgsWithDelivery` starts the query that the SSO state read completes
 * (one statement for the whole answer, issue 7); this file is the only one that knows how
 * deployments make up that state.
 */
import { type ExpressionBuilder, sql } from 'kysely';
import type { Db } from '../../db/client.js';
import type { DB, Deployment, Org } from '../../generated/kysely/types.js';

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

type DeploymentColumn = keyof Deployment & string;

/**
 * The org's newest deployment in `state` (newest by `newest`), with `columns`: a lateral subquery on
 * `o`. The state is a literal in the text, for the partial indexes.
 */
const newestIn = <C extends DeploymentColumn>(
  eb: ExpressionBuilder<DB & { o: Org }, 'o'>,
  state: 'succeeded' | 'in_flight' | 'pending' | 'failed',
  columns: readonly C[],
  newest: 'finished_at' | 'created_at',
) =>
  eb
    .selectFrom('deployments')
    .select(columns)
    .whereRef('org_id', '=', 'o.id')
    .where('state', '=', sql.lit(state))
    .orderBy(newest, 'desc')
    .limit(1);

/**
 * The orgs (`o`), each with the columns of {@link DeliveryRow}: four index-backed lateral joins on
 * its deployments.
 */
export const orgsWithDelivery = (db: Db) =>
  db
    .selectFrom('orgs as o')
    .leftJoinLateral(
      (eb) => newestIn(eb, 'succeeded', ['version_number', 'finished_at'], 'finished_at').as('dl_applied'),
      (join) => join.onTrue(),
    )
    .leftJoinLateral(
      (eb) => newestIn(eb, 'in_flight', ['id', 'version_number', 'updated_at'], 'created_at').as('dl_flight'),
      (join) => join.onTrue(),
    )
    .leftJoinLateral(
      (eb) => newestIn(eb, 'pending', ['id', 'version_number', 'not_before'], 'created_at').as('dl_waiting'),
      (join) => join.onTrue(),
    )
    .leftJoinLateral(
      (eb) =>
        newestIn(
          eb,
          'failed',
          ['version_number', 'finished_at', 'updated_at', 'created_at', 'last_error'],
          'finished_at',
        ).as('dl_failed'),
      (join) => join.onTrue(),
    )
    .select((eb) => [
      'dl_applied.version_number as applied_number',
      'dl_applied.finished_at as applied_at',
      'dl_flight.id as in_flight_id',
      'dl_flight.version_number as in_flight_number',
      'dl_flight.updated_at as in_flight_since',
      'dl_waiting.id as waiting_id',
      'dl_waiting.version_number as waiting_number',
      'dl_waiting.not_before as waiting_not_before',
      'dl_failed.version_number as failed_number',
      eb.fn.coalesce('dl_failed.finished_at', 'dl_failed.updated_at').as('failed_at'),
      eb.fn.coalesce('dl_failed.finished_at', 'dl_failed.created_at').as('failed_order'),
      sql<{ detail?: unknown } | null>`dl_failed.last_error`.as('failed_error'),
    ]);

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
