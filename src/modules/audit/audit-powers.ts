/**
 * What the service's own database role could do to the audit trail (issue 21). The append-only
 * triggers stop UPDATE, DELETE and TRUNCATE for a role that merely holds those privileges, but not a
 * superuser, nor the table's owner, who can `ALTER TABLE … DISABLE TRIGGER` first and then rewrite
 * history (and recompute the hashes). The service says so at start, loudly, rather than let an
 * operator believe the trail is out of its reach.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/client.js';

export interface AuditTrailPowers {
  readonly role: string;
  readonly superuser: boolean;
  /** The role owns audit_events (or is a member of its owner): it can alter the table and its triggers. */
  readonly owner: boolean;
  /** Either: the role can rewrite the trail. */
  readonly canRewrite: boolean;
}

export async function auditTrailPowers(db: Db): Promise<AuditTrailPowers> {
  const { rows } = await sql<{ role: string; superuser: boolean; owner: boolean }>`
    SELECT current_user AS role,
           coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS superuser,
           pg_has_role(current_user, c.relowner, 'USAGE') AS owner
      FROM pg_class c
     WHERE c.oid = 'audit_events'::regclass`.execute(db);
  const row = rows[0] as { role: string; superuser: boolean; owner: boolean };
  return { ...row, canRewrite: row.superuser || row.owner };
}

/** The warning for a role that can rewrite the trail, or null. */
export function auditPowersWarning(powers: AuditTrailPowers): string | null {
  if (!powers.canRewrite) return null;
  const why = powers.superuser ? 'is a superuser' : 'owns the audit_events table';
  return (
    `The database role "${powers.role}" ${why}: it can disable the audit trail's append-only triggers and ` +
    'rewrite history. Run it as a role that owns nothing, and migrate as the owner: DATABASE_URL and MIGRATION_DATABASE_URL (README, "Trust boundaries").'
  );
}
