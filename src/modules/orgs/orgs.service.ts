/**
 * Organisations and their Cognigy target. Role checks happen at the route (declared access);
 * here: tenant isolation, org scope, optimistic concurrency, and secrets that never leave sealed.
 */
import type { Db, Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { decodeCursor, encodeCursor, pageOf } from '../../lib/cursor.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/identifiers.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { Labels } from '../../lib/schemas.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { changes, created } from '../audit/diff.js';
import { canSeeOrg, requireUnscoped, type TenantPrincipal } from '../auth/principal.js';
import { normaliseApiBase } from '../cognigy/cognigy-api-base.js';
import type { SecretLocation, SecretsService } from '../crypto/secrets.service.js';
import { cognigyTargetsRepository as targets } from './cognigy-targets.repository.js';
import { type OrgRow, orgsRepository as orgs } from './orgs.repository.js';
import type {
  CreateOrgBody,
  ListOrgsQuery,
  OrgView,
  PutCognigyTargetBody,
  UpdateOrgBody,
} from './orgs.schemas.js';

export interface OrgsServiceDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'sealSecret' | 'openSecret' | 'fingerprint' | 'shredOrg'>;
  readonly allowHttp: boolean;
  readonly change: ChangeRunner;
}

/** The Cognigy credentials in plain text, for the one call that needs them (forwarding). */
export interface CognigyCredentials {
  readonly apiBase: string;
  readonly apiKey: string;
  readonly organisationId: string | null;
}

export const cognigyApiKeyLocation = (tenantId: string, orgId: string): SecretLocation => ({
  tenantId,
  orgId,
  record: `cognigy_targets/${orgId}`,
  field: 'apiKey',
});

export function toOrgView(row: OrgRow): OrgView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    labels: row.labels as Labels,
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    archivedAt: row.archivedAt?.toISOString() ?? null,
    cognigy: row.cognigy
      ? {
          apiBase: row.cognigy.apiBase,
          organisationId: row.cognigy.organisationId,
          apiKey: { set: row.dataKey !== null, fingerprint: row.cognigy.apiKeyFingerprint },
          updatedAt: row.cognigy.updatedAt.toISOString(),
        }
      : null,
  };
}

function parseLabelFilters(pairs: readonly string[] | undefined): Labels {
  const labels: Labels = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

const orgNotFound = () => new NotFoundError('ORG_NOT_FOUND', 'No such org');

export function createOrgsService({ db, secrets, allowHttp, change }: OrgsServiceDeps) {
  /**
   * Finds an org by id or slug, as the principal may see it.
   * @param client the transaction when called inside one (a second connection from the pool while
   * holding one deadlocks once every connection is held by a transaction waiting for another)
   */
  async function find(principal: TenantPrincipal, ref: string, client: Db = db): Promise<OrgRow> {
    const row = await orgs.find(
      client,
      principal.tenantId,
      isUuid(ref) ? { id: ref.toLowerCase() } : { slug: ref },
    );
    if (!row || !canSeeOrg(principal, row.id)) throw orgNotFound();
    return row;
  }

  /**
   * Opens a write on one org: resolves it, locks its row, refuses archived orgs and stale revisions.
   * @param expected revision from If-Match or the body, when the client sent one
   */
  async function lockForWrite(
    tx: Tx,
    principal: TenantPrincipal,
    ref: string,
    expected: number | undefined,
  ): Promise<OrgRow> {
    const row = await orgs.lockByRef(
      tx,
      principal.tenantId,
      isUuid(ref) ? { id: ref.toLowerCase() } : { slug: ref },
    );
    if (!row || !canSeeOrg(principal, row.id)) throw orgNotFound();
    if (row.archivedAt) {
      throw new ConflictError('ORG_ARCHIVED', 'The org is archived and cannot change', {
        body: { current: toOrgView(row) },
      });
    }
    if (expected !== undefined && expected !== row.revision) {
      throw new ConflictError(
        'ORG_REVISION_STALE',
        `The org changed since revision ${expected}; it is now at revision ${row.revision}`,
        { body: { current: toOrgView(row) } },
      );
    }
    return row;
  }

  const slugTaken = (slug: string) =>
    new ConflictError(
      'ORG_SLUG_TAKEN',
      `The slug "${slug}" is already used by another active org of this tenant`,
      {
        errors: [{ pointer: '/body/slug', detail: 'already in use' }],
      },
    );

  return {
    find,
    lockForWrite,

    async create(ctx: ChangeContext, principal: TenantPrincipal, body: CreateOrgBody): Promise<OrgRow> {
      requireUnscoped(principal);
      try {
        return await change(ctx, async (tx, trail) => {
          const row = await orgs.insert(tx, principal.tenantId, {
            slug: body.slug,
            name: body.name.trim(),
            labels: body.labels ?? {},
          });
          await trail.record({
            tenantId: principal.tenantId,
            action: 'org.created',
            target: { type: 'org', id: row.id },
            orgId: row.id,
            diff: created(toOrgView(row)),
          });
          return row;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw slugTaken(body.slug);
        throw error;
      }
    },

    async list(principal: TenantPrincipal, query: ListOrgsQuery) {
      const limit = query.limit ?? 50;
      const after = query.cursor ? decodeCursor(query.cursor, ['string', 'string']) : undefined;
      if (after && !isUuid(String(after[1]))) {
        throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued');
      }
      const rows = await orgs.list(db, {
        tenantId: principal.tenantId,
        orgScope: principal.orgScope,
        archived: query.archived ?? false,
        text: query.q,
        labels: parseLabelFilters(query.label),
        after: after ? { slug: String(after[0]), id: String(after[1]) } : undefined,
        limit: limit + 1,
      });
      return pageOf(rows, limit, (last) => encodeCursor([last.slug, last.id]));
    },

    async update(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      body: UpdateOrgBody,
      expected: number | undefined,
    ) {
      try {
        return await change(ctx, async (tx, trail) => {
          const row = await lockForWrite(tx, principal, ref, expected);
          const updated = await orgs.update(tx, row.id, {
            ...(body.slug !== undefined ? { slug: body.slug } : {}),
            ...(body.name !== undefined ? { name: body.name.trim() } : {}),
            ...(body.labels !== undefined ? { labels: body.labels } : {}),
          });
          await trail.record({
            tenantId: principal.tenantId,
            action: 'org.updated',
            target: { type: 'org', id: row.id },
            orgId: row.id,
            diff: changes(toOrgView(row), toOrgView(updated)),
          });
          return updated;
        });
      } catch (error) {
        if (isUniqueViolation(error) && body.slug) throw slugTaken(body.slug);
        throw error;
      }
    },

    /** Archives (never deletes); with `shredSecrets` also destroys the org's data key. */
    async archive(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      shredSecrets: boolean,
      expected: number | undefined,
    ) {
      return change(ctx, async (tx, trail) => {
        const row = await lockForWrite(tx, principal, ref, expected);
        const target = { type: 'org', id: row.id };
        if (shredSecrets && (await secrets.shredOrg(tx, row.id))) {
          await trail.record({
            tenantId: principal.tenantId,
            action: 'org.secrets_shredded',
            target,
            orgId: row.id,
            diff: { before: { dataKey: 'present' }, after: { dataKey: 'destroyed' } },
          });
        }
        const archived = await orgs.update(tx, row.id, { archivedAt: new Date() });
        await trail.record({
          tenantId: principal.tenantId,
          action: 'org.archived',
          target,
          orgId: row.id,
          diff: changes(toOrgView(row), toOrgView(archived)),
        });
        return archived;
      });
    },

    async putCognigyTarget(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      ref: string,
      body: PutCognigyTargetBody,
      expected: number | undefined,
    ): Promise<OrgRow> {
      const apiBase = normaliseApiBase(body.apiBase, allowHttp);
      return change(ctx, async (tx, trail) => {
        const row = await lockForWrite(tx, principal, ref, expected);
        const existing = await targets.find(tx, principal.tenantId, row.id);
        const location = cognigyApiKeyLocation(principal.tenantId, row.id);
        let sealed: { apiKeySealed: string; apiKeyFingerprint: string };
        if (body.apiKey !== undefined) {
          sealed = {
            apiKeySealed: await secrets.sealSecret(tx, location, body.apiKey),
            apiKeyFingerprint: await secrets.fingerprint(tx, principal.tenantId, body.apiKey),
          };
        } else if (existing) {
          sealed = { apiKeySealed: existing.apiKeySealed, apiKeyFingerprint: existing.apiKeyFingerprint };
        } else {
          throw new BadRequestError(
            'COGNIGY_API_KEY_REQUIRED',
            'The org has no Cognigy API key yet: apiKey is required',
            {
              errors: [
                { pointer: '/body/apiKey', detail: 'required when setting the target for the first time' },
              ],
            },
          );
        }
        await targets.upsert(tx, principal.tenantId, row.id, {
          apiBase,
          ...sealed,
          organisationId:
            body.organisationId === undefined ? (existing?.organisationId ?? null) : body.organisationId,
          updatedById: principal.keyId,
        });
        const updated = await orgs.update(tx, row.id, {});
        await trail.record({
          tenantId: principal.tenantId,
          action: 'cognigy_target.updated',
          target: { type: 'cognigy_target', id: row.id },
          orgId: row.id,
          diff: changes({ cognigy: toOrgView(row).cognigy }, { cognigy: toOrgView(updated).cognigy }),
        });
        return updated;
      });
    },

    /**
     * The active orgs a bulk operation acts on: by id or slug, by labels, or both (orgs that match
     * both). Refs the principal cannot see are reported as missing, like refs that do not exist.
     * @throws BadRequestError when more than `max` orgs match.
     */
    async select(
      principal: TenantPrincipal,
      selector: { readonly orgs?: readonly string[]; readonly labels?: Labels },
      max: number,
    ): Promise<{ found: OrgRow[]; missing: string[] }> {
      const tooMany = () =>
        new BadRequestError(
          'BULK_SELECTION_TOO_LARGE',
          `The selection matches more than ${max} orgs; narrow it`,
        );
      let byLabels: OrgRow[] | undefined;
      if (selector.labels) {
        byLabels = await orgs.list(db, {
          tenantId: principal.tenantId,
          orgScope: principal.orgScope,
          archived: false,
          labels: selector.labels,
          limit: max + 1,
        });
        if (byLabels.length > max) throw tooMany();
      }
      if (!selector.orgs) return { found: byLabels ?? [], missing: [] };
      const labelled = byLabels ? new Set(byLabels.map((o) => o.id)) : undefined;
      const found = new Map<string, OrgRow>();
      const missing: string[] = [];
      for (const ref of selector.orgs) {
        const row = await find(principal, ref).catch((error: unknown) => {
          if (error instanceof NotFoundError) return null;
          throw error;
        });
        if (!row || row.archivedAt) missing.push(ref);
        else if (!labelled || labelled.has(row.id)) found.set(row.id, row);
      }
      if (found.size > max) throw tooMany();
      return { found: [...found.values()], missing };
    },

    /** Decrypts the org's Cognigy API key; only the forwarder (and tests proving decryption) call this. */
    async loadCognigyCredentials(tenantId: string, orgId: string): Promise<CognigyCredentials | null> {
      const target = await targets.find(db, tenantId, orgId);
      if (!target) return null;
      const apiKey = await secrets.openSecret(
        db,
        cognigyApiKeyLocation(tenantId, orgId),
        target.apiKeySealed,
      );
      return { apiBase: target.apiBase, apiKey, organisationId: target.organisationId };
    },
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
