/**
 * What the service's runtime role must not be able to do to the audit trail (issue 21), and a real
 * flow it must be able to do — shared by the tests of a server installation (test/db) and of the
 * embedded database, so that both are held to the same checks.
 */
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { expect } from 'vitest';
import { samlDraft } from '../modules/sso-versions/sso-support.js';
import { bearer, createKey, createOrg, createTenant } from './app.js';
import type { FakeCognigy } from './fake-cognigy.js';

/** The start banner's audit warning (audit-powers.ts): the role, and why it can rewrite the trail. */
export const AUDIT_WARNING =
  /WARNING: The database role "([^"]+)" (is a superuser|owns the audit_events table)/;

/** Every statement that would let a role rewrite `table`, each of which must be refused. */
export const rewritingStatements = (table: string, column: string) => [
  `UPDATE "${table}" SET "${column}" = "${column}"`,
  `DELETE FROM "${table}"`,
  `TRUNCATE "${table}"`,
  `ALTER TABLE "${table}" ADD COLUMN forged text`,
  `ALTER TABLE "${table}" DISABLE TRIGGER USER`,
  `ALTER TABLE "${table}" DISABLE TRIGGER ALL`,
  `ALTER TABLE "${table}" OWNER TO CURRENT_USER`,
  `DROP TABLE "${table}"`,
];

/**
 * Connects to `url` (the runtime role) and tries every rewriting statement on every `audit_` table of
 * the schema: each must fail with insufficient_privilege (42501: "permission denied" or "must be
 * owner"). Each statement runs in a transaction rolled back afterwards, so that a statement wrongly
 * allowed changes nothing for the next.
 * @returns the audit tables checked.
 */
export async function expectAuditTablesClosed(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; column: string }>(
      `SELECT c.relname AS name, a.attname AS column FROM pg_class c
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND c.relname LIKE 'audit\\_%' ORDER BY c.relname`,
    );
    const tables = rows.map((r) => r.name);
    const outcomes: string[] = [];
    for (const { name: table, column } of rows) {
      for (const statement of rewritingStatements(table, column)) {
        await client.query('BEGIN');
        const error = await client.query(statement).then(
          () => undefined,
          (e: { code?: string; message: string }) => e,
        );
        await client.query('ROLLBACK');
        outcomes.push(`${statement} → ${error ? `${error.code} ${error.message}` : 'ALLOWED'}`);
      }
    }
    const allowed = outcomes.filter((o) => !/→ 42501 (permission denied|must be owner)/.test(o));
    expect(allowed, outcomes.join('\n')).toEqual([]);
    return tables;
  } finally {
    await client.end();
  }
}

/** Objects of the database that the role of `url` owns: none, for the runtime role. */
export async function objectsOwnedBy(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT 'relation ' || relname AS name FROM pg_class WHERE relowner = current_user::regrole
       UNION ALL SELECT 'routine ' || proname FROM pg_proc WHERE proowner = current_user::regrole
       UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typowner = current_user::regrole
       UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = current_user::regrole`,
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

/**
 * Everything the service does in one flow, through its API: a tenant, its keys, an org whose
 * Cognigy target is `fake`, a draft, its approval, the forwarding to the fake (the app's forwarder
 * must run), and the audit chain verified.
 * @returns the tenant's admin key and the verify answer.
 */
export async function runFlowAndVerify(app: FastifyInstance, fake: FakeCognigy) {
  const tenant = await createTenant(app);
  const editor = (await createKey(app, tenant.adminKey, ['editor'])).token;
  const approver = (await createKey(app, tenant.adminKey, ['approver'])).token;
  const org = await createOrg(app, tenant.adminKey, 'runtime-role');
  const apiKey = 'cognigy-key-runtime-role-0123456789';
  fake.addKey(apiKey, org.id);
  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
  const target = await inject('PUT', `/v1/orgs/${org.id}/cognigy`, tenant.adminKey, {
    apiBase: fake.apiBase,
    apiKey,
  });
  expect(target.statusCode, target.body).toBe(200);
  const draft = await inject('POST', `/v1/orgs/${org.id}/sso/versions`, editor, {
    ...samlDraft(),
    baseVersion: 0,
  });
  expect(draft.statusCode, draft.body).toBe(201);
  const approved = await inject('POST', `/v1/orgs/${org.id}/sso/versions/1/approve`, approver, {});
  expect(approved.statusCode, approved.body).toBe(200);
  const until = Date.now() + 20_000;
  for (;;) {
    const state = (await inject('GET', `/v1/orgs/${org.id}/sso`, editor)).json();
    if (state.applied?.number === 1) break;
    if (Date.now() > until) throw new Error(`version 1 was not applied: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(fake.calls.filter((c) => c.organisation === org.id && c.status === 200)).toHaveLength(1);
  const verify = await inject('GET', '/v1/audit-events/verify', tenant.adminKey);
  expect(verify.statusCode, verify.body).toBe(200);
  const result = verify.json();
  expect(result).toMatchObject({ ok: true, firstMismatch: null });
  // tenant created, two keys, org, target, draft, approval, enqueue, success at least
  expect(result.checked).toBeGreaterThanOrEqual(8);
  return { adminKey: tenant.adminKey, verify: result };
}
