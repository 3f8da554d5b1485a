/**
 * The embedded database's two roles (issue 21): `sso_owner` owns the schema and runs the
 * migrations; `sso_runtime` is what the service connects as, with only the privileges of
 * runtime-grants.ts, so that it cannot rewrite the audit trail. Their generated passwords live in
 * the data folder beside the superuser's (mode 0600). Set up on every start, idempotently: roles
 * made when missing, their passwords set from the files, and every object of the schema that the
 * owner does not own yet — a data folder of the release before, where the superuser `postgres`
 * owned everything and the service connected as it — handed to the owner.
 */
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { readOrCreatePasswordFile } from './embedded-postgres.js';
import { withMigrationLock } from './migrator.js';
import { applyRuntimeGrants } from './runtime-grants.js';

export const EMBEDDED_OWNER_ROLE = 'sso_owner';
export const EMBEDDED_RUNTIME_ROLE = 'sso_runtime';

export interface EmbeddedRoles {
  /** The runtime role's connection string: the service's DATABASE_URL. */
  readonly url: string;
  /** The owner's: what migrates. */
  readonly migrationUrl: string;
}

/**
 * Hands every object of the current schema to the owner (role name in the transaction-local
 * setting `csso.owner_role`). Tables take their indexes and owned sequences along; a superuser runs
 * it (REASSIGN OWNED cannot: it refuses objects of the bootstrap superuser).
 */
const ADOPT_SCHEMA = `
DO $adopt$
DECLARE
  owner_role text := current_setting('csso.owner_role');
  owner_oid oid := (SELECT oid FROM pg_roles WHERE rolname = owner_role);
  schema_oid oid := current_schema()::regnamespace;
  object record;
BEGIN
  IF (SELECT nspowner FROM pg_namespace WHERE oid = schema_oid) <> owner_oid THEN
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', current_schema(), owner_role);
  END IF;
  FOR object IN
    SELECT c.oid::regclass AS name, c.relkind
      FROM pg_class c
     WHERE c.relnamespace = schema_oid AND c.relowner <> owner_oid
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       -- a sequence that belongs to a column moves with its table
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE object.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
        WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      object.name, owner_role);
  END LOOP;
  FOR object IN
    SELECT p.oid::regprocedure AS name FROM pg_proc p
     WHERE p.pronamespace = schema_oid AND p.proowner <> owner_oid
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', object.name, owner_role);
  END LOOP;
  FOR object IN
    SELECT t.oid::regtype AS name FROM pg_type t
     WHERE t.typnamespace = schema_oid AND t.typowner <> owner_oid AND t.typtype IN ('e', 'd')
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO %I', object.name, owner_role);
  END LOOP;
END
$adopt$`;

/** Both roles exist, and the owner owns the schema and everything in it that {@link ADOPT_SCHEMA} moves. */
const SETTLED = `
WITH owner AS (SELECT oid FROM pg_roles WHERE rolname = $1)
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $2)
   AND (SELECT nspowner FROM pg_namespace WHERE oid = current_schema()::regnamespace) = (SELECT oid FROM owner)
   AND NOT EXISTS (SELECT FROM pg_class WHERE relnamespace = current_schema()::regnamespace
                      AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND relowner <> (SELECT oid FROM owner))
   AND NOT EXISTS (SELECT FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
                      AND proowner <> (SELECT oid FROM owner))
   AND NOT EXISTS (SELECT FROM pg_type WHERE typnamespace = current_schema()::regnamespace
                      AND typtype IN ('e', 'd') AND typowner <> (SELECT oid FROM owner)) AS settled`;

/** Hands the schema's objects to the owner, in one transaction; says so when there were tables. */
async function adoptSchema(client: pg.ClientBase, logger: Pick<Logger, 'info'>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT set_config('csso.owner_role', $1, true)`, [EMBEDDED_OWNER_ROLE]);
    const moved = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class
        WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')
          AND relowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)`,
      [EMBEDDED_OWNER_ROLE],
    );
    await client.query(ADOPT_SCHEMA);
    await client.query('COMMIT');
    const tables = Number(moved.rows[0]?.n ?? 0);
    if (tables > 0) {
      logger.info(
        { tables, owner: EMBEDDED_OWNER_ROLE, runtime: EMBEDDED_RUNTIME_ROLE },
        'embedded database upgraded to two roles: the schema now belongs to the owner role',
      );
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Makes `role` a login role (not a superuser) with `password`; creating it when missing. */
async function ensureLoginRole(client: pg.ClientBase, role: string, password: string): Promise<void> {
  const name = client.escapeIdentifier(role);
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount === 0) {
    await client.query(`CREATE ROLE ${name}`).catch((error: { code?: string }) => {
      if (error.code !== '42710') throw error; // duplicate_object: another process made it first
    });
  }
  await client.query(
    `ALTER ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${client.escapeLiteral(password)}`,
  );
}

/**
 * Sets up the two roles on the embedded cluster, as its superuser (`superuserUrl`), under the
 * migrator's advisory lock: several processes may start on one data folder at once, and none may
 * migrate while the objects change hands.
 */
export async function ensureEmbeddedRoles(
  dataDir: string,
  superuserUrl: string,
  logger: Pick<Logger, 'info'>,
): Promise<EmbeddedRoles> {
  const owner = await readOrCreatePasswordFile(join(dataDir, 'postgres-owner-password'));
  const runtime = await readOrCreatePasswordFile(join(dataDir, 'postgres-runtime-password'));
  const client = new pg.Client({ connectionString: superuserUrl, application_name: 'cognigy-sso-roles' });
  await client.connect();
  try {
    // Every start after the first finds everything in place: one read, no lock, nothing written.
    const settled =
      !owner.created &&
      !runtime.created &&
      (await client.query<{ settled: boolean }>(SETTLED, [EMBEDDED_OWNER_ROLE, EMBEDDED_RUNTIME_ROLE]))
        .rows[0]?.settled === true;
    if (!settled) {
      await withMigrationLock(client, async () => {
        await ensureLoginRole(client, EMBEDDED_OWNER_ROLE, owner.password);
        await ensureLoginRole(client, EMBEDDED_RUNTIME_ROLE, runtime.password);
        await adoptSchema(client, logger);
        // Before any migration runs: a command that does not migrate (audit:verify) works too.
        await applyRuntimeGrants(client, EMBEDDED_RUNTIME_ROLE);
      });
    }
  } finally {
    await client.end();
  }
  const urlAs = (role: string, password: string) => {
    const url = new URL(superuserUrl);
    url.username = role;
    url.password = password;
    return url.toString();
  };
  return {
    url: urlAs(EMBEDDED_RUNTIME_ROLE, runtime.password),
    migrationUrl: urlAs(EMBEDDED_OWNER_ROLE, owner.password),
  };
}
