/**
 * Bulk work across many orgs (§3.2, issue "SSO versions" item 9): one change applied as drafts to
 * every selected org (bulk-draft.ts), or the selected drafts approved (bulk-approve.ts). This file
 * only hands each its dependencies, for the routes.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import { bulkApprove } from './bulk-approve.js';
import { bulkDraft } from './bulk-draft.js';
import type { SsoVersionsService } from './sso-versions.service.js';

export interface SsoBulkServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly orgs: Pick<OrgsService, 'select'>;
  readonly versions: Pick<
    SsoVersionsService,
    'planDraft' | 'persistDraft' | 'approve' | 'versionContent' | 'changesNothing'
  >;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export function createSsoBulkService(deps: SsoBulkServiceDeps) {
  return {
    draft: bulkDraft.bind(null, deps),
    approve: bulkApprove.bind(null, deps),
  };
}

export type SsoBulkService = ReturnType<typeof createSsoBulkService>;
