/** The people table: one row per (tenant, issuer, subject), the stable id of a person. */
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/client.js';

export interface PersonRow {
  readonly id: string;
  readonly tenantId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly name: string | null;
}

export const peopleRepository = {
  /** The person of (tenant, issuer, subject), created on first sign-in; email, name and last seen kept current. */
  seen: async (
    tx: Db,
    p: { tenantId: string; issuer: string; subject: string; email: string | null; name: string | null },
    at: Date,
  ): Promise<PersonRow> => {
    const row = await tx
      .insertInto('people')
      .values({
        id: uuidv7(),
        tenant_id: p.tenantId,
        issuer: p.issuer,
        subject: p.subject,
        email: p.email,
        name: p.name,
        first_seen_at: at,
        last_seen_at: at,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'issuer', 'subject'])
          .doUpdateSet({ email: p.email, name: p.name, last_seen_at: at }),
      )
      .returning(['id', 'tenant_id', 'issuer', 'subject', 'email', 'name'])
      .executeTakeFirstOrThrow();
    return {
      id: row.id,
      tenantId: row.tenant_id,
      issuer: row.issuer,
      subject: row.subject,
      email: row.email,
      name: row.name,
    };
  },
};
