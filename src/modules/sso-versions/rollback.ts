/**
 * Rollback (§4.2): a new draft equal to an earlier version, secrets included (carried over from it,
 * re-sealed for the new version), validated again, and optionally approved in the same call when the
 * tenant allows it and the caller is an approver.
 */
import type { Db } from '../../db/client.js';
import { ForbiddenError } from '../../lib/errors.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { tenantsRepository as tenants } from '../tenants/tenants.repository.js';
import { assertBase, type PersistDraftDeps, persistDraft } from './persist-draft.js';
import { type ApproveInTxDeps, approveInTx } from './review.js';
import { SECRET_FIELDS, type SecretField } from './sso-content.js';
import type { SsoValidator } from './sso-validation.js';
import { ssoVersionsRepository as versions } from './sso-versions.repository.js';
import type { RollbackBody } from './sso-versions.schemas.js';
import { findVersion } from './version-lookup.js';
import { hasSecret, type SecretSource } from './version-secrets.js';
import { toVersionView, versionContent } from './version-view.js';

export interface RollbackDeps extends PersistDraftDeps, ApproveInTxDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'find' | 'lockForWrite'>;
  readonly validator: Pick<SsoValidator, 'validate'>;
}

/** POST …/versions/{n}/rollback: a new draft equal to version `number`; optionally approved in the same call. */
export async function rollback(
  deps: RollbackDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  number: number,
  body: RollbackBody,
  ifMatch: number | undefined,
) {
  const { db, change, validator, now } = deps;
  const { org, row: target } = await findVersion(deps, principal, ref, number);
  if (body.approve) {
    if (!principal.roles.includes('approver')) {
      throw new ForbiddenError(
        'AUTH_ROLE_REQUIRED',
        'Approving a rollback in the same call needs the approver role',
      );
    }
    const settings = await tenants.settings(db, principal.tenantId);
    if (!settings.allowRollbackApproval) {
      throw new ForbiddenError(
        'SSO_ROLLBACK_APPROVAL_DISABLED',
        'This tenant does not allow approving a rollback in the same call (setting allowRollbackApproval); create the rollback draft and have it approved',
      );
    }
  }
  const expectedBase = body.baseVersion ?? ifMatch;
  const head = await versions.head(db, org.id);
  assertBase(head, expectedBase);
  const content = versionContent(target);
  // The secrets come back as they were in version n, each with what was recorded about it.
  const clientSecretExpiresAt = hasSecret(target, 'idpClientSecret') ? target.clientSecretExpiresAt : null;
  const { report } = await validator.validate(content, { now: now(), clientSecretExpiresAt });
  const sources = Object.fromEntries(
    SECRET_FIELDS.map((field) => [
      field,
      hasSecret(target, field) ? { kind: 'carry', from: target } : { kind: 'none' },
    ]),
  ) as Record<SecretField, SecretSource>;
  const note = `Rollback to v${number}${body.note ? `: ${body.note}` : ''}`;
  return change(ctx, async (tx, trail) => {
    const { version, validation } = await persistDraft(deps, tx, trail, principal, org.id, {
      content,
      sources,
      clientSecretExpiresAt,
      report,
      expectedBase,
      note,
      rollbackOf: number,
      bulkId: null,
    });
    if (!body.approve) return toVersionView(version, validation);
    const approved = await approveInTx(deps, tx, trail, principal, version, {
      viaRollback: true,
      ...(body.overrideReason ? { overrideReason: body.overrideReason } : {}),
      comment: note,
    });
    return toVersionView(approved, validation);
  });
}
