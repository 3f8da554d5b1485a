/**
 * The MSP-scale data set of issue 7: TENANTS tenants (10) × ORGS_PER_TENANT orgs (1,000), each org
 * with VERSIONS versions (10), and AUDIT_EVENTS audit events in all (1,000,000).
 *
 * What goes through the service and what is written directly, and why:
 * - tenants, API keys, orgs and Cognigy targets: through the API (data keys, sealed API keys, audit);
 * - versions 1 … VERSIONS-1 of every org: rejected SAML drafts inserted in batches, each built with
 *   the service's own content functions (content, content hash) from a template version that was
 *   drafted and validated through the API — 90,000 drafts through the API would take ten minutes;
 * - version VERSIONS of every org: an OIDC draft with a client secret made by a bulk draft per
 *   tenant (validated against a loopback IdP, secret sealed), approved by bulk approval, and
 *   forwarded by the service's worker to a fake Cognigy: every org ends applied, as in production;
 * - the audit trail is topped up to AUDIT_EVENTS with correctly chained events spread over each
 *   tenant's orgs and keys (the chains verify).
 * Progress goes to stderr.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { contentHash, contentOf } from '../../src/modules/sso-versions/sso-content.js';
import { appendManyEvents } from '../../test/support/audit.js';
import type { FakeCognigy } from '../../test/support/fake-cognigy.js';
import { testCertificates } from '../../test/support/tls.js';
import { type BenchApp, PLATFORM_KEY } from '../support/app.js';
import { eachLimited } from '../support/each-limited.js';

export interface SeedSize {
  readonly tenants: number;
  readonly orgsPerTenant: number;
  readonly versionsPerOrg: number;
  readonly auditEvents: number;
}

export const DEFAULT_SIZE: SeedSize = {
  tenants: Number(process.env.TENANTS ?? 10),
  orgsPerTenant: Number(process.env.ORGS_PER_TENANT ?? 1000),
  versionsPerOrg: Number(process.env.VERSIONS ?? 10),
  auditEvents: Number(process.env.AUDIT_EVENTS ?? 1_000_000),
};

export interface SeededTenant {
  readonly id: string;
  readonly slug: string;
  readonly keys: { admin: string; editor: string; approver: string; auditor: string };
  readonly orgs: ReadonlyArray<{ readonly id: string; readonly slug: string }>;
}

export interface SeededWorld {
  readonly size: SeedSize;
  readonly databaseUrl: string;
  readonly tenants: readonly SeededTenant[];
  readonly seconds: number;
}

const log = (msg: string) => process.stderr.write(`[seed] ${msg}\n`);

async function createTenant(bench: BenchApp, t: number) {
  const created = await bench.call('POST', '/v1/tenants', PLATFORM_KEY, {
    slug: `msp-${t}`,
    name: `MSP ${t}`,
  });
  const admin: string = created.adminKey.token;
  const key = async (name: string, roles: string[]) =>
    (await bench.call('POST', '/v1/api-keys', admin, { name, roles })).token as string;
  return {
    id: created.tenant.id as string,
    slug: `msp-${t}`,
    keys: {
      admin,
      editor: await key('editor', ['editor']),
      approver: await key('approver', ['approver']),
      auditor: await key('auditor', ['auditor']),
    },
  };
}

/** Versions 1 … n-1 of every org, as rejected SAML drafts, from a template made through the API. */
async function insertHistory(bench: BenchApp, tenants: SeededTenant[], size: SeedSize) {
  const pool = bench.container.database.pool;
  const first = tenants[0] as SeededTenant;
  const { certPem } = testCertificates();
  await bench.call('POST', '/v1/orgs', first.keys.admin, { slug: 'seed-template', name: 'Seed template' });
  await bench.call('POST', '/v1/orgs/seed-template/sso/versions', first.keys.editor, {
    kind: 'saml',
    idpIssuer: 'urn:seed:template',
    idpLoginEndpoint: 'https://idp.example.com/saml/login',
    idpCertificate: certPem,
    baseVersion: 0,
    note: 'template',
  });
  const template = (
    await pool.query(
      `SELECT v.content, v.created_by_name, r.report, r.status
         FROM sso_versions v JOIN orgs o ON o.id = v.org_id
         JOIN sso_validations r ON r.version_id = v.id
        WHERE o.slug = 'seed-template' AND o.tenant_id = $1`,
      [first.id],
    )
  ).rows[0];
  await bench.call('DELETE', '/v1/orgs/seed-template', first.keys.admin);

  const keyIds = new Map<string, { editor: string; approver: string }>();
  for (const t of tenants) {
    const { rows } = await pool.query<{ id: string; name: string }>(
      `SELECT id, name FROM api_keys WHERE tenant_id = $1 AND name IN ('editor', 'approver')`,
      [t.id],
    );
    keyIds.set(t.id, {
      editor: rows.find((r) => r.name === 'editor')?.id as string,
      approver: rows.find((r) => r.name === 'approver')?.id as string,
    });
  }

  const historyLength = size.versionsPerOrg - 1;
  const total = tenants.reduce((n, t) => n + t.orgs.length, 0) * historyLength;
  const start = Date.now() - 30 * 86_400_000;
  let done = 0;
  let versions: Record<string, unknown>[] = [];
  let validations: Record<string, unknown>[] = [];
  const flush = async () => {
    if (versions.length === 0) return;
    await pool.query(
      'INSERT INTO sso_versions SELECT * FROM jsonb_populate_recordset(NULL::sso_versions, $1::jsonb)',
      [JSON.stringify(versions)],
    );
    await pool.query(
      'INSERT INTO sso_validations SELECT * FROM jsonb_populate_recordset(NULL::sso_validations, $1::jsonb)',
      [JSON.stringify(validations)],
    );
    done += versions.length;
    if (done % 10_000 < versions.length || done === total) log(`history versions: ${done}/${total}`);
    versions = [];
    validations = [];
  };
  for (const t of tenants) {
    const keys = keyIds.get(t.id) as { editor: string; approver: string };
    for (const org of t.orgs) {
      for (let n = 1; n <= historyLength; n += 1) {
        const fields = { ...template.content, idpIssuer: `urn:seed:${org.slug}:v${n}` };
        const at = new Date(start + n * 3_600_000).toISOString();
        const id = randomUUID();
        versions.push({
          id,
          tenant_id: t.id,
          org_id: org.id,
          number: n,
          kind: 'saml',
          content: fields,
          content_hash: contentHash(org.id, contentOf('saml', fields), {
            idpClientSecret: null,
            decryptionPrivateKey: null,
          }),
          base_version: n === 1 ? null : n - 1,
          note: `history ${n}`,
          created_by_id: keys.editor,
          created_by_name: 'editor',
          created_at: at,
          review_state: 'rejected',
          reviewed_by_id: keys.approver,
          reviewed_by_name: 'approver',
          reviewed_at: at,
          review_comment: 'seeded history',
          self_approved: false,
        });
        validations.push({
          id: randomUUID(),
          tenant_id: t.id,
          org_id: org.id,
          version_id: id,
          status: template.status,
          report: template.report,
          checked_at: at,
          requested_by_id: keys.editor,
          requested_by_name: 'editor',
        });
        if (versions.length >= 2000) await flush();
      }
    }
  }
  await flush();
}

export async function seedMsp(
  bench: BenchApp,
  fake: FakeCognigy,
  issuer: string,
  size: SeedSize = DEFAULT_SIZE,
): Promise<SeededWorld> {
  const started = performance.now();
  const pool = bench.container.database.pool;
  log(
    `${size.tenants} tenants × ${size.orgsPerTenant} orgs × ${size.versionsPerOrg} versions, ${size.auditEvents} audit events`,
  );

  const tenants: SeededTenant[] = [];
  for (let t = 0; t < size.tenants; t += 1) tenants.push({ ...(await createTenant(bench, t)), orgs: [] });

  const jobs = tenants.flatMap((tenant, t) =>
    Array.from({ length: size.orgsPerTenant }, (_, i) => ({ tenant, t, i })),
  );
  let made = 0;
  await eachLimited(jobs, 8, async ({ tenant, t, i }) => {
    const org = await bench.call('POST', '/v1/orgs', tenant.keys.admin, {
      slug: `org-${i}`,
      name: `Customer ${t}-${i}`,
      labels: {
        fleet: 'msp',
        tier: ['gold', 'silver', 'bronze'][i % 3] as string,
        region: i % 2 ? 'eu' : 'us',
      },
    });
    const apiKey = `seed-cognigy-key-${t}-${i}-0123456789`;
    fake.addKey(apiKey, org.id);
    await bench.call('PUT', `/v1/orgs/${org.id}/cognigy`, tenant.keys.admin, {
      apiBase: fake.apiBase,
      apiKey,
      organisationId: `cognigy-org-${t}-${i}`,
    });
    (tenant.orgs as Array<{ id: string; slug: string }>)[i] = { id: org.id, slug: org.slug };
    made += 1;
    if (made % 1000 === 0) log(`orgs: ${made}/${jobs.length}`);
  });

  if (size.versionsPerOrg > 1) await insertHistory(bench, tenants, size);

  // The newest version of every org: drafted, validated, approved and forwarded by the service.
  await eachLimited(tenants, 2, async (tenant) => {
    const drafted = await bench.call('POST', '/v1/sso/bulk', tenant.keys.editor, {
      selector: { labels: { fleet: 'msp' } },
      change: {
        kind: 'oidc',
        idpIssuer: issuer,
        idpClientId: 'cognigy-{org.slug}',
        idpClientSecret: `seed-client-secret-${tenant.slug}-0123456789`,
      },
      note: 'current configuration',
    });
    if (drafted.summary.succeeded !== tenant.orgs.length)
      throw new Error(`bulk draft ${tenant.slug}: ${JSON.stringify(drafted.summary)}`);
    const approved = await bench.call('POST', '/v1/sso/bulk/approve', tenant.keys.approver, {
      bulkId: drafted.bulkId,
      comment: 'reviewed',
    });
    if (approved.summary.succeeded !== tenant.orgs.length)
      throw new Error(`bulk approve ${tenant.slug}: ${JSON.stringify(approved.summary)}`);
    log(`${tenant.slug}: version ${size.versionsPerOrg} drafted and approved for ${tenant.orgs.length} orgs`);
  });
  const orgCount = size.tenants * size.orgsPerTenant;
  bench.container.forwarder.start();
  for (;;) {
    const { rows } = await pool.query<{ applied: string; failed: string }>(
      `SELECT count(*) FILTER (WHERE state = 'succeeded') AS applied,
              count(*) FILTER (WHERE state = 'failed') AS failed FROM deployments`,
    );
    const applied = Number(rows[0]?.applied);
    const failed = Number(rows[0]?.failed);
    log(`forwarded: ${applied}/${orgCount}`);
    if (failed > 0) {
      const { rows: errors } = await pool.query(
        `SELECT last_error FROM deployments WHERE state = 'failed' LIMIT 1`,
      );
      throw new Error(`${failed} deployments failed, e.g. ${JSON.stringify(errors[0]?.last_error)}`);
    }
    if (applied >= orgCount) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  await bench.container.forwarder.stop();

  // Top the trail up to the size asked for, spread over the tenants.
  const { rows: counts } = await pool.query<{ tenant_id: string; n: string }>(
    'SELECT tenant_id, count(*) AS n FROM audit_events WHERE tenant_id IS NOT NULL GROUP BY tenant_id',
  );
  const existing = counts.reduce((n, r) => n + Number(r.n), 0);
  const perTenant = Math.max(0, Math.ceil((size.auditEvents - existing) / size.tenants));
  let appended = 0;
  for (const tenant of tenants) {
    const { rows: actors } = await pool.query<{ id: string }>(
      'SELECT id FROM api_keys WHERE tenant_id = $1',
      [tenant.id],
    );
    await appendManyEvents(pool, tenant.id, perTenant, {
      orgIds: tenant.orgs.map((o) => o.id),
      actorIds: actors.map((a) => a.id),
      actions: ['org.updated', 'sso_version.created', 'sso_version.rejected', 'deployment.succeeded'],
      onProgress: (n) => {
        if (n % 50_000 === 0 || n === perTenant)
          log(`audit events: ${appended + n}/${perTenant * size.tenants}`);
      },
    });
    appended += perTenant;
  }
  await pool.query('ANALYZE');
  const seconds = (performance.now() - started) / 1000;
  log(`seeded in ${seconds.toFixed(0)} s`);
  return { size, databaseUrl: bench.db.url, tenants, seconds };
}

/** Keeps a seeded world (its keys are shown only once) for a later run against the same database. */
export async function saveWorld(world: SeededWorld, file: string) {
  await writeFile(file, JSON.stringify(world));
}
