/**
 * A draft as a plan keeps it until apply: the validated content, where each secret comes from (a
 * secret given in the document sealed with the org's data key, bound to this plan), the client
 * secret's expiry and the validation report. Apply turns it back into the DraftPlan that persistDraft
 * writes, so a planned draft takes the one path every new version takes.
 */
import type { Db, Tx } from '../../db/client.js';
import type { SecretLocation, SecretsService } from '../secrets/secrets.service.js';
import { contentOf, SECRET_FIELDS, type SecretField } from '../sso-versions/sso-content.js';
import type { ValidationReport } from '../sso-versions/sso-validation.js';
import type { VersionRow } from '../sso-versions/sso-versions.repository.js';
import type { DraftPlan } from '../sso-versions/sso-versions.service.js';
import type { SecretSource } from '../sso-versions/version-secrets.js';

export type PlannedSecret = { source: 'value'; sealed: string } | { source: 'carry' } | { source: 'none' };

export interface PlannedDraft {
  readonly orgId: string;
  /** Where the org is in the plan's list. */
  readonly position: number;
  readonly baseVersion: number;
  readonly kind: string;
  readonly content: Record<string, unknown>;
  readonly secrets: Readonly<Record<SecretField, PlannedSecret>>;
  readonly clientSecretExpiresAt: string | null;
  readonly report: ValidationReport;
  readonly note: string | null;
}

const locationOf = (tenantId: string, orgId: string, planId: string, field: SecretField): SecretLocation => ({
  tenantId,
  orgId,
  record: `plans/${planId}`,
  field,
});

/** Seals the secrets given in the document for this plan; carried and absent ones stay references. */
export async function sealPlannedSecrets(
  secrets: Pick<SecretsService, 'sealSecret'>,
  tx: Tx,
  where: { tenantId: string; orgId: string; planId: string },
  sources: Readonly<Record<SecretField, SecretSource>>,
): Promise<Record<SecretField, PlannedSecret>> {
  const out = {} as Record<SecretField, PlannedSecret>;
  for (const field of SECRET_FIELDS) {
    const source = sources[field];
    out[field] =
      source.kind === 'value'
        ? {
            source: 'value',
            sealed: await secrets.sealSecret(
              tx,
              locationOf(where.tenantId, where.orgId, where.planId, field),
              source.plain,
            ),
          }
        : { source: source.kind };
  }
  return out;
}

/**
 * The DraftPlan of a planned draft: secrets opened, carried ones taken from the org's newest version
 * (which persistDraft checks is still the planned base: otherwise 409 for this org).
 */
export async function draftPlanOf(
  secrets: Pick<SecretsService, 'openSecret'>,
  db: Db,
  where: { tenantId: string; planId: string; bulkId: string },
  planned: PlannedDraft,
  head: VersionRow | null,
): Promise<DraftPlan> {
  const sources = {} as Record<SecretField, SecretSource>;
  for (const field of SECRET_FIELDS) {
    const secret = planned.secrets[field];
    if (secret.source === 'value') {
      const plain = await secrets.openSecret(
        db,
        locationOf(where.tenantId, planned.orgId, where.planId, field),
        secret.sealed,
      );
      sources[field] = { kind: 'value', plain };
    } else if (secret.source === 'carry' && head) sources[field] = { kind: 'carry', from: head };
    else sources[field] = { kind: 'none' };
  }
  return {
    content: contentOf(planned.kind, planned.content),
    sources,
    clientSecretExpiresAt:
      planned.clientSecretExpiresAt === null ? null : new Date(planned.clientSecretExpiresAt),
    report: planned.report,
    expectedBase: planned.baseVersion,
    note: planned.note,
    rollbackOf: null,
    bulkId: where.bulkId,
  };
}
