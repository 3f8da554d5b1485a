/**
 * Rows written straight through Kysely, for tests of one repository statement: a tenant with orgs,
 * each with one OIDC draft version (the database's checks satisfied, no service involved).
 */
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../src/db/client.js';
import type { DB } from '../../src/generated/kysely/types.js';

export interface SeededOrg {
  readonly orgId: string;
  readonly versionId: string;
}

export async function seedOrgsWithVersion(
  db: Db,
  count: number,
  tenantSlug = 'acme',
): Promise<{ tenantId: string; orgs: SeededOrg[] }> {
  const tenant = await db
    .insertInto('tenants')
    .values({ id: uuidv7(), slug: tenantSlug, name: tenantSlug })
    .returning('id')
    .executeTakeFirstOrThrow();
  const orgs: SeededOrg[] = [];
  for (let i = 0; i < count; i += 1) {
    const org = await db
      .insertInto('orgs')
      .values({ id: uuidv7(), tenant_id: tenant.id, slug: `shop-${i}`, name: `Shop ${i}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const version = await db
      .insertInto('sso_versions')
      .values({
        id: uuidv7(),
        tenant_id: tenant.id,
        org_id: org.id,
        number: 1,
        kind: 'oidc',
        content: JSON.stringify({ idpIssuer: 'https://idp.example.com/', idpClientId: 'c' }),
        client_secret_sealed: 'sealed',
        client_secret_fingerprint: 'hmac-sha256:01',
        client_secret_changed_in: 1,
        content_hash: `sha256:${'ab'.repeat(32)}`,
        note: null,
        created_by_id: null,
        created_by_name: 'editor',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    orgs.push({ orgId: org.id, versionId: version.id });
  }
  return { tenantId: tenant.id, orgs };
}

/**
 * How many rows `table` has; with `where`, only those whose columns have these values (an array: any
 * of its values).
 */
export async function countRows(
  db: Db,
  table: keyof DB,
  where: Readonly<Record<string, unknown>> = {},
): Promise<number> {
  const conditions = Object.entries(where).map(([column, value]) =>
    Array.isArray(value) ? sql`${sql.ref(column)} = any(${value})` : sql`${sql.ref(column)} = ${value}`,
  );
  const filter = conditions.length > 0 ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} ${filter}`.execute(
    db,
  );
  return Number(rows[0]?.n);
}
