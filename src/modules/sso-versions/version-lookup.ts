/** Finding one of an org's versions by number, as the principal may see it: to read it, or to change it. */
import type { Db, Tx } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { ssoVersionsRepository as versions } from './sso-versions.repository.js';

export const versionNotFound = (number: number) =>
  new NotFoundError('SSO_VERSION_NOT_FOUND', `The org has no version ${number}`);

/** The org and its version `number` (404 when the org is not visible or has no such version). */
export async function findVersion(
  deps: { readonly db: Db; readonly orgs: Pick<OrgsService, 'find'> },
  principal: TenantPrincipal,
  ref: string,
  number: number,
) {
  const org = await deps.orgs.find(principal, ref);
  const row = await versions.get(deps.db, org.id, number);
  if (!row) throw versionNotFound(number);
  return { org, row };
}

/** Locks the org for this change and reads one of its versions (404 when it has none of that number). */
export async function lockVersion(
  orgs: Pick<OrgsService, 'lockForWrite'>,
  tx: Tx,
  principal: TenantPrincipal,
  ref: string,
  number: number,
) {
  const org = await orgs.lockForWrite(tx, principal, ref, undefined);
  const row = await versions.get(tx, org.id, number);
  if (!row) throw versionNotFound(number);
  return row;
}
