/**
 * The webhooks' tables: endpoints, events, deliveries and their attempts. The hot statements — the
 * outbox insert of a change, the load of a delivery, the record of attempts — are one statement each
 * and run as named prepared statements; the rest is plain Kysely.
 *
 * The outbox statement enqueues each delivery's job (queue `webhook.delivery`, keyed by the delivery's
 * id) and the record of attempts completes the jobs it settles, with the statements the jobs
 * repository hands out (`enqueueSql`, `completeSql`): one round trip each.
 */
import { type Selectable, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { timeIdPage } from '../../db/keyset.js';
import { prepared } from '../../db/prepared.js';
import type { WebhookEndpoint } from '../../generated/kysely/types.js';
import type { TimeIdPosition } from '../../lib/cursor.js';
import { jobsRepository } from '../jobs/jobs.repository.js';

/** The job queue of deliveries. */
export const DELIVERY_QUEUE = 'webhook.delivery';
/** Deliveries are bounded by time (the retry window), not by a number of attempts. */
export const DELIVERY_MAX_ATTEMPTS = 100_000;

export interface EndpointRow {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  readonly enabled: boolean;
  readonly secretSealed: string;
  readonly secretFingerprint: string;
  readonly previousSecretSealed: string | null;
  readonly previousSecretFingerprint: string | null;
  readonly previousSecretExpiresAt: Date | null;
  readonly failingSince: Date | null;
  readonly disabledReason: string | null;
  readonly revision: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly createdById: string | null;
}

/** What an admin sets of an endpoint. */
type EndpointSettings = Pick<EndpointRow, 'url' | 'description' | 'eventTypes' | 'enabled'>;

const endpointOf = (r: Selectable<WebhookEndpoint>): EndpointRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  url: r.url,
  description: r.description,
  eventTypes: r.event_types ?? [],
  enabled: r.enabled,
  secretSealed: r.secret_sealed,
  secretFingerprint: r.secret_fingerprint,
  previousSecretSealed: r.previous_secret_sealed,
  previousSecretFingerprint: r.previous_secret_fingerprint,
  previousSecretExpiresAt: r.previous_secret_expires_at,
  failingSince: r.failing_since,
  disabledReason: r.disabled_reason,
  revision: r.revision,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  createdById: r.created_by_id,
});

/** An event as the outbox statement takes it (the payload's org and summary are completed in SQL). */
export interface OutboxEvent {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string | null;
  readonly type: string;
  /** The payload's `data` without `org` and `summary`. */
  readonly data: Readonly<Record<string, unknown>>;
  /** May hold `{org}`: replaced by the org's slug. */
  readonly summary: string;
}

/** What a delivery's job needs to send it. */
export interface DeliveryToSend {
  readonly id: string;
  readonly tenantId: string;
  readonly state: string;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly eventId: string;
  readonly eventType: string;
  /** The JSON body, exactly as it is signed and sent. */
  readonly body: string;
  readonly endpointId: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly secretSealed: string;
  readonly previousSecretSealed: string | null;
  readonly previousSecretExpiresAt: Date | null;
}

/** One attempt's outcome, as the delivery worker records it. */
export interface AttemptOutcome {
  readonly deliveryId: string;
  /** The delivery's job, to be completed with the record (null: it is to be retried). */
  readonly jobId: string | null;
  readonly number: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outcome: 'delivered' | 'retryable' | 'failed';
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly nextAttemptAt: Date | null;
}

export interface DeliveryRow {
  readonly id: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface AttemptRow {
  readonly deliveryId: string;
  readonly number: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outcome: string;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly nextAttemptAt: Date | null;
}

// A raw statement as `prepared` takes it (the builder cannot write these CTEs).
const raw = <O>(db: Db, query: ReturnType<typeof sql<O>>) => ({ compile: () => query.compile(db) });

/**
 * A change's events, their deliveries (one per enabled endpoint of the tenant that wants the type)
 * and their jobs, in one statement; an event no endpoint wants is not written at all.
 */
const ENQUEUE = prepared(
  'webhook_outbox',
  (
    db,
    p: {
      ids: string[];
      tenantIds: string[];
      orgIds: (string | null)[];
      types: string[];
      data: string[];
      summaries: string[];
      queue: string;
      maxAttempts: number;
    },
  ) =>
    raw<{ deliveries: string }>(
      db,
      sql`WITH input AS (
          SELECT * FROM unnest(${p.ids}::uuid[], ${p.tenantIds}::uuid[], ${p.orgIds}::uuid[], ${p.types}::text[],
                               ${p.data}::jsonb[], ${p.summaries}::text[])
                   AS i(id, tenant_id, org_id, type, data, summary)
        ), wanted AS (
          SELECT i.id, i.tenant_id, e.id AS endpoint_id
            FROM input i
            JOIN webhook_endpoints e
              ON e.tenant_id = i.tenant_id AND e.enabled
             AND (cardinality(e.event_types) = 0 OR i.type = ANY (e.event_types))
        ), events AS (
          INSERT INTO webhook_events (id, tenant_id, org_id, type, payload, created_at)
          SELECT i.id, i.tenant_id, i.org_id, i.type,
                 jsonb_build_object(
                   'id', i.id, 'type', i.type,
                   'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   'data', i.data || jsonb_build_object(
                     'org', CASE WHEN o.id IS NULL THEN NULL ELSE jsonb_build_object('id', o.id, 'slug', o.slug) END,
                     'summary', replace(i.summary, '{org}', coalesce(o.slug, 'the tenant')))),
                 now()
            FROM input i LEFT JOIN orgs o ON o.id = i.org_id
           WHERE i.id IN (SELECT id FROM wanted)
          RETURNING id
        ), deliveries AS (
          INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id)
          SELECT gen_random_uuid(), w.tenant_id, w.endpoint_id, w.id FROM wanted w JOIN events ev ON ev.id = w.id
          RETURNING id
        ), jobs AS (
          ${jobsRepository.enqueueSql(p.queue, sql`SELECT d.id::text FROM deliveries d`, p.maxAttempts)}
        )
        SELECT count(*)::text AS deliveries FROM jobs`,
    ),
);

/** The deliveries to send, with their events and endpoints (a batch of the worker's jobs at once). */
const LOAD = prepared('webhook_delivery_load', (db, p: { ids: string[] }) =>
  raw<{
    id: string;
    tenant_id: string;
    state: string;
    attempts: number;
    created_at: Date;
    event_id: string;
    event_type: string;
    body: string;
    endpoint_id: string;
    url: string;
    enabled: boolean;
    secret_sealed: string;
    previous_secret_sealed: string | null;
    previous_secret_expires_at: Date | null;
  }>(
    db,
    sql`SELECT d.id, d.tenant_id, d.state, d.attempts, d.created_at, d.event_id, ev.type AS event_type,
               ev.payload::text AS body, e.id AS endpoint_id, e.url, e.enabled, e.secret_sealed,
               e.previous_secret_sealed, e.previous_secret_expires_at
          FROM webhook_deliveries d
          JOIN webhook_events ev ON ev.id = d.event_id
          JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE d.id = ANY (${p.ids}::uuid[])`,
  ),
);

/**
 * Attempts of several deliveries in one statement: each attempt row, its delivery's new state, and
 * the endpoints' `failing_since` (set by a failure, cleared by a success; written only when it
 * changes). Returns the endpoints that have been failing since before `disableBefore` (to disable).
 */
const RECORD = prepared(
  'webhook_attempts_record',
  (
    db,
    p: {
      deliveryIds: string[];
      numbers: number[];
      startedAt: Date[];
      durations: number[];
      outcomes: string[];
      statuses: (number | null)[];
      errors: (string | null)[];
      excerpts: (string | null)[];
      nextAt: (Date | null)[];
      disableBefore: Date;
      doneJobIds: string[];
      worker: string;
    },
  ) =>
    raw<{
      done: string[];
      failing: Array<{ endpoint_id: string; tenant_id: string; url: string; failing_since: string }>;
    }>(
      db,
      sql`WITH o AS (
          SELECT * FROM unnest(${p.deliveryIds}::uuid[], ${p.numbers}::int[], ${p.startedAt}::timestamptz[],
                               ${p.durations}::int[], ${p.outcomes}::text[], ${p.statuses}::int[], ${p.errors}::text[],
                               ${p.excerpts}::text[], ${p.nextAt}::timestamptz[])
                   AS o(delivery_id, number, started_at, duration_ms, outcome, http_status, error, excerpt, next_at)
        ), attempts AS (
          INSERT INTO webhook_attempts (id, delivery_id, number, started_at, duration_ms, outcome, http_status,
                                        error, response_excerpt, next_attempt_at)
          SELECT gen_random_uuid(), o.delivery_id, o.number, o.started_at, o.duration_ms, o.outcome, o.http_status,
                 o.error, o.excerpt, o.next_at
            FROM o JOIN webhook_deliveries d ON d.id = o.delivery_id
        ), deliveries AS (
          UPDATE webhook_deliveries d
             SET state = CASE o.outcome WHEN 'retryable' THEN 'pending' ELSE o.outcome END,
                 attempts = greatest(d.attempts, o.number),
                 next_attempt_at = o.next_at,
                 last_status = o.http_status,
                 last_error = o.error,
                 delivered_at = CASE WHEN o.outcome = 'delivered' THEN now() ELSE d.delivered_at END,
                 updated_at = now()
            FROM o
           WHERE d.id = o.delivery_id
          RETURNING d.endpoint_id, o.outcome, o.started_at
        ), per AS (
          SELECT endpoint_id, bool_or(outcome = 'delivered') AS ok, min(started_at) AS since
            FROM deliveries GROUP BY endpoint_id
        ), endpoints AS (
          UPDATE webhook_endpoints e
             SET failing_since = CASE WHEN per.ok THEN NULL ELSE per.since END
            FROM per
           WHERE e.id = per.endpoint_id AND (per.ok = (e.failing_since IS NOT NULL))
        ), done AS (
          ${jobsRepository.completeSql(p.doneJobIds, p.worker)}
        )
        SELECT (SELECT coalesce(json_agg(id), '[]') FROM done) AS done,
               (SELECT coalesce(json_agg(json_build_object('endpoint_id', e.id, 'tenant_id', e.tenant_id,
                                                           'url', e.url, 'failing_since', e.failing_since)), '[]')
                  FROM per JOIN webhook_endpoints e ON e.id = per.endpoint_id
                 WHERE NOT per.ok AND e.enabled AND e.failing_since < ${p.disableBefore}) AS failing`,
    ),
);

const DELIVERY_COLUMNS = [
  'd.id',
  'd.endpoint_id as endpointId',
  'd.event_id as eventId',
  'ev.type as eventType',
  'd.state',
  'd.attempts',
  'd.next_attempt_at as nextAttemptAt',
  'd.last_status as lastStatus',
  'd.last_error as lastError',
  'd.delivered_at as deliveredAt',
  'd.created_at as createdAt',
  'd.updated_at as updatedAt',
] as const;

export const webhooksRepository = {
  async insertEndpoint(
    tx: Tx,
    row: Pick<
      EndpointRow,
      'id' | 'tenantId' | 'createdById' | keyof EndpointSettings | 'secretSealed' | 'secretFingerprint'
    >,
  ): Promise<EndpointRow> {
    const r = await tx
      .insertInto('webhook_endpoints')
      .values({
        id: row.id,
        tenant_id: row.tenantId,
        url: row.url,
        description: row.description,
        event_types: [...row.eventTypes],
        enabled: row.enabled,
        secret_sealed: row.secretSealed,
        secret_fingerprint: row.secretFingerprint,
        created_by_id: row.createdById,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return endpointOf(r);
  },

  newEndpointId: () => uuidv7(),

  async findEndpoint(
    db: Db,
    tenantId: string,
    id: string,
    forUpdate = false,
  ): Promise<EndpointRow | undefined> {
    let q = db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id);
    if (forUpdate) q = q.forUpdate();
    const r = await q.executeTakeFirst();
    return r ? endpointOf(r) : undefined;
  },

  async listEndpoints(db: Db, tenantId: string, q: { limit: number; after?: TimeIdPosition }) {
    const rows = await timeIdPage(
      db.selectFrom('webhook_endpoints').selectAll().where('tenant_id', '=', tenantId),
      'desc',
      q.after,
      q.limit,
    ).execute();
    return rows.map(endpointOf);
  },

  async updateEndpoint(
    tx: Tx,
    id: string,
    set: Partial<
      Omit<EndpointRow, 'id' | 'tenantId' | 'revision' | 'createdAt' | 'updatedAt' | 'createdById'>
    >,
  ): Promise<EndpointRow> {
    const r = await tx
      .updateTable('webhook_endpoints')
      .set({
        ...(set.url !== undefined ? { url: set.url } : {}),
        ...(set.description !== undefined ? { description: set.description } : {}),
        ...(set.eventTypes !== undefined ? { event_types: [...set.eventTypes] } : {}),
        ...(set.enabled !== undefined ? { enabled: set.enabled } : {}),
        ...(set.secretSealed !== undefined ? { secret_sealed: set.secretSealed } : {}),
        ...(set.secretFingerprint !== undefined ? { secret_fingerprint: set.secretFingerprint } : {}),
        ...(set.previousSecretSealed !== undefined
          ? { previous_secret_sealed: set.previousSecretSealed }
          : {}),
        ...(set.previousSecretFingerprint !== undefined
          ? { previous_secret_fingerprint: set.previousSecretFingerprint }
          : {}),
        ...(set.previousSecretExpiresAt !== undefined
          ? { previous_secret_expires_at: set.previousSecretExpiresAt }
          : {}),
        ...(set.failingSince !== undefined ? { failing_since: set.failingSince } : {}),
        ...(set.disabledReason !== undefined ? { disabled_reason: set.disabledReason } : {}),
        revision: sql<number>`revision + 1`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return endpointOf(r);
  },

  /** Disables an enabled endpoint (the worker: failing for too long); undefined when it was not enabled. */
  async disableEndpoint(tx: Tx, id: string, reason: string): Promise<EndpointRow | undefined> {
    const r = await tx
      .updateTable('webhook_endpoints')
      .set({
        enabled: false,
        disabled_reason: reason,
        revision: sql<number>`revision + 1`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('enabled', '=', true)
      .returningAll()
      .executeTakeFirst();
    return r ? endpointOf(r) : undefined;
  },

  /** Deletes the endpoint, its deliveries and attempts (cascade) and their unfinished jobs. */
  async deleteEndpoint(tx: Tx, id: string): Promise<void> {
    const pending = await tx
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('endpoint_id', '=', id)
      .where('state', '=', sql.lit('pending'))
      .execute();
    await jobsRepository.cancel(
      tx,
      DELIVERY_QUEUE,
      pending.map((d) => d.id),
    );
    await tx.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
  },

  /** Writes a change's events with their deliveries and jobs; returns the number of deliveries. */
  async enqueue(tx: Tx, events: readonly OutboxEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const row = await ENQUEUE.first(tx, {
      ids: events.map((e) => e.id),
      tenantIds: events.map((e) => e.tenantId),
      orgIds: events.map((e) => e.orgId),
      types: events.map((e) => e.type),
      data: events.map((e) => JSON.stringify(e.data)),
      summaries: events.map((e) => e.summary),
      queue: DELIVERY_QUEUE,
      maxAttempts: DELIVERY_MAX_ATTEMPTS,
    });
    return Number(row?.deliveries ?? 0);
  },

  /** A new delivery (and its job) of an event already written, to one endpoint: redelivery, tests. */
  async insertDelivery(
    tx: Tx,
    p: { tenantId: string; endpointId: string; eventId: string },
  ): Promise<string> {
    const id = uuidv7();
    await tx
      .insertInto('webhook_deliveries')
      .values({ id, tenant_id: p.tenantId, endpoint_id: p.endpointId, event_id: p.eventId })
      .execute();
    await jobsRepository.enqueue(tx, [
      { queue: DELIVERY_QUEUE, key: id, maxAttempts: DELIVERY_MAX_ATTEMPTS },
    ]);
    return id;
  },

  /** Writes one event to one endpoint regardless of what it wants (the test ping). */
  async insertEvent(
    tx: Tx,
    e: { id: string; tenantId: string; type: string; payload: Readonly<Record<string, unknown>> },
  ): Promise<void> {
    await tx
      .insertInto('webhook_events')
      .values({
        id: e.id,
        tenant_id: e.tenantId,
        org_id: null,
        type: e.type,
        payload: JSON.stringify(e.payload),
      })
      .execute();
  },

  async loadForSending(db: Db, ids: readonly string[]): Promise<Map<string, DeliveryToSend>> {
    const rows = await LOAD.execute(db, { ids: [...ids] });
    return new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          tenantId: r.tenant_id,
          state: r.state,
          attempts: r.attempts,
          createdAt: r.created_at,
          eventId: r.event_id,
          eventType: r.event_type,
          body: r.body,
          endpointId: r.endpoint_id,
          url: r.url,
          enabled: r.enabled,
          secretSealed: r.secret_sealed,
          previousSecretSealed: r.previous_secret_sealed,
          previousSecretExpiresAt: r.previous_secret_expires_at,
        },
      ]),
    );
  },

  /**
   * Records attempts (see RECORD) and completes the jobs of the settled ones (`jobId`, under
   * `worker`'s lease); returns the jobs it completed and the endpoints failing since before
   * `disableBefore`.
   */
  async recordAttempts(db: Db, outcomes: readonly AttemptOutcome[], disableBefore: Date, worker: string) {
    const row = await RECORD.first(db, {
      deliveryIds: outcomes.map((o) => o.deliveryId),
      numbers: outcomes.map((o) => o.number),
      startedAt: outcomes.map((o) => o.startedAt),
      durations: outcomes.map((o) => Math.round(o.durationMs)),
      outcomes: outcomes.map((o) => o.outcome),
      statuses: outcomes.map((o) => o.httpStatus),
      errors: outcomes.map((o) => o.error),
      excerpts: outcomes.map((o) => o.responseExcerpt),
      nextAt: outcomes.map((o) => o.nextAttemptAt),
      disableBefore,
      doneJobIds: outcomes.flatMap((o) => (o.jobId ? [o.jobId] : [])),
      worker,
    });
    return {
      completed: new Set(row?.done ?? []),
      failing: (row?.failing ?? []).map((r) => ({
        endpointId: r.endpoint_id,
        tenantId: r.tenant_id,
        url: r.url,
        failingSince: new Date(r.failing_since),
      })),
    };
  },

  /** A delivery that will not be sent (its endpoint was disabled): failed, without an attempt. */
  async failUnsent(db: Db, id: string, error: string): Promise<void> {
    await db
      .updateTable('webhook_deliveries')
      .set({ state: 'failed', last_error: error, next_attempt_at: null, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  },

  async listDeliveries(
    db: Db,
    endpointId: string,
    q: { limit: number; after?: TimeIdPosition; state?: string },
  ): Promise<DeliveryRow[]> {
    let query = db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
      .select(DELIVERY_COLUMNS)
      .where('d.endpoint_id', '=', endpointId);
    if (q.state) query = query.where('d.state', '=', q.state);
    if (q.after) {
      const { createdAt, id } = q.after;
      query = query.where((eb) =>
        eb.or([
          eb('d.created_at', '<', createdAt),
          eb.and([eb('d.created_at', '=', createdAt), eb('d.id', '<', id)]),
        ]),
      );
    }
    return query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(q.limit).execute();
  },

  async findDelivery(db: Db, endpointId: string, id: string): Promise<DeliveryRow | undefined> {
    return db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
      .select(DELIVERY_COLUMNS)
      .where('d.endpoint_id', '=', endpointId)
      .where('d.id', '=', id)
      .executeTakeFirst();
  },

  async attemptsOf(db: Db, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    return db
      .selectFrom('webhook_attempts')
      .select([
        'delivery_id as deliveryId',
        'number',
        'started_at as startedAt',
        'duration_ms as durationMs',
        'outcome',
        'http_status as httpStatus',
        'error',
        'response_excerpt as responseExcerpt',
        'next_attempt_at as nextAttemptAt',
      ])
      .where('delivery_id', '=', sql<string>`any(${[...deliveryIds]}::uuid[])`)
      .orderBy('delivery_id')
      .orderBy('number')
      .execute();
  },

  /** Undelivered deliveries: how many, and the age of the oldest (metrics). */
  async backlog(db: Db): Promise<{ pending: number; oldestSeconds: number }> {
    const r = await db
      .selectFrom('webhook_deliveries')
      .select([
        sql<string>`count(*)`.as('n'),
        sql<number | null>`extract(epoch FROM now() - min(created_at))::float8`.as('age'),
      ])
      .where('state', '=', sql.lit('pending'))
      .executeTakeFirstOrThrow();
    return { pending: Number(r.n), oldestSeconds: Number(r.age ?? 0) };
  },
};
