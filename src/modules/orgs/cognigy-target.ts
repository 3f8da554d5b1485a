/**
 * An org's Cognigy target (§3.1): its API base (checked by the cognigy module's rules), organisation
 * id and API key, sealed for the org. The key leaves sealed only for the call that needs it.
 */
import type { Db } from '../../db/client.js';
import { BadRequestError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { changes } from '../audit/diff.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { normaliseApiBase } from '../cognigy/cognigy-api-base.js';
import type { SecretLocation, SecretsService } from '../secrets/secrets.service.js';
import { cognigyTargetsRepository as targets } from './cognigy-targets.repository.js';
import { lockForWrite } from './org-access.js';
import { toOrgView } from './org-view.js';
import { type OrgRow, orgsRepository as orgs } from './orgs.repository.js';
import type { PutCognigyTargetBody } from './orgs.schemas.js';

/** The Cognigy credentials in plain text, for the one call that needs them (forwarding). */
export interface CognigyCredentials {
  readonly apiBase: string;
  readonly apiKey: string;
  readonly organisationId: string | null;
}

export const cognigyApiKeyLocation = (tenantId: string, orgId: string): SecretLocation => ({
  tenantId,
  orgId,
  record: `cognigy_targets/${orgId}`,
  field: 'apiKey',
});

/** PUT /v1/orgs/{org}/cognigy: the API key may be left out once one is set (it is kept). */
export async function putCognigyTarget(
  deps: {
    readonly change: ChangeRunner;
    readonly secrets: Pick<SecretsService, 'sealSecret' | 'fingerprint'>;
    readonly allowHttp: boolean;
  },
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  body: PutCognigyTargetBody,
  expected: number | undefined,
): Promise<OrgRow> {
  const { change, secrets } = deps;
  const apiBase = normaliseApiBase(body.apiBase, deps.allowHttp);
  return change(ctx, async (tx, trail) => {
    const row = await lockForWrite(tx, principal, ref, expected);
    const existing = await targets.find(tx, principal.tenantId, row.id);
    const location = cognigyApiKeyLocation(principal.tenantId, row.id);
    let sealed: { apiKeySealed: string; apiKeyFingerprint: string };
    if (body.apiKey !== undefined) {
      sealed = {
        apiKeySealed: await secrets.sealSecret(tx, location, body.apiKey),
        apiKeyFingerprint: await secrets.fingerprint(tx, principal.tenantId, body.apiKey),
      };
    } else if (existing) {
      sealed = { apiKeySealed: existing.apiKeySealed, apiKeyFingerprint: existing.apiKeyFingerprint };
    } else {
      throw new BadRequestError(
        'COGNIGY_API_KEY_REQUIRED',
        'The org has no Cognigy API key yet: apiKey is required',
        {
          errors: [
            { pointer: '/body/apiKey', detail: 'required when setting the target for the first time' },
          ],
        },
      );
    }
    await targets.upsert(tx, principal.tenantId, row.id, {
      apiBase,
      ...sealed,
      organisationId:
        body.organisationId === undefined ? (existing?.organisationId ?? null) : body.organisationId,
      updatedById: principal.keyId,
    });
    const updated = await orgs.update(tx, row.id, {});
    await trail.record({
      tenantId: principal.tenantId,
      action: 'cognigy_target.updated',
      target: { type: 'cognigy_target', id: row.id },
      orgId: row.id,
      diff: changes({ cognigy: toOrgView(row).cognigy }, { cognigy: toOrgView(updated).cognigy }),
    });
    return updated;
  });
}

/** The org's Cognigy target with its API key still sealed: `open()` decrypts it when the call is due. */
export interface SealedCognigyTarget {
  readonly apiBase: string;
  readonly organisationId: string | null;
  open(): Promise<CognigyCredentials>;
}

type TargetDeps = { readonly db: Db; readonly secrets: Pick<SecretsService, 'openSecret'> };

/** The forwarder reads the target before it waits for a slot at the installation, and opens it after. */
export async function findCognigyTarget(
  { db, secrets }: TargetDeps,
  tenantId: string,
  orgId: string,
): Promise<SealedCognigyTarget | null> {
  const target = await targets.find(db, tenantId, orgId);
  if (!target) return null;
  const { apiBase, organisationId } = target;
  return {
    apiBase,
    organisationId,
    open: async () => ({
      apiBase,
      organisationId,
      apiKey: await secrets.openSecret(db, cognigyApiKeyLocation(tenantId, orgId), target.apiKeySealed),
    }),
  };
}

/** Decrypts the org's Cognigy API key; only the forwarder and the dry run (and tests proving decryption) call this. */
export async function loadCognigyCredentials(
  deps: TargetDeps,
  tenantId: string,
  orgId: string,
): Promise<CognigyCredentials | null> {
  return (await findCognigyTarget(deps, tenantId, orgId))?.open() ?? null;
}
