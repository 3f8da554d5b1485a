/**
 * A draft as a plan keeps it until apply: the validated content, where each secret comes from (a
 * secret given in the document sealed with the tenant's data key, bound to this plan), the client
 * secret's expiry and the validation report. Apply turns it back into the DraftPlan that persistDraft
 * writes, so a planned draft takes the one path every new version takes.
 */
import type { Db, Tx } from '../../db/client.js';
import type { SecretsService, TenantSecretLocation } from '../secrets/secrets.service.js';
import { contentOf, SECRET_FIELDS, type SecretField } from '../sso-versions/sso-content.js';
import type { ValidationReport } from '../sso-versions/sso-validation.js';
import type { VersionRow } from '../sso-versions/sso-versions.repository.js';
import type { DraftPlan } from '../sso-versions/sso-versions.service.js';
import type { SecretSource } from '../sso-versions/version-secrets.js';

/** A secret of a planned draft: given in the document (one of the plan's sealed secrets), carried over, or none. */
export type PlannedSecret = { source: 'value'; secret: number } | { source: 'carry' } | { source: 'none' };

export interface PlannedDraft {
  readonly orgId: string;
  /** Where the org is in the plan's list. */
  readonly position: number;
  readonly baseVersion: number;
  readonly kind: string;
  readonly content: Record<string, unknown>;
  readonly secrets: Readonly<Record<SecretField, PlannedSecret>>;
  readonly clientSecretExpiresAt: string | null;
  /** Which of the plan's reports is this draft's (orgs on one issuer mostly share one). */
  readonly report: number;
  readonly note: string | null;
}

/**
 * What apply needs: the drafts, and each distinct secret the document gave, sealed once with the
 * tenant's data key and bound to this plan (a document gives one secret to many orgs: sealing it per
 * org cost a database round trip each). Kept only until the plan is applied or expires.
 */
export interface PlannedDrafts {
  readonly secrets: readonly string[];
  readonly reports: readonly ValidationReport[];
  readonly orgs: readonly PlannedDraft[];
}

/** Numbers equal values once each: the reports of a plan's drafts, which repeat per issuer. */
export function interning<T>() {
  const seen = new Map<string, number>();
  const values: T[] = [];
  return {
    indexOf(value: T): number {
      const key = JSON.stringify(value);
      let index = seen.get(key);
      if (index === undefined) {
        index = values.length;
        seen.set(key, index);
        values.push(value);
      }
      return index;
    },
    values: (): readonly T[] => values,
  };
}

const locationOf = (tenantId: string, planId: string, index: number): TenantSecretLocation => ({
  tenantId,
  record: `plans/${planId}`,
  field: `secret/${index}`,
});

/** Numbers the secrets given in the document: each distinct one once. */
export function secretNumbering() {
  const values = new Map<string, number>();
  return {
    refOf(sources: Readonly<Record<SecretField, SecretSource>>): Record<SecretField, PlannedSecret> {
      const out = {} as Record<SecretField, PlannedSecret>;
      for (const field of SECRET_FIELDS) {
        const source = sources[field];
        if (source.kind !== 'value') {
          out[field] = { source: source.kind };
          continue;
        }
        let index = values.get(source.plain);
        if (index === undefined) {
          index = values.size;
          values.set(source.plain, index);
        }
        out[field] = { source: 'value', secret: index };
      }
      return out;
    },
    /** Seals each numbered secret (in number order) for this plan. */
    async seal(secrets: Pick<SecretsService, 'sealTenantSecret'>, tx: Tx, tenantId: string, planId: string) {
      const sealed: string[] = [];
      for (const [plain, index] of values) {
        sealed[index] = await secrets.sealTenantSecret(tx, locationOf(tenantId, planId, index), plain);
      }
      return sealed;
    },
  };
}

/** Opens a plan's secrets on first use, each once (the plain text lives in memory for the apply only). */
export function planSecretOpener(
  secrets: Pick<SecretsService, 'openTenantSecret'>,
  db: Db,
  where: { tenantId: string; planId: string },
  sealed: readonly string[],
) {
  const opened = new Map<number, Promise<string>>();
  return (index: number): Promise<string> => {
    let plain = opened.get(index);
    if (!plain) {
      plain = secrets.openTenantSecret(
        db,
        locationOf(where.tenantId, where.planId, index),
        sealed[index] as string,
      );
      opened.set(index, plain);
    }
    return plain;
  };
}

/**
 * The DraftPlan of a planned draft: secrets opened, carried ones taken from the org's newest version
 * (which persistDraft checks is still the planned base: otherwise 409 for this org).
 */
export async function draftPlanOf(
  openPlanSecret: (index: number) => Promise<string>,
  plan: { readonly id: string; readonly drafts: PlannedDrafts },
  planned: PlannedDraft,
  head: VersionRow | null,
): Promise<DraftPlan> {
  const sources = {} as Record<SecretField, SecretSource>;
  for (const field of SECRET_FIELDS) {
    const secret = planned.secrets[field];
    if (secret.source === 'value')
      sources[field] = { kind: 'value', plain: await openPlanSecret(secret.secret) };
    else if (secret.source === 'carry' && head) sources[field] = { kind: 'carry', from: head };
    else sources[field] = { kind: 'none' };
  }
  return {
    content: contentOf(planned.kind, planned.content),
    sources,
    clientSecretExpiresAt:
      planned.clientSecretExpiresAt === null ? null : new Date(planned.clientSecretExpiresAt),
    report: plan.drafts.reports[planned.report] as ValidationReport,
    expectedBase: planned.baseVersion,
    note: planned.note,
    rollbackOf: null,
    bulkId: plan.id,
  };
}
