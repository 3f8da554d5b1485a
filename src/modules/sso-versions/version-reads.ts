/** Reading an org's versions: the list (newest first), one version with its newest report, a diff. */
import type { Db } from '../../db/client.js';
import { decodeCursor, encodeCursor, mapPage, pageOf } from '../../lib/cursor.js';
import { BadRequestError, ConflictError } from '../../lib/errors.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { diffVersions, type VersionDiff } from './sso-diff.js';
import { ssoValidationsRepository as validations } from './sso-validations.repository.js';
import { type VersionRow, ssoVersionsRepository as versions } from './sso-versions.repository.js';
import type { ListVersionsQuery } from './sso-versions.schemas.js';
import { findVersion, versionNotFound } from './version-lookup.js';
import { comparable, toVersionView } from './version-view.js';

export interface VersionReadsDeps {
  readonly db: Db;
  readonly orgs: Pick<OrgsService, 'find'>;
}

/** GET …/sso/versions: a page of versions with their newest reports, and the head version (the ETag). */
export async function listVersions(
  { db, orgs }: VersionReadsDeps,
  principal: TenantPrincipal,
  ref: string,
  query: ListVersionsQuery,
) {
  const org = await orgs.find(principal, ref);
  const limit = query.limit ?? 50;
  const before = query.cursor ? Number(decodeCursor(query.cursor, ['number'])[0]) : undefined;
  if (before !== undefined && !(Number.isInteger(before) && before >= 1 && before <= 2_147_483_647)) {
    throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued');
  }
  const { rows, reports, head } = await versions.pageWithReports(db, org.id, {
    ...(query.state ? { state: query.state } : {}),
    ...(before !== undefined ? { before } : {}),
    limit: limit + 1,
  });
  const page = pageOf(rows, limit, (last) => encodeCursor([last.number]));
  return {
    ...mapPage(page, (r) => toVersionView(r, reports.get(r.id) ?? null)),
    headVersion: head,
  };
}

/** GET …/versions/{n}. */
export async function getVersion(
  deps: VersionReadsDeps,
  principal: TenantPrincipal,
  ref: string,
  number: number,
) {
  const { row } = await findVersion(deps, principal, ref, number);
  return toVersionView(row, await validations.latest(deps.db, row.id));
}

/** GET …/versions/{n}/diff?against={m|live}: field by field, secrets as fingerprints. */
export async function diffVersion(
  deps: VersionReadsDeps,
  principal: TenantPrincipal,
  ref: string,
  number: number,
  against: string,
): Promise<VersionDiff & { orgId: string }> {
  const { org, row } = await findVersion(deps, principal, ref, number);
  let other: VersionRow | null;
  if (against === 'live') {
    other = await versions.latestApproved(deps.db, org.id);
    if (!other) {
      throw new ConflictError(
        'SSO_NO_LIVE_VERSION',
        'The org has no approved version yet: diff against a version number',
      );
    }
  } else {
    other = await versions.get(deps.db, org.id, Number(against));
    if (!other) throw versionNotFound(Number(against));
  }
  return { orgId: org.id, ...diffVersions(comparable(other), comparable(row)) };
}
