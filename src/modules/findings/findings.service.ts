/**
 * Findings (issue 17): what the watch's rounds saw, turned into at most one open finding per org,
 * kind and subject. `record` takes, per org, what a round observed and which kinds (and subjects) the
 * round looked at: an observation opens a finding or keeps it open (revised when its severity or
 * stage changed); an open finding the round looked for and did not see is resolved. Opening,
 * revising and resolving are audit events of the system actor in the same transaction.
 */
import type { Db } from '../../db/client.js';
import { decodeCursor, encodeCursor, pageOf } from '../../lib/cursor.js';
import { BadRequestError } from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import { systemContext } from '../../lib/request-context.js';
import type { AuditEntry } from '../audit/audit-event.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { type FindingKind, type Observation, SEVERITY_RANK } from './finding-kinds.js';
import type { FindingSnapshot } from './findings.audit.js';
import { type FindingRow, findingsRepository as findings, type NewFinding } from './findings.repository.js';
import type { FindingView, ListFindingsQuery, ListOrgFindingsQuery } from './findings.schemas.js';

/** Which open findings a round decides about: these kinds, limited to (or excluding) subjects. */
export interface CheckScope {
  readonly kinds: readonly FindingKind[];
  readonly subjects?: readonly string[];
  readonly exceptSubjects?: readonly string[];
}

/** What a round saw of one org. */
export interface OrgCheck {
  readonly orgId: string;
  readonly scope: CheckScope;
  readonly observations: readonly Observation[];
}

export interface RecordOutcome {
  readonly opened: number;
  readonly changed: number;
  readonly resolved: number;
  readonly seen: number;
}

/** Orgs per transaction: one lock set and one audit append per batch. */
const BATCH = 100;

const inScope = (scope: CheckScope, f: Pick<FindingRow, 'kind' | 'subject'>) =>
  scope.kinds.includes(f.kind) &&
  (scope.subjects === undefined || scope.subjects.includes(f.subject)) &&
  !(scope.exceptSubjects ?? []).includes(f.subject);

const snapshot = (f: Pick<FindingRow, 'kind' | 'subject' | 'severity' | 'state' | 'summary' | 'evidence'>) =>
  ({
    kind: f.kind,
    subject: f.subject,
    severity: f.severity,
    state: f.state,
    summary: f.summary,
    evidence: f.evidence,
  }) satisfies FindingSnapshot;

/** A finding changes in substance when its severity or its stage (a threshold crossed) changes. */
const revised = (open: FindingRow, seen: Observation) =>
  open.severity !== seen.severity ||
  open.evidence.stage !== seen.evidence.stage ||
  open.summary !== seen.summary;

export function toFindingView(row: FindingRow): FindingView {
  return {
    id: row.id,
    org: { id: row.orgId, slug: row.orgSlug ?? '' },
    kind: row.kind,
    subject: row.subject,
    severity: row.severity,
    state: row.state,
    summary: row.summary,
    action: row.action,
    evidence: { ...row.evidence },
    firstSeenAt: row.firstSeenAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}

const cursorOf = (row: FindingRow) => encodeCursor([SEVERITY_RANK[row.severity], row.id]);

function positionOf(cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  const [rank, id] = decodeCursor(cursor, ['number', 'string']);
  if (![1, 2, 3].includes(Number(rank)) || !isUuid(String(id))) {
    throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued', {
      errors: [{ pointer: '/query/cursor', detail: 'Use nextCursor from a previous page unchanged' }],
    });
  }
  return { rank: Number(rank), id: String(id) };
}

export function createFindingsService(deps: {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'find'>;
}) {
  const { db, change, orgs } = deps;

  /** One transaction: the batch's orgs locked, their open findings compared with what was seen. */
  async function recordBatch(
    tenantId: string,
    checks: readonly OrgCheck[],
    now: Date,
  ): Promise<RecordOutcome> {
    return change(systemContext('watch'), async (tx, trail) => {
      const orgIds = checks.map((c) => c.orgId);
      await findings.lockOrgs(tx, orgIds);
      const open = await findings.openOf(tx, orgIds);
      const events: AuditEntry[] = [];
      const toInsert: NewFinding[] = [];
      const seenIds: string[] = [];
      const toResolve: FindingRow[] = [];
      let changed = 0;
      for (const check of checks) {
        const mine = open.filter((f) => f.orgId === check.orgId);
        const key = (f: { kind: string; subject: string }) => `${f.kind}\u0000${f.subject}`;
        const seen = new Map(check.observations.map((o) => [key(o), o]));
        for (const f of mine) {
          const o = seen.get(key(f));
          if (o) {
            seen.delete(key(f));
            if (revised(f, o)) {
              const after = await findings.revise(tx, f.id, { ...o, lastSeenAt: now });
              changed += 1;
              events.push({
                tenantId,
                orgId: f.orgId,
                action: 'finding.changed',
                target: { type: 'finding', id: f.id },
                diff: { before: snapshot(f), after: snapshot(after) },
              });
            } else seenIds.push(f.id);
          } else if (inScope(check.scope, f)) toResolve.push(f);
        }
        for (const o of seen.values()) {
          toInsert.push({
            tenantId,
            orgId: check.orgId,
            kind: o.kind,
            subject: o.subject,
            severity: o.severity,
            summary: o.summary,
            action: o.action,
            evidence: o.evidence,
            firstSeenAt: o.since ?? now,
            lastSeenAt: now,
          });
        }
      }
      await findings.seenAgain(tx, seenIds, now);
      for (const f of await findings.insert(tx, toInsert)) {
        events.push({
          tenantId,
          orgId: f.orgId,
          action: 'finding.opened',
          target: { type: 'finding', id: f.id },
          diff: { after: snapshot(f) },
        });
      }
      for (const f of await findings.resolve(
        tx,
        toResolve.map((f) => f.id),
        now,
      )) {
        const before = toResolve.find((r) => r.id === f.id) as FindingRow;
        events.push({
          tenantId,
          orgId: f.orgId,
          action: 'finding.resolved',
          target: { type: 'finding', id: f.id },
          diff: {
            before: snapshot(before),
            after: { ...snapshot(f), reason: 'a round no longer sees it' },
          },
        });
      }
      if (events.length === 0) trail.unchanged();
      else await trail.recordAll(events);
      return { opened: toInsert.length, changed, resolved: toResolve.length, seen: seenIds.length };
    });
  }

  return {
    /** Records what a round saw of orgs of one tenant, in batches of {@link BATCH} orgs. */
    async record(tenantId: string, checks: readonly OrgCheck[], now = new Date()): Promise<RecordOutcome> {
      const total = { opened: 0, changed: 0, resolved: 0, seen: 0 };
      for (let i = 0; i < checks.length; i += BATCH) {
        const r = await recordBatch(tenantId, checks.slice(i, i + BATCH), now);
        total.opened += r.opened;
        total.changed += r.changed;
        total.resolved += r.resolved;
        total.seen += r.seen;
      }
      return total;
    },

    async list(principal: TenantPrincipal, query: ListFindingsQuery) {
      const orgId = query.org === undefined ? undefined : (await orgs.find(principal, query.org)).id;
      return listPage(principal, { ...query, ...(orgId ? { orgId } : {}) });
    },

    async listOfOrg(principal: TenantPrincipal, ref: string, query: ListOrgFindingsQuery) {
      const org = await orgs.find(principal, ref);
      return listPage(principal, { ...query, orgId: org.id });
    },

    countOpen: () => findings.countOpen(db),
  };

  async function listPage(
    principal: TenantPrincipal,
    query: ListOrgFindingsQuery & { readonly orgId?: string },
  ) {
    const limit = query.limit ?? 50;
    const rows = await findings.list(
      db,
      principal.tenantId,
      {
        orgScope: principal.orgScope,
        ...(query.orgId ? { orgId: query.orgId } : {}),
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.severity ? { severity: query.severity } : {}),
        ...(query.state ? { state: query.state } : {}),
      },
      positionOf(query.cursor),
      limit + 1,
    );
    return pageOf(rows, limit, cursorOf);
  }
}

export type FindingsService = ReturnType<typeof createFindingsService>;
