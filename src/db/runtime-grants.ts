/**
 * What the service's runtime role may do, computed over every table of the schema (issue 21). The
 * service runs as a role that owns nothing — so it can neither ALTER a table nor disable its
 * triggers — and that holds exactly these privileges, set by the owner after every migration run:
 *
 * - a table whose name starts with `audit_` is append-only: SELECT and INSERT, nothing else. The
 *   audit trail (its events, and whatever other helpers keep beside it: checkpoints, signing keys)
 *   must stay out of reach of someone who stole the service's connection string; the append-only
 *   triggers alone stop only a role that merely holds UPDATE or DELETE, not an owner.
 * - `_prisma_migrations` is read only: the service reads it for /readyz; only the owner migrates.
 * - every other table: SELECT, INSERT, UPDATE, DELETE (never TRUNCATE, REFERENCES or TRIGGER).
 * - sequences: USAGE and SELECT (nextval), never setval.
 *
 * The rule is by name and computed at run time, not a list, so that a table added by any later
 * migration is covered without anyone remembering to grant it. It is idempotent: a table whose
 * privileges already match is not touched, so a run with nothing to change writes nothing.
 */
import type pg from 'pg';

/**
 * The statements that bring the role `$1` to the rule, one row per object whose privileges differ
 * (none when all match: a run with nothing to change writes nothing). Nothing for the role that
 * runs it: migrating as the runtime role itself, it owns what it made.
 */
const RUNTIME_GRANTS = `
WITH runtime AS (SELECT oid FROM pg_roles WHERE rolname = $1),
objects AS (
  SELECT c.relname,
         CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
         CASE
           WHEN c.relkind = 'S' THEN ARRAY['SELECT', 'USAGE']
           WHEN c.relname LIKE 'audit\\_%' THEN ARRAY['INSERT', 'SELECT']
           WHEN c.relname = '_prisma_migrations' THEN ARRAY['SELECT']
           ELSE ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE']
         END AS wanted,
         ARRAY(SELECT a.privilege_type FROM aclexplode(c.relacl) a
                WHERE a.grantee = (SELECT oid FROM runtime) ORDER BY 1) AS held
    FROM pg_class c
   WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
)
SELECT statement FROM (
  SELECT '' AS relname, 0 AS step, format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), $1) AS statement
   WHERE $1 <> current_user AND NOT has_schema_privilege($1, current_schema(), 'USAGE')
  UNION ALL
  SELECT relname, change.step, change.statement
    FROM objects,
         LATERAL (VALUES (1, format('REVOKE ALL ON %s %I.%I FROM %I', kind, current_schema(), relname, $1)),
                         (2, format('GRANT %s ON %s %I.%I TO %I', array_to_string(wanted, ', '), kind,
                                    current_schema(), relname, $1))) AS change(step, statement)
   WHERE $1 <> current_user AND held IS DISTINCT FROM wanted
) AS changes ORDER BY relname, step`;

/** Objects of the schema that the current role neither owns (directly or as a member) nor, as superuser, may grant on. */
const NOT_OURS = `
SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner
  FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND NOT pg_has_role(current_user, c.relowner, 'USAGE')
   AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
 ORDER BY 1`;

/**
 * Applies the rule above for `runtimeRole` to the current schema, in one transaction. Run it as the
 * objects' owner (or a superuser), inside the migrator's advisory lock: two GRANTs on one table at
 * once fail with "tuple concurrently updated", and the statements are computed before they run.
 */
export async function applyRuntimeGrants(client: pg.ClientBase, runtimeRole: string): Promise<void> {
  const { rows } = await client.query<{ statement: string }>(RUNTIME_GRANTS, [runtimeRole]);
  if (rows.length === 0) return;
  // Only an owner can grant: anyone else's GRANT and REVOKE merely warn ("no privileges were
  // granted"), which would leave the runtime role without what it needs, or with more.
  const foreign = await client.query<{ name: string; owner: string }>(NOT_OURS);
  if (foreign.rows.length > 0) {
    const list = foreign.rows.map((r) => `${r.name} (owned by ${r.owner})`).join(', ');
    throw new Error(
      `The migrating role cannot set the runtime role's privileges on ${list}: make it their owner (README, "Running against your own PostgreSQL")`,
    );
  }
  await client.query('BEGIN');
  try {
    for (const { statement } of rows) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
