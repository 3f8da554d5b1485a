/**
 * Validation run again on a stored version (§5), fresh discovery by default: the new report is
 * stored next to the older ones (a version never changes) with an audit event that names what failed.
 */
import type { Db } from '../../db/client.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { insertReport } from './persist-draft.js';
import type { SsoValidator } from './sso-validation.js';
import { ssoValidationsRepository as validations } from './sso-validations.repository.js';
import { findVersion } from './version-lookup.js';
import { toVersionView, versionContent, versionEvent } from './version-view.js';

export interface ValidateAgainDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'find' | 'lockForWrite'>;
  readonly validator: Pick<SsoValidator, 'validate'>;
  readonly now: () => Date;
}

/** POST …/versions/{n}/validate: re-runs validation (the network before the transaction) and stores the report. */
export async function validateAgain(
  deps: ValidateAgainDeps,
  ctx: ChangeContext,
  principal: TenantPrincipal,
  ref: string,
  number: number,
  refresh: boolean,
) {
  const { db, change, orgs, validator, now } = deps;
  const { org, row } = await findVersion(deps, principal, ref, number);
  const previous = await validations.latest(db, row.id);
  const { report } = await validator.validate(versionContent(row), {
    refresh,
    now: now(),
    clientSecretExpiresAt: row.clientSecretExpiresAt,
  });
  return change(ctx, async (tx, trail) => {
    await orgs.lockForWrite(tx, principal, org.id, undefined);
    const validation = await insertReport(tx, principal, row, report);
    await trail.record({
      ...versionEvent(principal.tenantId, row),
      action: 'sso_version.validated',
      diff: {
        before: { number, validationStatus: previous?.status ?? null },
        after: {
          number,
          validationStatus: report.status,
          failedChecks: report.checks.filter((c) => c.status === 'fail').map((c) => c.name),
        },
      },
    });
    return toVersionView(row, validation);
  });
}
