/**
 * SSO versions (§4): drafts validated before they are written, immutable once written, reviewed by
 * a second person, diffed, rolled back. Every change is one transaction with its audit events; no
 * network call happens inside one (validation runs before, forwarding after).
 *
 * One file per use case, each a function of its own narrow dependencies; this file only hands each
 * its dependencies, for the routes, the bulk service and the forwarder.
 */
import type { Db } from '../../db/client.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { changesNothing } from './changes-nothing.js';
import { createDraft, planDraft } from './create-draft.js';
import { dryRun } from './dry-run.js';
import { forwardable } from './forwardable.js';
import { persistDraft } from './persist-draft.js';
import { type ApprovalHook, approve, approveInTx, reject } from './review.js';
import { rollback } from './rollback.js';
import { ssoState } from './sso-state.js';
import type { SsoValidator } from './sso-validation.js';
import { validateAgain } from './validate-again.js';
import { diffVersion, getVersion, listVersions } from './version-reads.js';
import { toVersionView, versionContent } from './version-view.js';

export type { DraftPlan } from './persist-draft.js';
export type { ApprovalHook } from './review.js';

export interface SsoVersionsServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly secrets: Pick<SecretsService, 'sealSecret' | 'openSecret' | 'fingerprint'>;
  readonly orgs: Pick<OrgsService, 'find' | 'lockForWrite' | 'loadCognigyCredentials'>;
  readonly validator: Pick<SsoValidator, 'validate'>;
  readonly allowHttp: boolean;
  readonly onApproved?: ApprovalHook;
  readonly now?: () => Date;
}

export function createSsoVersionsService(deps: SsoVersionsServiceDeps) {
  const d = { ...deps, now: deps.now ?? (() => new Date()) };
  return {
    view: toVersionView,
    versionContent,
    /** A version as forwarding needs it: content, hashes, and its secrets opened on demand. */
    forwardable: forwardable.bind(null, d),
    planDraft: planDraft.bind(null, d),
    persistDraft: persistDraft.bind(null, d),
    /** Whether a planned draft would hold what the head holds (content, expiry, secrets by fingerprint). */
    changesNothing: changesNothing.bind(null, d),
    createDraft: createDraft.bind(null, d),
    list: listVersions.bind(null, d),
    get: getVersion.bind(null, d),
    validateAgain: validateAgain.bind(null, d),
    approve: approve.bind(null, d),
    /** Approves a version inside the caller's transaction (with the approval hook: the deployment). */
    approveInTx: approveInTx.bind(null, d),
    reject: reject.bind(null, d),
    rollback: rollback.bind(null, d),
    diff: diffVersion.bind(null, d),
    /** The exact request forwarding would send, with the API key and secrets masked. */
    cognigyRequest: dryRun.bind(null, d),
    state: ssoState.bind(null, d),
  };
}

export type SsoVersionsService = ReturnType<typeof createSsoVersionsService>;
