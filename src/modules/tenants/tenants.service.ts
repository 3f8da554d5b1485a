/**
 * Tenants (MSP accounts). The platform admin creates them with their first admin key; a tenant's
 * admin changes its settings. The tenant's fingerprint key is created with it, in one transaction.
 */
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { decodeTimeIdCursor, pageOf, timeIdCursor } from '../../lib/cursor.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { changes, created } from '../audit/diff.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { type TenantRow, tenantsRepository as tenants } from './tenants.repository.js';
import type {
  CreateTenantBody,
  ListTenantsQuery,
  TenantView,
  UpdateTenantSettingsBody,
} from './tenants.schemas.js';

export interface TenantsServiceDeps {
  readonly db: Db;
  readonly secrets: Pick<SecretsService, 'createTenantKey'>;
  readonly apiKeys: Pick<ApiKeysService, 'issue'>;
  readonly change: ChangeRunner;
}

export function toTenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    settings: {
      allowSelfApproval: row.allowSelfApproval,
      allowRollbackApproval: row.allowRollbackApproval,
    },
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const tenantNotFound = () => new NotFoundError('TENANT_NOT_FOUND', 'No such tenant');

export function createTenantsService({ db, secrets, apiKeys, change }: TenantsServiceDeps) {
  return {
    async create(ctx: ChangeContext, body: CreateTenantBody) {
      try {
        return await change(ctx, async (tx, trail) => {
          const tenant = await tenants.insert(tx, { slug: body.slug, name: body.name.trim() });
          await secrets.createTenantKey(tx, tenant.id);
          await trail.record({
            tenantId: tenant.id,
            action: 'tenant.created',
            target: { type: 'tenant', id: tenant.id },
            diff: created(toTenantView(tenant)),
          });
          const adminKey = await apiKeys.issue(tx, trail, tenant.id, null, {
            name: body.firstAdminKeyName ?? 'first admin',
            roles: ['admin'],
          });
          return { tenant, adminKey };
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ConflictError(
            'TENANT_SLUG_TAKEN',
            `The slug "${body.slug}" is already used by another tenant`,
            {
              errors: [{ pointer: '/body/slug', detail: 'already in use' }],
            },
          );
        }
        throw error;
      }
    },

    async list(query: ListTenantsQuery) {
      const limit = query.limit ?? 50;
      const rows = await tenants.list(db, limit + 1, decodeTimeIdCursor(query.cursor));
      return pageOf(rows, limit, timeIdCursor);
    },

    async get(id: string) {
      const row = await tenants.findById(db, id.toLowerCase());
      if (!row) throw tenantNotFound();
      return row;
    },

    /** The caller's own tenant. */
    async current(principal: TenantPrincipal) {
      const row = await tenants.findById(db, principal.tenantId);
      if (!row) throw tenantNotFound();
      return row;
    },

    async updateSettings(
      ctx: ChangeContext,
      principal: TenantPrincipal,
      body: UpdateTenantSettingsBody,
      expected: number | undefined,
    ) {
      return change(ctx, async (tx, trail) => {
        const row = await tenants.lock(tx, principal.tenantId);
        if (!row) throw tenantNotFound();
        if (expected !== undefined && expected !== row.revision) {
          throw new ConflictError(
            'TENANT_REVISION_STALE',
            `The tenant changed since revision ${expected}; it is now at revision ${row.revision}`,
            { body: { current: toTenantView(row) } },
          );
        }
        const updated = await tenants.update(tx, row.id, {
          ...(body.name !== undefined ? { name: body.name.trim() } : {}),
          ...(body.allowSelfApproval !== undefined ? { allowSelfApproval: body.allowSelfApproval } : {}),
          ...(body.allowRollbackApproval !== undefined
            ? { allowRollbackApproval: body.allowRollbackApproval }
            : {}),
        });
        await trail.record({
          tenantId: row.id,
          action: 'tenant.updated',
          target: { type: 'tenant', id: row.id },
          diff: changes(toTenantView(row), toTenantView(updated)),
        });
        return updated;
      });
    },
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
