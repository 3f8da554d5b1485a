/**
 * The review rules of §3.3 and §4.2 as a pure decision: who may approve or reject which version,
 * and what the approval records. No I/O: the service gathers the facts and writes the outcome.
 */
import { ConflictError, ForbiddenError, UnprocessableError } from '../../lib/errors.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { blockingFailure, type ValidationReport } from './sso-validation.js';
import type { ReviewState } from './sso-versions.schemas.js';

export interface ReviewFacts {
  readonly version: {
    readonly number: number;
    readonly reviewState: string;
    readonly createdById: string | null;
    readonly contentHash: string;
  };
  readonly validation: ValidationReport;
  /** The org's latest approved version, if any. */
  readonly latestApproved: number | null;
  readonly settings: { readonly allowSelfApproval: boolean; readonly allowRollbackApproval: boolean };
}

export interface ApproveCommand {
  readonly overrideReason?: string;
  readonly expectedHash?: string;
  /** Set when a rollback drafts and approves in one call (the tenant's allowRollbackApproval). */
  readonly viaRollback?: boolean;
}

export interface ApprovalDecision {
  readonly state: Extract<ReviewState, 'approved'>;
  readonly selfApproved: boolean;
  /** Recorded only when it was needed (the validation failed). */
  readonly overrideReason: string | null;
  readonly approvedHash: string;
}

function requireDraft(version: ReviewFacts['version'], verb: string): void {
  if (version.reviewState !== 'draft') {
    throw new ConflictError(
      'SSO_VERSION_NOT_DRAFT',
      `Version ${version.number} is ${version.reviewState}; only a draft can be ${verb}`,
      { body: { reviewState: version.reviewState } },
    );
  }
}

export function decideApproval(
  facts: ReviewFacts,
  actor: TenantPrincipal,
  command: ApproveCommand,
): ApprovalDecision {
  const { version, validation } = facts;
  requireDraft(version, 'approved');
  if (command.expectedHash !== undefined && command.expectedHash !== version.contentHash) {
    throw new ConflictError(
      'SSO_VERSION_HASH_MISMATCH',
      `Version ${version.number} has content hash ${version.contentHash}, not the ${command.expectedHash} you reviewed`,
      { body: { contentHash: version.contentHash } },
    );
  }
  if (facts.latestApproved !== null && facts.latestApproved > version.number) {
    throw new ConflictError(
      'SSO_VERSION_OUTDATED',
      `Version ${facts.latestApproved} is already approved; approving the older version ${version.number} would go back in time — roll back to it instead`,
      { body: { latestApproved: facts.latestApproved } },
    );
  }
  const selfApproved = version.createdById !== null && version.createdById === actor.keyId;
  if (
    selfApproved &&
    !facts.settings.allowSelfApproval &&
    !(command.viaRollback && facts.settings.allowRollbackApproval)
  ) {
    throw new ForbiddenError(
      'SSO_SELF_APPROVAL_FORBIDDEN',
      `You created version ${version.number}; another approver must approve it (four-eyes rule; the tenant setting allowSelfApproval can relax it)`,
    );
  }
  const blocking = blockingFailure(validation);
  if (blocking) {
    throw new UnprocessableError(
      'SSO_VALIDATION_BLOCKING',
      `Version ${version.number} cannot be approved, even with an override: ${blocking.message}`,
      { body: { check: blocking.name } },
    );
  }
  const needsOverride = validation.status === 'fail';
  if (needsOverride && !command.overrideReason) {
    const failed = validation.checks.filter((c) => c.status === 'fail').map((c) => c.name);
    throw new UnprocessableError(
      'SSO_VALIDATION_FAILED',
      `The validation of version ${version.number} failed (${failed.join(', ')}): fix the configuration, re-validate, or approve with an overrideReason`,
      { body: { failedChecks: failed } },
    );
  }
  return {
    state: 'approved',
    selfApproved,
    overrideReason: needsOverride ? (command.overrideReason as string) : null,
    approvedHash: version.contentHash,
  };
}

export function decideRejection(facts: Pick<ReviewFacts, 'version'>): {
  state: Extract<ReviewState, 'rejected'>;
} {
  requireDraft(facts.version, 'rejected');
  return { state: 'rejected' };
}
