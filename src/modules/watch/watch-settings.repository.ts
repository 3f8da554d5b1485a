/** `watch_settings`: an org's opt-ins of the watch (the credential probe) and when it last probed. */
import { sql } from 'kysely';
import type { Db } from '../../db/client.js';

export interface WatchSettingsRow {
  readonly orgId: string;
  readonly credentialProbe: boolean;
  readonly lastProbedAt: Date | null;
}

export const watchSettingsRepository = {
  async find(db: Db, orgId: string): Promise<WatchSettingsRow> {
    const row = await db
      .selectFrom('watch_settings')
      .select(['org_id', 'credential_probe', 'last_probed_at'])
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return {
      orgId,
      credentialProbe: row?.credential_probe ?? false,
      lastProbedAt: row?.last_probed_at ?? null,
    };
  },

  async put(db: Db, p: { tenantId: string; orgId: string; credentialProbe: boolean; byId: string | null }) {
    await db
      .insertInto('watch_settings')
      .values({
        org_id: p.orgId,
        tenant_id: p.tenantId,
        credential_probe: p.credentialProbe,
        updated_by_id: p.byId,
      })
      .onConflict((oc) =>
        oc.column('org_id').doUpdateSet({
          credential_probe: p.credentialProbe,
          updated_by_id: p.byId,
          updated_at: sql<Date>`now()`,
        }),
      )
      .execute();
  },

  /**
   * Of these orgs, those whose probe is on and due (never probed, or not since `everySeconds`),
   * claimed for this probe: their last-probed time is set now, so a concurrent round skips them.
   */
  async claimDueProbes(db: Db, orgIds: readonly string[], everySeconds: number): Promise<string[]> {
    if (orgIds.length === 0) return [];
    const rows = await db
      .updateTable('watch_settings')
      .set({ last_probed_at: sql<Date>`now()` })
      .where('org_id', '=', sql<string>`any(${[...orgIds]}::uuid[])`)
      .where('credential_probe', '=', true)
      .where((eb) =>
        eb.or([
          eb('last_probed_at', 'is', null),
          eb(
            'last_probed_at',
            '<',
            sql<Date>`now() - make_interval(secs => ${everySeconds}::double precision)`,
          ),
        ]),
      )
      .returning('org_id')
      .execute();
    return rows.map((r) => r.org_id);
  },
};
