/**
 * Rows written straight through Prisma, for tests of one repository statement: a tenant with orgs,
 * each with one OIDC draft version (the database's checks satisfied, no service involved).
 */
import type { Db } from '../../src/db/client.js';

export interface SeededOrg {
  readonly orgId: string;
  readonly versionId: string;
}

export async function seedOrgsWithVersion(
  prisma: Db,
  count: number,
  tenantSlug = 'acme',
): Promise<{ tenantId: string; orgs: SeededOrg[] }> {
  const tenant = await prisma.tenant.create({ data: { slug: tenantSlug, name: tenantSlug } });
  const orgs: SeededOrg[] = [];
  for (let i = 0; i < count; i += 1) {
    const org = await prisma.org.create({
      data: { tenantId: tenant.id, slug: `shop-${i}`, name: `Shop ${i}` },
    });
    const version = await prisma.ssoVersion.create({
      data: {
        tenantId: tenant.id,
        orgId: org.id,
        number: 1,
        kind: 'oidc',
        content: { idpIssuer: 'https://idp.example.com/', idpClientId: 'c' },
        clientSecretSealed: 'sealed',
        clientSecretFingerprint: 'hmac-sha256:01',
        clientSecretChangedIn: 1,
        contentHash: `sha256:${'ab'.repeat(32)}`,
        note: null,
        createdById: null,
        createdByName: 'editor',
      },
    });
    orgs.push({ orgId: org.id, versionId: version.id });
  }
  return { tenantId: tenant.id, orgs };
}
