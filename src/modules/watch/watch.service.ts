/**
 * The watch's rounds (issue 17), on the job queue so that several replicas share them safely:
 *
 * - Every replica's schedule enqueues the round of the current period (`discovery:<period start>`,
 *   `local:<period start>`), due after a jitter; the queue's unique (queue, key) makes that one job
 *   however many replicas try.
 * - A discovery round lists the issuers of every desired or applied OIDC version and enqueues one
 *   job per issuer (`<round>:<issuer>`), with the orgs that use it: one fetch of each issuer per
 *   round, whichever replica runs it. A local round enqueues one job per tenant.
 * - Each issuer job writes its findings (one transaction per batch of orgs, with their audit events),
 *   then saves the issuer's history and is marked done in one transaction. A round cut short by a
 *   crash resumes with the jobs not done (nothing finished is fetched again) once their leases run
 *   out; a job run again finds its open findings and does not open them twice, and the issuer's
 *   history counts a round once.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { FindingsService, RecordOutcome } from '../findings/findings.service.js';
import type { JobContext, JobRunner } from '../jobs/job-runner.js';
import { jobsRepository as jobs } from '../jobs/jobs.repository.js';
import { periodStart } from '../jobs/periodic-job.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { issuerOf, type WatchChecks } from './watch-checks.js';
import type { WatchMetrics } from './watch-metrics.js';
import { watchSettingsRepository as settings, type WatchSettingsRow } from './watch-settings.repository.js';
import { watchedVersionsRepository as watched } from './watched-versions.repository.js';

export const WATCH_QUEUES = {
  round: 'watch.round',
  issuer: 'watch.issuer',
  tenant: 'watch.tenant',
} as const;

export interface WatchServiceDeps {
  readonly db: Db;
  readonly jobs: Pick<JobRunner, 'handle' | 'enqueue'>;
  readonly checks: WatchChecks;
  readonly findings: Pick<FindingsService, 'listOfOrg'>;
  readonly orgs: Pick<OrgsService, 'find'>;
  readonly change: ChangeRunner;
  /** For the settings' view: how often an org's opt-in probe may run. */
  readonly probeIntervalSeconds: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly metrics?: WatchMetrics;
  readonly discoveryIntervalMs: number;
  /** Issuer (and tenant) jobs of the watch running at once in one process. */
  readonly concurrency: number;
  /** The share of the time (0–1] those jobs may run: after each, a pause in proportion. */
  readonly share?: number;
  readonly localIntervalMs: number;
  /** Finished jobs are deleted after this many days. */
  readonly jobRetentionDays: number;
  readonly random?: () => number;
}

type RoundKind = 'discovery' | 'local';

/** A round waits up to a tenth of its interval (at most 5 minutes), so that replicas and tenants spread. */
export const maxJitterMs = (intervalMs: number) => Math.min(intervalMs / 10, 300_000);

export function createWatchService(deps: WatchServiceDeps) {
  const { db, checks, logger, metrics } = deps;
  const random = deps.random ?? Math.random;
  const interval = (kind: RoundKind) =>
    kind === 'discovery' ? deps.discoveryIntervalMs : deps.localIntervalMs;

  /** Enqueues the rounds of the current periods (a no-op when they exist). */
  async function schedule(now = Date.now()): Promise<string[]> {
    const list = (['discovery', 'local'] as const).map((kind) => {
      const start = periodStart(now, interval(kind));
      return {
        queue: WATCH_QUEUES.round,
        key: `${kind}:${start.toISOString()}`,
        payload: { kind, round: `${kind}:${start.toISOString()}` },
        runAt: new Date(Math.max(now, start.getTime()) + Math.floor(random() * maxJitterMs(interval(kind)))),
      };
    });
    const created = await deps.jobs.enqueue(db, list);
    for (const c of created) logger.info({ round: c.key }, 'watch: round scheduled');
    return created.map((c) => c.key);
  }

  /** A round: one job per issuer (discovery) or per tenant (local), enqueued with the round's end. */
  async function startRound(ctx: JobContext): Promise<void> {
    const { kind, round } = ctx.job.payload as { kind: RoundKind; round: string };
    if (kind === 'local') {
      const tenants = await watched.tenants(db);
      await inTransaction(db, async (tx) => {
        await deps.jobs.enqueue(
          tx,
          tenants.map((tenantId) => ({
            queue: WATCH_QUEUES.tenant,
            key: `${round}:${tenantId}`,
            payload: { round, tenantId },
          })),
        );
        await ctx.complete(tx);
      });
      logger.info({ round, tenants: tenants.length }, 'watch: local round started');
      return;
    }
    const orgsByIssuer = await watched.issuers(db);
    await inTransaction(db, async (tx) => {
      await deps.jobs.enqueue(
        tx,
        [...orgsByIssuer].map(([issuer, orgIds]) => ({
          queue: WATCH_QUEUES.issuer,
          key: `${round}:${issuer}`,
          payload: { round, issuer, orgIds },
        })),
      );
      await ctx.complete(tx);
    });
    logger.info({ round, issuers: orgsByIssuer.size }, 'watch: discovery round started');
  }

  /** When the last job of a round is done, its duration and fetch count become the metrics. */
  async function noteRoundEnd(queue: string, round: string): Promise<void> {
    const progress = await jobs.progressByKeyPrefix(db, queue, `${round}:`);
    if (progress.total === 0 || progress.unfinished > 0) return;
    const started = progress.firstCreatedAt?.getTime() ?? 0;
    const ended = progress.lastFinishedAt?.getTime() ?? started;
    const kind: RoundKind = round.startsWith('discovery:') ? 'discovery' : 'local';
    metrics?.roundFinished(kind, (ended - started) / 1000, kind === 'discovery' ? progress.total : 0);
    logger.info({ round, jobs: progress.total, seconds: (ended - started) / 1000 }, 'watch: round finished');
  }

  async function checkIssuer(ctx: JobContext): Promise<void> {
    const { round, issuer, orgIds } = ctx.job.payload as { round: string; issuer: string; orgIds: string[] };
    const versions = (await watched.versions(db, { orgIds })).filter((v) => issuerOf(v) === issuer);
    const { outcome, save } = await checks.issuer(issuer, versions, round);
    await inTransaction(db, async (tx) => {
      await save(tx);
      await ctx.complete(tx);
    });
    if (outcome.opened + outcome.resolved + outcome.changed > 0)
      logger.info({ round, issuer, ...outcome }, 'watch: issuer checked');
    await noteRoundEnd(WATCH_QUEUES.issuer, round);
  }

  async function checkTenant(ctx: JobContext): Promise<void> {
    const { round, tenantId } = ctx.job.payload as { round: string; tenantId: string };
    const outcome = await checks.local(tenantId);
    await ctx.complete(db);
    if (outcome.opened + outcome.resolved + outcome.changed > 0)
      logger.info({ round, tenantId, ...outcome }, 'watch: tenant checked');
    await noteRoundEnd(WATCH_QUEUES.tenant, round);
  }

  deps.jobs.handle(WATCH_QUEUES.round, startRound);
  // Issuer and tenant jobs run at most `concurrency` at once per process, and only `share` of the
  // time: a round has hours, the API's requests do not (bench:watch: 8 at once took both cores for
  // 6 s, GET …/sso p99 7× idle; one at a time 2.7–3.9×; one at a time, a quarter of the time, see
  // BENCHMARKS.md).
  const bound = { concurrency: deps.concurrency, ...(deps.share !== undefined ? { share: deps.share } : {}) };
  deps.jobs.handle(WATCH_QUEUES.issuer, checkIssuer, bound);
  deps.jobs.handle(WATCH_QUEUES.tenant, checkTenant, bound);

  let timer: NodeJS.Timeout | undefined;
  let lastPurge = 0;
  const settingsView = (row: WatchSettingsRow) => ({
    credentialProbe: row.credentialProbe,
    lastProbedAt: row.lastProbedAt?.toISOString() ?? null,
    probeIntervalSeconds: deps.probeIntervalSeconds,
  });

  return {
    schedule,

    /** Schedules now and then every minute (or a quarter of the shorter interval), until stopped. */
    startSchedule(): void {
      if (timer) return;
      const tick = async () => {
        try {
          await schedule();
          if (Date.now() - lastPurge > 3_600_000) {
            lastPurge = Date.now();
            const purged = await jobs.purgeFinished(db, deps.jobRetentionDays);
            if (purged > 0) logger.info({ purged }, 'jobs: finished jobs purged');
          }
        } catch (err) {
          logger.error({ err }, 'watch: scheduling failed');
        }
      };
      void tick();
      const every = Math.max(1_000, Math.min(60_000, deps.discoveryIntervalMs / 4, deps.localIntervalMs / 4));
      timer = setInterval(tick, every);
      timer.unref();
    },

    stopSchedule(): void {
      clearInterval(timer);
      timer = undefined;
    },

    /** The org's watch settings. */
    async settings(principal: TenantPrincipal, ref: string) {
      const org = await deps.orgs.find(principal, ref);
      return settingsView(await settings.find(db, org.id));
    },

    /** Turns the org's credential probe on or off (audited). */
    async putSettings(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      body: { credentialProbe: boolean },
    ) {
      const org = await deps.orgs.find(principal, ref);
      return deps.change(ctx, async (tx, trail) => {
        await tx.selectFrom('orgs').select('id').where('id', '=', org.id).forUpdate().execute();
        const before = await settings.find(tx, org.id);
        if (before.credentialProbe === body.credentialProbe) trail.unchanged();
        else {
          await settings.put(tx, {
            tenantId: principal.tenantId,
            orgId: org.id,
            credentialProbe: body.credentialProbe,
            byId: ctx.actor.id,
          });
          await trail.record({
            tenantId: principal.tenantId,
            orgId: org.id,
            action: 'org.watch_changed',
            target: { type: 'org', id: org.id },
            diff: {
              before: { credentialProbe: before.credentialProbe },
              after: { credentialProbe: body.credentialProbe },
            },
          });
        }
        return settingsView(await settings.find(tx, org.id));
      });
    },

    /** Checks one org now (its issuers and its local checks), outside any round; returns what changed. */
    async runOrg(principal: TenantPrincipal, ref: string): Promise<RecordOutcome & { issuers: number }> {
      const org = await deps.orgs.find(principal, ref);
      const versions = await watched.versions(db, { orgIds: [org.id] });
      const issuers = [...new Set(versions.map(issuerOf).filter((i): i is string => i !== null))];
      const total = { opened: 0, changed: 0, resolved: 0, seen: 0 };
      const round = `now:${randomUUID()}`;
      for (const issuer of issuers) {
        const { outcome, save } = await checks.issuer(
          issuer,
          versions.filter((v) => issuerOf(v) === issuer),
          round,
        );
        await save(db);
        for (const k of ['opened', 'changed', 'resolved', 'seen'] as const) total[k] += outcome[k];
      }
      const local = await checks.local(principal.tenantId, [org.id]);
      for (const k of ['opened', 'changed', 'resolved', 'seen'] as const) total[k] += local[k];
      return { ...total, issuers: issuers.length };
    },
  };
}

export type WatchService = ReturnType<typeof createWatchService>;
