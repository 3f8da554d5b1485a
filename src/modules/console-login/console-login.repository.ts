/** The console_logins table: one row per tenant whose people sign in with its own IdP. */
import type { Selectable } from 'kysely';
import type { Db, Tx } from '../../db/client.js';
import type { ConsoleLogin } from '../../generated/kysely/types.js';
import type { Role } from '../auth/principal.js';
import type { IdTokenAlg } from '../discovery/oidc-options.js';

/** A group's roles, with the org ids it is limited to (null: every org). */
export interface StoredRoleMapping {
  readonly group: string;
  readonly roles: Role[];
  readonly orgScope: string[] | null;
}

export interface ConsoleLoginRow {
  readonly tenantId: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecretSealed: string;
  readonly clientSecretFingerprint: string;
  readonly idTokenAlg: IdTokenAlg;
  readonly groupsClaim: string;
  readonly roleMappings: StoredRoleMapping[];
  readonly allowedEmailDomains: string[];
  readonly apiKeySignInAllowed: boolean;
  readonly validation: Record<string, unknown>;
  readonly revision: number;
  readonly updatedAt: Date;
}

export type ConsoleLoginValues = Omit<ConsoleLoginRow, 'revision' | 'updatedAt'>;

const rowOf = (r: Selectable<ConsoleLogin>): ConsoleLoginRow => ({
  tenantId: r.tenant_id,
  issuer: r.issuer,
  clientId: r.client_id,
  clientSecretSealed: r.client_secret_sealed,
  clientSecretFingerprint: r.client_secret_fingerprint,
  idTokenAlg: r.id_token_alg as IdTokenAlg,
  groupsClaim: r.groups_claim,
  roleMappings: r.role_mappings as unknown as StoredRoleMapping[],
  allowedEmailDomains: r.allowed_email_domains,
  apiKeySignInAllowed: r.api_key_sign_in_allowed,
  validation: r.validation as Record<string, unknown>,
  revision: r.revision,
  updatedAt: r.updated_at,
});

/** A tenant's id and slug, with its settings (null: console sign-in is off); null for no such tenant. */
async function withTenant(db: Db, by: 'id' | 'slug', value: string) {
  const row = await db
    .selectFrom('tenants as t')
    .leftJoin('console_logins as c', 'c.tenant_id', 't.id')
    .selectAll('c')
    .select(['t.id as tid', 't.slug as tslug'])
    .where(by === 'id' ? 't.id' : 't.slug', '=', value)
    .executeTakeFirst();
  if (!row) return null;
  return {
    tenantId: row.tid,
    slug: row.tslug,
    login: row.tenant_id === null ? null : rowOf(row as Selectable<ConsoleLogin>),
  };
}

export const consoleLoginRepository = {
  async find(db: Db, tenantId: string): Promise<ConsoleLoginRow | null> {
    const row = await db
      .selectFrom('console_logins')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? rowOf(row) : null;
  },

  /** The settings with the tenant's id and slug, by the tenant's slug (the login URL names it). */
  findByTenantSlug: (db: Db, slug: string) => withTenant(db, 'slug', slug),

  /** The same by the tenant's id. */
  findByTenantId: (db: Db, tenantId: string) => withTenant(db, 'id', tenantId),

  lock: async (tx: Tx, tenantId: string) => {
    const row = await tx
      .selectFrom('console_logins')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .forUpdate()
      .executeTakeFirst();
    return row ? rowOf(row) : null;
  },

  upsert: async (tx: Tx, v: ConsoleLoginValues) => {
    const values = {
      issuer: v.issuer,
      client_id: v.clientId,
      client_secret_sealed: v.clientSecretSealed,
      client_secret_fingerprint: v.clientSecretFingerprint,
      id_token_alg: v.idTokenAlg,
      groups_claim: v.groupsClaim,
      role_mappings: JSON.stringify(v.roleMappings),
      allowed_email_domains: v.allowedEmailDomains,
      api_key_sign_in_allowed: v.apiKeySignInAllowed,
      validation: JSON.stringify(v.validation),
    };
    return rowOf(
      await tx
        .insertInto('console_logins')
        .values({ tenant_id: v.tenantId, ...values })
        .onConflict((oc) =>
          oc.column('tenant_id').doUpdateSet((eb) => ({
            ...values,
            revision: eb('console_logins.revision', '+', 1),
            updated_at: new Date(),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
  },

  remove: async (tx: Tx, tenantId: string) =>
    (await tx.deleteFrom('console_logins').where('tenant_id', '=', tenantId).executeTakeFirst())
      .numDeletedRows > 0n,
};
