/**
 * Whether the signed-in key may approve or reject a version, and if not, the sentence that says why.
 * The API enforces the same rules (src/modules/sso-versions/sso-review.ts); this only lets the UI say
 * so before a click. Pure: no DOM, no requests.
 */

/** What the rules look at: the version's review and validation, the caller, the tenant, the org. */
export interface ReviewInput {
  readonly version: {
    readonly number: number;
    readonly createdBy: { readonly id: string | null; readonly name: string };
    readonly review: { readonly state: string };
    readonly validation: {
      readonly status: string;
      readonly checks: ReadonlyArray<{ readonly name: string; readonly status: string }>;
    } | null;
  };
  readonly me: { readonly id: string; readonly roles: readonly string[] };
  readonly settings: { readonly allowSelfApproval: boolean };
  /** The org's latest approved version, if any. */
  readonly latestApproved: number | null;
}

export interface ActionRule {
  readonly allowed: boolean;
  /** Why the action is not allowed (absent when it is). */
  readonly reason?: string;
}

export interface ReviewRules {
  readonly approve: ActionRule & {
    /** The validation failed: approving needs an override reason, recorded with the approval. */
    readonly needsOverride: boolean;
  };
  readonly reject: ActionRule;
}

/** Checks that no override reason can approve past (the API's BLOCKING_CHECKS). */
const BLOCKING = new Set(['issuer_match', 'issuer_url']);

export function reviewRules({ version, me, settings, latestApproved }: ReviewInput): ReviewRules {
  const deny = (reason: string): ActionRule => ({ allowed: false, reason });
  const failed = version.validation?.status === 'fail';
  if (!me.roles.includes('approver')) {
    const reason = `Approving and rejecting need the approver role; your roles: ${me.roles.join(', ')}.`;
    return { approve: { ...deny(reason), needsOverride: false }, reject: deny(reason) };
  }
  if (version.review.state !== 'draft') {
    const reason = `Version ${version.number} is ${version.review.state}; only a draft can be reviewed.`;
    return { approve: { ...deny(reason), needsOverride: false }, reject: deny(reason) };
  }
  const reject: ActionRule = { allowed: true };
  const approve = (rule: ActionRule) => ({ approve: { ...rule, needsOverride: failed }, reject });
  if (latestApproved !== null && latestApproved > version.number) {
    return approve(
      deny(
        `Version ${latestApproved} is already approved; approving the older version ${version.number} would go back in time (roll back to it instead).`,
      ),
    );
  }
  if (version.createdBy.id !== null && version.createdBy.id === me.id && !settings.allowSelfApproval) {
    return approve(
      deny(`You created version ${version.number}; another approver must approve it (four-eyes rule).`),
    );
  }
  const blocking = version.validation?.checks.find((c) => c.status === 'fail' && BLOCKING.has(c.name));
  if (blocking) {
    return approve(deny(`The check ${blocking.name} failed, which no override reason can approve past.`));
  }
  return approve({ allowed: true });
}
