/**
 * A rollout driven through a running service process, as an MSP would: a tenant, `count` orgs whose
 * Cognigy target is a fake Cognigy, and approved SAML versions drafted and approved in bulk. Shared
 * by the process tests of forwarding (crash, two processes, graceful stop).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { type FakeCognigy, startFakeCognigy } from './fake-cognigy.js';
import { call, cleanUpProcesses, makeTempDir, type ServiceProcess } from './process.js';

export { call };

import { testCertificates } from './tls.js';

export interface Rollout {
  readonly orgIds: string[];
  /** The tenant's admin key (reads everything, including the audit trail). */
  readonly adminKey: string;
  /** One bulk draft and one bulk approval of a new SAML version (issuer `issuer`) for every org. */
  approveAll(issuer: string): Promise<void>;
}

/**
 * A tenant with `count` orgs on `fake`, each given an approved SAML version (v1, issuer `urn:v1`) by
 * one bulk draft and one bulk approval (each org its own transaction, deployment enqueued with it).
 */
export async function rollout(
  service: ServiceProcess,
  options: { fake: FakeCognigy; platformKey: string; slug: string; count: number },
): Promise<Rollout> {
  const { fake, slug, count } = options;
  const tenant = await call(service, 'POST', '/v1/tenants', options.platformKey, { slug, name: slug });
  const admin = tenant.adminKey.token;
  const editor = (await call(service, 'POST', '/v1/api-keys', admin, { name: 'e', roles: ['editor'] })).token;
  const approver = (await call(service, 'POST', '/v1/api-keys', admin, { name: 'a', roles: ['approver'] }))
    .token;
  const { certPem } = testCertificates();
  const orgIds: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const org = await call(service, 'POST', '/v1/orgs', admin, {
      slug: `org-${i}`,
      name: `Org ${i}`,
      labels: { wave: slug },
    });
    const apiKey = `${slug}-key-${i}-0123456789`;
    fake.addKey(apiKey, org.id);
    await call(service, 'PUT', `/v1/orgs/${org.id}/cognigy`, admin, { apiBase: fake.apiBase, apiKey });
    orgIds.push(org.id);
  }
  const approveAll = async (issuer: string) => {
    const drafted = await call(service, 'POST', '/v1/sso/bulk', editor, {
      selector: { labels: { wave: slug } },
      change: {
        kind: 'saml',
        idpIssuer: issuer,
        idpLoginEndpoint: 'https://idp.example.com/login',
        idpCertificate: certPem,
      },
    });
    expect(drafted.summary).toMatchObject({ selected: count, succeeded: count });
    const approved = await call(service, 'POST', '/v1/sso/bulk/approve', approver, {
      bulkId: drafted.bulkId,
    });
    expect(approved.summary).toMatchObject({ selected: count, succeeded: count });
  };
  await approveAll('urn:v1');
  return { orgIds, adminKey: admin, approveAll };
}

/** Runs `work` on a fresh connection to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** How many of `orgIds` have `version` applied (a succeeded deployment). */
export function appliedCount(url: string, orgIds: string[], version = 1): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(DISTINCT org_id) AS n FROM deployments
        WHERE state = 'succeeded' AND version_number = $2 AND org_id = ANY($1::uuid[])`,
      [orgIds, version],
    );
    return Number(rows[0]?.n ?? 0);
  });
}

/** Polls `predicate` every 100 ms until it holds, or throws after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the forwarding process tests share: an HTTPS fake Cognigy, a temp folder, its CA file. */
export interface CognigyWorld {
  readonly fake: FakeCognigy;
  readonly dir: string;
  /** NODE_EXTRA_CA_CERTS for the service: the fake's certificate authority. */
  readonly caFile: string;
}

/**
 * Starts a {@link CognigyWorld} before the file's tests and removes it after them, with every
 * service process and embedded cluster they left. Read its fields inside tests (they are set in
 * `beforeAll`).
 */
export function useCognigyWorld(label: string): CognigyWorld {
  const world = {} as { fake: FakeCognigy; dir: string; caFile: string };
  beforeAll(async () => {
    world.fake = await startFakeCognigy({ https: true });
    world.dir = await makeTempDir(label);
    world.caFile = join(world.dir, 'test-ca.pem');
    writeFileSync(world.caFile, testCertificates().caPem);
  });
  afterAll(async () => {
    await cleanUpProcesses();
    await world.fake?.close();
  });
  return world;
}
