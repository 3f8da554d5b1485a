/** API keys of a tenant (§3.3): issued once, stored hashed, revocable, optionally org-scoped. */
import type { Db, Tx } from '../../db/client.js';
import { decodeTimeIdCursor, pageOf, timeIdCursor } from '../../lib/cursor.js';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { AuditTrailWriter, ChangeRunner } from '../audit/audited-change.js';
import { created } from '../audit/diff.js';
import { issueApiKey } from '../auth/api-key-token.js';
import { type ApiKeyRow, apiKeysRepository as keys } from '../auth/api-keys.repository.js';
import { type Role, requireUnscoped, type TenantPrincipal } from '../auth/principal.js';
import type { ApiKeyView, CreateApiKeyBody, ListApiKeysQuery } from './api-keys.schemas.js';

export interface ApiKeysServiceDeps {
  readonly db: Db;
  /** How many of these org ids are active orgs of the tenant. */
  readonly countActiveOrgs: (db: Db, tenantId: string, ids: readonly string[]) => Promise<number>;
  readonly change: ChangeRunner;
  /** Called after a revocation committed (the authenticator's cache forgets the key). */
  readonly onRevoked?: (keyId: string) => void;
  readonly now?: () => Date;
}

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    displayPrefix: `csso_${row.prefix}_…`,
    roles: row.roles as Role[],
    orgScope: row.orgScope.length > 0 ? row.orgScope : null,
    createdAt: row.createdAt.toISOString(),
    createdById: row.createdById,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedById: row.revokedById,
  };
}

const keyNotFound = () => new NotFoundError('API_KEY_NOT_FOUND', 'No such API key');

export function createApiKeysService({
  db,
  countActiveOrgs,
  change,
  now = () => new Date(),
  onRevoked,
}: ApiKeysServiceDeps) {
  return {
    /** Issues a key in an existing change (also used when a tenant is created), with its audit event. */
    async issue(
      tx: Tx,
      trail: AuditTrailWriter,
      tenantId: string,
      createdById: string | null,
      input: { name: string; roles: readonly Role[]; orgScope?: readonly string[]; expiresAt?: Date | null },
    ) {
      const issued = issueApiKey();
      const row = await keys.insert(tx, {
        tenantId,
        kind: 'tenant',
        name: input.name.trim(),
        prefix: issued.prefix,
        secretHash: issued.secretHash,
        roles: input.roles,
        orgScope: (input.orgScope ?? []).map((id) => id.toLowerCase()),
        createdById,
        expiresAt: input.expiresAt ?? null,
      });
      await trail.record({
        tenantId,
        action: 'api_key.created',
        target: { type: 'api_key', id: row.id },
        diff: created(toApiKeyView(row)),
      });
      return { row, token: issued.token };
    },

    async create(ctx: ChangeContext, principal: TenantPrincipal, body: CreateApiKeyBody) {
      requireUnscoped(principal);
      const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
      if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt <= now())) {
        throw new BadRequestError('API_KEY_EXPIRY_INVALID', 'expiresAt must be a time in the future', {
          errors: [{ pointer: '/body/expiresAt', detail: 'must be in the future' }],
        });
      }
      return change(ctx, async (tx, trail) => {
        if (body.orgScope) {
          const found = await countActiveOrgs(tx, principal.tenantId, body.orgScope);
          if (found !== body.orgScope.length) {
            throw new BadRequestError(
              'API_KEY_ORG_SCOPE_INVALID',
              'orgScope names orgs that do not exist (or are archived)',
              {
                errors: [
                  { pointer: '/body/orgScope', detail: 'every id must be an active org of this tenant' },
                ],
              },
            );
          }
        }
        return this.issue(tx, trail, principal.tenantId, principal.keyId, {
          name: body.name,
          roles: body.roles,
          orgScope: body.orgScope,
          expiresAt,
        });
      });
    },

    async list(principal: TenantPrincipal, query: ListApiKeysQuery) {
      const limit = query.limit ?? 50;
      const rows = await keys.list(db, principal.tenantId, {
        limit: limit + 1,
        includeRevoked: query.includeRevoked ?? false,
        after: decodeTimeIdCursor(query.cursor),
      });
      return pageOf(rows, limit, timeIdCursor);
    },

    async get(principal: TenantPrincipal, id: string) {
      const row = await keys.findById(db, principal.tenantId, id.toLowerCase());
      if (!row) throw keyNotFound();
      return row;
    },

    /** Revokes at once. Revoking a revoked key changes nothing and answers its state. */
    async revoke(ctx: ChangeContext, principal: TenantPrincipal, id: string) {
      requireUnscoped(principal);
      const revoked = await change(ctx, async (tx, trail) => {
        const row = await keys.revoke(tx, principal.tenantId, id.toLowerCase(), principal.keyId);
        const current = row ?? (await keys.findById(tx, principal.tenantId, id.toLowerCase()));
        if (!current) throw keyNotFound();
        if (row) {
          await trail.record({
            tenantId: principal.tenantId,
            action: 'api_key.revoked',
            target: { type: 'api_key', id: row.id },
            diff: { before: { revokedAt: null }, after: { revokedAt: toApiKeyView(row).revokedAt } },
          });
        } else {
          trail.unchanged();
        }
        return { row: current, changed: row !== undefined };
      });
      onRevoked?.(revoked.row.id);
      return revoked;
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
