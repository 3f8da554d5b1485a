/**
 * The UI's review rules say, before a click, what the API would refuse (sso-review.ts), in a
 * sentence shown next to the disabled button.
 */
import { describe, expect, test } from 'vitest';
import { type ReviewInput, reviewRules } from '../../ui/src/review.js';

const ME = '01900000-0000-7000-8000-00000000000a';
const OTHER = '01900000-0000-7000-8000-00000000000b';

function input(overrides: {
  state?: string;
  createdBy?: string | null;
  validation?: ReviewInput['version']['validation'];
  roles?: string[];
  allowSelfApproval?: boolean;
  latestApproved?: number | null;
}): ReviewInput {
  return {
    version: {
      number: 3,
      createdBy: { id: overrides.createdBy === undefined ? OTHER : overrides.createdBy, name: 'someone' },
      review: { state: overrides.state ?? 'draft' },
      validation: overrides.validation === undefined ? { status: 'pass', checks: [] } : overrides.validation,
    },
    me: { id: ME, roles: overrides.roles ?? ['approver'] },
    settings: { allowSelfApproval: overrides.allowSelfApproval ?? false },
    latestApproved: overrides.latestApproved ?? null,
  };
}

describe('reviewRules', () => {
  test("lets an approver approve and reject another key's passing draft", () => {
    expect(reviewRules(input({}))).toEqual({
      approve: { allowed: true, needsOverride: false },
      reject: { allowed: true },
    });
  });

  test('says "you created this version" to its author, who may still reject it', () => {
    const rules = reviewRules(input({ createdBy: ME }));
    expect(rules.approve).toMatchObject({ allowed: false });
    expect(rules.approve.reason).toBe(
      'You created version 3; another approver must approve it (four-eyes rule).',
    );
    expect(rules.reject.allowed).toBe(true);
  });

  test('lets the author approve when the tenant allows self-approval', () => {
    expect(reviewRules(input({ createdBy: ME, allowSelfApproval: true })).approve.allowed).toBe(true);
  });

  test('names the roles of a key without the approver role', () => {
    const rules = reviewRules(input({ roles: ['auditor', 'editor'] }));
    expect(rules.approve.reason).toBe(
      'Approving and rejecting need the approver role; your roles: auditor, editor.',
    );
    expect(rules.reject.allowed).toBe(false);
  });

  test.each(['approved', 'rejected', 'superseded'])('refuses both actions on a %s version', (state) => {
    const rules = reviewRules(input({ state }));
    expect(rules.approve.reason).toBe(`Version 3 is ${state}; only a draft can be reviewed.`);
    expect(rules.reject.allowed).toBe(false);
  });

  test('refuses approving a draft older than the latest approved version', () => {
    expect(reviewRules(input({ latestApproved: 4 })).approve.reason).toMatch(
      /^Version 4 is already approved; approving the older version 3/,
    );
  });

  test('asks for an override reason when the validation failed', () => {
    const rules = reviewRules(
      input({ validation: { status: 'fail', checks: [{ name: 'jwks', status: 'fail' }] } }),
    );
    expect(rules.approve).toEqual({ allowed: true, needsOverride: true });
  });

  test.each(['issuer_match', 'issuer_url'])('refuses approval past a failed %s, override or not', (name) => {
    const rules = reviewRules(input({ validation: { status: 'fail', checks: [{ name, status: 'fail' }] } }));
    expect(rules.approve.allowed).toBe(false);
    expect(rules.approve.reason).toBe(`The check ${name} failed, which no override reason can approve past.`);
    expect(rules.reject.allowed).toBe(true);
  });
});
