/**
 * Console sessions (issue 20), kept in PostgreSQL: started at sign-in (a new random id each time,
 * only its hash stored), found by the cookie on every request, slid forward while used (idle
 * timeout) up to their lifetime, ended by sign-out, by an admin, or by expiry — when the cookie comes
 * back, or by the periodic sweep, whichever is first. Every end is an audit event; a session's
 * principal acts as its person. Ended sessions are deleted after the retention period.
 */
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { decodeTimeIdCursor, pageOf, timeIdCursor } from '../../lib/cursor.js';
import { NotFoundError } from '../../lib/errors.js';
import { type ChangeContext, systemContext } from '../../lib/request-context.js';
import type { AuditTrailWriter, ChangeRunner } from '../audit/audited-change.js';
import type { AuthenticatedSession } from '../auth/console-session.js';
import { type Role, requireUnscoped, type TenantPrincipal } from '../auth/principal.js';
import {
  csrfTokenOf,
  isSessionTokenShape,
  newSessionToken,
  sessionTokenHash,
} from '../auth/session-token.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { periodicJob } from '../jobs/periodic-job.js';
import type { PersonRow } from './people.repository.js';
import { type EndReason, sessionsRepository as repo, type SessionRow } from './sessions.repository.js';

export interface ConsoleSessionsDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  /** Inactivity after which a session ends (CONSOLE_SESSION_IDLE_MINUTES). */
  readonly idleMs: number;
  /** A session's lifetime, however active (CONSOLE_SESSION_MAX_HOURS). */
  readonly maxMs: number;
  /** Ended sessions are deleted after this long (CONSOLE_SESSION_RETENTION_DAYS). */
  readonly retentionMs: number;
  /** The sweep runs on this queue once per SWEEP_INTERVAL_MS, in one process at a time. */
  readonly jobs: Pick<JobRunner, 'handle' | 'enqueue'>;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  readonly now?: () => Date;
}

export const SESSION_SWEEP_QUEUE = 'console.sessions.sweep';
/** How often expired sessions are ended and old ones deleted. */
export const SWEEP_INTERVAL_MS = 5 * 60_000;
/** Sessions ended per transaction of the sweep (each with its event). */
const SWEEP_BATCH = 200;

/** The idle expiry is written at most once per this long per session (not on every request). */
const TOUCH_RESOLUTION_MS = 15_000;

export const principalOfSession = (s: SessionRow): TenantPrincipal => ({
  kind: 'tenant',
  keyId: s.person.id,
  keyName: s.person.email ?? s.person.name ?? s.person.subject,
  tenantId: s.tenantId,
  roles: s.roles,
  orgScope: s.orgScope,
  person: { ...s.person, sessionId: s.id },
});

export function createConsoleSessionsService(deps: ConsoleSessionsDeps) {
  const { db, change } = deps;
  const now = deps.now ?? (() => new Date());

  async function recordEnd(tx: Tx, trail: AuditTrailWriter, s: SessionRow, reason: EndReason, at: Date) {
    if (!(await repo.end(tx, s.tenantId, s.id, reason, at))) return false;
    const target = { type: 'console_session', id: s.id } as const;
    if (reason === 'signed_out') {
      await trail.record({
        tenantId: s.tenantId,
        action: 'console_sign_out',
        target,
        diff: { after: { sessionId: s.id, personId: s.person.id } },
      });
    } else {
      await trail.record({
        tenantId: s.tenantId,
        action: 'console_session.ended',
        target,
        diff: { after: { sessionId: s.id, personId: s.person.id, reason } },
      });
    }
    return true;
  }

  /**
   * Ends the sessions that expired unnoticed (nobody came back with their cookie), each with its
   * `console_session.ended` event as if noticed, then deletes those ended before the retention.
   */
  async function sweep(signal?: AbortSignal): Promise<{ ended: number; purged: number }> {
    const at = now();
    let ended = 0;
    for (;;) {
      if (signal?.aborted) throw new Error('stopping'); // released, due again at once
      const batch = await repo.expiredNotEnded(db, at, SWEEP_BATCH);
      if (batch.length === 0) break;
      // A session ended meanwhile (sign-out, its cookie back) is left to that end: not counted.
      ended += await change(systemContext('console session expiry'), async (tx, trail) => {
        let count = 0;
        for (const s of batch) if (await recordEnd(tx, trail, s, 'expired', at)) count += 1;
        if (count === 0) trail.unchanged();
        return count;
      });
      if (batch.length < SWEEP_BATCH) break;
    }
    const purged = await repo.purgeEnded(db, new Date(at.getTime() - deps.retentionMs));
    if (ended > 0 || purged > 0) deps.logger.info({ ended, purged }, 'console sessions: swept');
    return { ended, purged };
  }

  deps.jobs.handle(SESSION_SWEEP_QUEUE, async (ctx) => void (await sweep(ctx.signal)));
  const sweeps = periodicJob({
    db,
    jobs: deps.jobs,
    queue: SESSION_SWEEP_QUEUE,
    intervalMs: SWEEP_INTERVAL_MS,
    logger: deps.logger,
  });

  return {
    sweep,
    /** Enqueues the sweep now and then every period, until stopped (one run per period across processes). */
    startSweeps: sweeps.start,
    stopSweeps: sweeps.stop,

    /**
     * Starts a session for `person` in the sign-in's transaction; returns the cookie's value (the
     * only place it exists) and the session's public id.
     */
    async start(
      tx: Tx,
      s: {
        tenantId: string;
        person: PersonRow;
        roles: readonly Role[];
        orgScope: readonly string[] | null;
        sourceIp: string | null;
        userAgent: string | null;
      },
    ) {
      const token = newSessionToken();
      const at = now();
      const id = uuidv7();
      const expiresAt = new Date(at.getTime() + deps.maxMs);
      await repo.insert(tx, {
        id,
        tenantId: s.tenantId,
        personId: s.person.id,
        tokenHash: sessionTokenHash(token),
        roles: s.roles,
        orgScope: s.orgScope,
        createdAt: at,
        idleExpiresAt: new Date(Math.min(at.getTime() + deps.idleMs, expiresAt.getTime())),
        expiresAt,
        sourceIp: s.sourceIp,
        userAgent: s.userAgent,
      });
      return { token, id, expiresAt };
    },

    /** The live session of a cookie's value, slid forward; an expired one is ended (and audited) here. */
    async authenticate(token: string): Promise<AuthenticatedSession | undefined> {
      if (!isSessionTokenShape(token)) return undefined;
      const session = await repo.findByTokenHash(db, sessionTokenHash(token));
      if (!session || session.endedAt) return undefined;
      const at = now();
      if (session.idleExpiresAt <= at || session.expiresAt <= at) {
        await change(systemContext('console session expiry'), async (tx, trail) => {
          if (!(await recordEnd(tx, trail, session, 'expired', at))) trail.unchanged();
        });
        return undefined;
      }
      if (at.getTime() - session.lastSeenAt.getTime() >= TOUCH_RESOLUTION_MS) {
        const idle = new Date(Math.min(at.getTime() + deps.idleMs, session.expiresAt.getTime()));
        await repo.touch(db, session.id, at, idle);
      }
      return { principal: principalOfSession(session), session, csrfToken: csrfTokenOf(token) };
    },

    /** Sign-out: ends the caller's own session. */
    async signOut(ctx: ChangeContext, session: SessionRow) {
      await change(ctx, async (tx, trail) => {
        if (!(await recordEnd(tx, trail, session, 'signed_out', now()))) trail.unchanged();
      });
    },

    /** An admin ends one of the tenant's sessions (another tenant's is not found). */
    async end(ctx: ChangeContext, principal: TenantPrincipal, id: string) {
      requireUnscoped(principal);
      const session = await repo.findById(db, principal.tenantId, id.toLowerCase());
      if (!session || session.endedAt) {
        throw new NotFoundError('CONSOLE_SESSION_NOT_FOUND', 'No such console session (or it has ended)');
      }
      await change(ctx, async (tx, trail) => {
        if (!(await recordEnd(tx, trail, session, 'ended_by_admin', now()))) {
          throw new NotFoundError('CONSOLE_SESSION_NOT_FOUND', 'No such console session (or it has ended)');
        }
      });
    },

    /** The tenant's live sessions, newest first. */
    async list(principal: TenantPrincipal, q: { cursor?: string; limit?: number }) {
      requireUnscoped(principal);
      const limit = q.limit ?? 50;
      const rows = await repo.listActive(
        db,
        principal.tenantId,
        now(),
        limit + 1,
        decodeTimeIdCursor(q.cursor),
      );
      return pageOf(rows, limit, timeIdCursor);
    },
  };
}

export type ConsoleSessionsService = ReturnType<typeof createConsoleSessionsService>;
