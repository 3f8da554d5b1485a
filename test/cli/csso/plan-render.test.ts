/** A plan as a person reads it, and the exit codes csso derives from it (Terraform's). */
import { describe, expect, test } from 'vitest';
import {
  appliedExitCode,
  planExitCode,
  renderApplied,
  renderPlan,
  resultSucceeded,
} from '../../../src/cli/csso/plan-render.js';
import type { Plan, PlanOrg } from '../../../src/cli/csso/plan-types.js';

function plan(orgs: PlanOrg[], extra: Partial<Plan> = {}): Plan {
  const count = (action: PlanOrg['action']) => orgs.filter((o) => o.action === action).length;
  return {
    id: 'plan-1',
    hash: 'sha256:abc',
    expiresAt: '2026-12-06T05:00:00.000Z',
    state: 'planned',
    totals: { noop: count('noop'), draft: count('draft'), blocked: count('blocked'), error: count('error') },
    orgs,
    errors: [],
    ...extra,
  };
}

const noop = (slug: string): PlanOrg => ({ org: { slug }, action: 'noop', baseVersion: 2 });
const draft: PlanOrg = {
  org: { slug: 'acme' },
  action: 'draft',
  baseVersion: 3,
  changes: [
    {
      field: 'idpIssuer',
      before: 'https://old.example.com',
      after: 'https://new.example.com',
      secret: false,
    },
    { field: 'idpClientSecret', before: 'hmac-sha256:aaaa', after: 'hmac-sha256:bbbb', secret: true },
    { field: 'idpAdditionalScope', before: null, after: 'groups', secret: false },
  ],
};
const first: PlanOrg = { org: { slug: 'newco' }, action: 'draft', baseVersion: 0, changes: [] };
const blocked: PlanOrg = {
  org: { slug: 'initech' },
  action: 'blocked',
  validation: {
    status: 'fail',
    checks: [
      { name: 'document_fetched', status: 'fail', message: 'the discovery document could not be fetched' },
      { name: 'issuer_syntax', status: 'pass', message: 'https' },
    ],
  },
};
const error: PlanOrg = {
  org: { slug: 'umbrella' },
  action: 'error',
  errors: [{ pointer: '/entries/1/orgs/2', detail: 'no org with this slug' }],
};

describe('renderPlan', () => {
  test('shows each change with its diff, blocked orgs with their failing checks, errors with their place in the file, unchanged ones counted', () => {
    const text = renderPlan(plan([noop('globex'), error, draft, noop('hooli'), blocked, first]), {
      locate: (pointer) => (pointer === '/entries/1/orgs/2' ? 'sso.yaml:12:7' : undefined),
    });
    expect(text).toBe(
      [
        'Plan plan-1 (sha256:abc, expires 2026-12-06T05:00:00.000Z)',
        '',
        '  x umbrella: error',
        '      /entries/1/orgs/2 (sso.yaml:12:7): no org with this slug',
        '  ! initech: blocked, its validation fails',
        '      fail document_fetched: the discovery document could not be fetched',
        '  ~ acme: draft a new version on top of v3',
        '      idpIssuer: "https://old.example.com" → "https://new.example.com"',
        '      idpClientSecret: "hmac-sha256:aaaa" → "hmac-sha256:bbbb" (secret, as fingerprints)',
        '      idpAdditionalScope: (none) → "groups"',
        '  ~ newco: draft its first version',
        '  = 2 orgs unchanged',
        '',
        'Plan: 2 to draft, 2 unchanged, 1 blocked, 1 with errors.',
      ].join('\n'),
    );
  });

  test('a document error (the document itself is wrong) comes first, with its pointer', () => {
    const text = renderPlan(
      plan([], { errors: [{ pointer: '/entries/0', detail: 'give orgs or a selector, not both' }] }),
    );
    expect(text).toContain('The document has errors:\n  x /entries/0: give orgs or a selector, not both');
  });

  test('an all-noop plan says so', () => {
    expect(renderPlan(plan([noop('a'), noop('b')]))).toMatch(
      /= 2 orgs unchanged\n\nPlan: 0 to draft, 2 unchanged/,
    );
  });
});

describe('planExitCode', () => {
  test('without --detailed-exitcode: 0 for any plan without errors, changes or not', () => {
    expect(planExitCode(plan([noop('a')]), false)).toBe(0);
    expect(planExitCode(plan([draft]), false)).toBe(0);
  });

  test('with --detailed-exitcode: 0 no changes, 2 changes', () => {
    expect(planExitCode(plan([noop('a')]), true)).toBe(0);
    expect(planExitCode(plan([noop('a'), draft]), true)).toBe(2);
  });

  test('1 when an org has an error, is blocked, or the document is wrong, with the flag or without', () => {
    for (const detailed of [true, false]) {
      expect(planExitCode(plan([draft, error]), detailed)).toBe(1);
      expect(planExitCode(plan([draft, blocked]), detailed)).toBe(1);
      expect(planExitCode(plan([], { errors: [{ pointer: '', detail: 'bad' }] }), detailed)).toBe(1);
    }
  });
});

describe('renderApplied', () => {
  const applied = (result: PlanOrg['result'], slug = 'acme'): PlanOrg => ({
    ...draft,
    org: { slug },
    result,
  });

  test('lists created versions and the orgs refused, with their problem, and the totals', () => {
    const text = renderApplied(
      plan([
        applied({ status: 201, version: 4, approved: true }),
        applied(
          {
            status: 409,
            problem: {
              code: 'SSO_VERSION_CONFLICT',
              detail: 'the newest version moved since the plan (v3 → v4)',
            },
          },
          'globex',
        ),
        noop('hooli'),
      ]),
      true,
    );
    expect(text).toBe(
      [
        'Applied plan plan-1:',
        '  + acme: v4 created, approved',
        '  x globex: 409 SSO_VERSION_CONFLICT: the newest version moved since the plan (v3 → v4)',
        '',
        'Apply: 1 created, 1 approved, 1 failed.',
      ].join('\n'),
    );
  });

  test('an approval asked for and refused counts as a failure, with its reason', () => {
    const text = renderApplied(
      plan([
        applied({
          status: 201,
          version: 2,
          approved: false,
          problem: { code: 'SSO_SELF_APPROVAL_FORBIDDEN', detail: 'you created it' },
        }),
      ]),
      true,
    );
    expect(text).toContain('  x acme: v2 created, NOT approved: SSO_SELF_APPROVAL_FORBIDDEN: you created it');
    expect(text).toContain('Apply: 1 created, 0 approved, 1 failed.');
  });

  test('resultSucceeded: a created draft, and approved when approval was asked for', () => {
    expect(resultSucceeded({ status: 201, version: 1 }, false)).toBe(true);
    expect(resultSucceeded({ status: 201, version: 1, approved: false }, true)).toBe(false);
    expect(resultSucceeded({ status: 409 }, false)).toBe(false);
  });
});

describe('appliedExitCode', () => {
  const done = (slug: string, approved = false): PlanOrg => ({
    ...draft,
    org: { slug },
    result: { status: 201, version: 1, approved },
  });

  test('0 when every draft was created (and approved, when asked) and nothing was blocked or in error', () => {
    expect(appliedExitCode(plan([done('a'), noop('b')]), false)).toBe(0);
    expect(appliedExitCode(plan([done('a', true)]), true)).toBe(0);
  });

  test('1 when a draft was refused, an approval asked for is missing, or the plan had blocked or error orgs', () => {
    expect(appliedExitCode(plan([done('a'), { ...draft, result: { status: 409 } }]), false)).toBe(1);
    expect(appliedExitCode(plan([done('a', false)]), true)).toBe(1);
    expect(appliedExitCode(plan([done('a'), blocked]), false)).toBe(1);
    expect(appliedExitCode(plan([done('a'), error]), false)).toBe(1);
    expect(appliedExitCode(plan([{ ...draft, result: undefined }]), false)).toBe(1);
  });
});
