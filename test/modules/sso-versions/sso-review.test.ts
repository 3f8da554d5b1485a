/** The review rules as a pure decision (no database): who may approve what, and what is recorded. */
import { describe, expect, test } from 'vitest';
import type { TenantPrincipal } from '../../../src/modules/auth/principal.js';
import {
  decideApproval,
  decideRejection,
  type ReviewFacts,
} from '../../../src/modules/sso-versions/sso-review.js';
import type { ValidationReport } from '../../../src/modules/sso-versions/sso-validation.js';

const HASH = `sha256:${'a'.repeat(64)}`;
const author: TenantPrincipal = {
  kind: 'tenant',
  keyId: 'k-author',
  keyName: 'author',
  tenantId: 't',
  roles: ['editor', 'approver'],
  orgScope: null,
};
const other: TenantPrincipal = { ...author, keyId: 'k-other', keyName: 'other' };

const report = (checks: Array<[string, 'pass' | 'warn' | 'fail']>): ValidationReport => ({
  status: checks.some(([, s]) => s === 'fail')
    ? 'fail'
    : checks.some(([, s]) => s === 'warn')
      ? 'warn'
      : 'pass',
  checks: checks.map(([name, status]) => ({ name, status, message: `${name} ${status}` })),
  discovery: null,
});

const facts = (over: Partial<ReviewFacts> = {}): ReviewFacts => ({
  version: { number: 3, reviewState: 'draft', createdById: 'k-author', contentHash: HASH },
  validation: report([['document_fetched', 'pass']]),
  latestApproved: 2,
  settings: { allowSelfApproval: false, allowRollbackApproval: false },
  ...over,
});

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('approval', () => {
  test('another approver may approve a passing draft; the hash approved is the content hash', () => {
    expect(decideApproval(facts(), other, {})).toEqual({
      state: 'approved',
      selfApproved: false,
      overrideReason: null,
      approvedHash: HASH,
    });
  });

  test('refuses approval by the version’s author unless the tenant allows self-approval, then marks it', () => {
    expect(codeOf(() => decideApproval(facts(), author, {}))).toBe('SSO_SELF_APPROVAL_FORBIDDEN');
    const allowed = facts({ settings: { allowSelfApproval: true, allowRollbackApproval: false } });
    expect(decideApproval(allowed, author, {}).selfApproved).toBe(true);
  });

  test('a rollback approved in the same call counts as self-approval, allowed only by allowRollbackApproval', () => {
    expect(codeOf(() => decideApproval(facts(), author, { viaRollback: true }))).toBe(
      'SSO_SELF_APPROVAL_FORBIDDEN',
    );
    const allowed = facts({ settings: { allowSelfApproval: false, allowRollbackApproval: true } });
    expect(decideApproval(allowed, author, { viaRollback: true }).selfApproved).toBe(true);
    expect(codeOf(() => decideApproval(allowed, author, {}))).toBe('SSO_SELF_APPROVAL_FORBIDDEN');
  });

  test('a failed validation needs an override reason, which is then recorded', () => {
    const failed = facts({ validation: report([['document_fetched', 'fail']]) });
    expect(codeOf(() => decideApproval(failed, other, {}))).toBe('SSO_VALIDATION_FAILED');
    expect(decideApproval(failed, other, { overrideReason: 'on-premises IdP' }).overrideReason).toBe(
      'on-premises IdP',
    );
    // an override reason that was not needed is not recorded as an override
    expect(decideApproval(facts(), other, { overrideReason: 'just in case' }).overrideReason).toBeNull();
  });

  test('a failed issuer match cannot be overridden (Entra’s {tenantid} issuer would never match a token)', () => {
    const mismatch = facts({
      validation: report([
        ['document_fetched', 'pass'],
        ['issuer_match', 'fail'],
      ]),
    });
    expect(codeOf(() => decideApproval(mismatch, other, { overrideReason: 'please' }))).toBe(
      'SSO_VALIDATION_BLOCKING',
    );
  });

  test('refuses anything but a draft, an unexpected hash, and a version older than the latest approved', () => {
    for (const state of ['approved', 'rejected', 'superseded']) {
      const f = facts({ version: { ...facts().version, reviewState: state } });
      expect(codeOf(() => decideApproval(f, other, {}))).toBe('SSO_VERSION_NOT_DRAFT');
    }
    expect(codeOf(() => decideApproval(facts(), other, { expectedHash: `sha256:${'b'.repeat(64)}` }))).toBe(
      'SSO_VERSION_HASH_MISMATCH',
    );
    expect(codeOf(() => decideApproval(facts({ latestApproved: 4 }), other, {}))).toBe(
      'SSO_VERSION_OUTDATED',
    );
  });
});

describe('rejection', () => {
  test('only a draft can be rejected', () => {
    expect(decideRejection(facts())).toEqual({ state: 'rejected' });
    const approved = facts({ version: { ...facts().version, reviewState: 'approved' } });
    expect(codeOf(() => decideRejection(approved))).toBe('SSO_VERSION_NOT_DRAFT');
  });
});
