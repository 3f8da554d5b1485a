/**
 * The sign-in page's and the console sign-in pages' rules (ui/src/console-sign-in.ts): where the
 * identity provider brings a person back, the settings form to the API's body and back, who may end
 * which session.
 */
import { describe, expect, test } from 'vitest';
import {
  emptyMapping,
  endSessionBlocked,
  formOf,
  loginHref,
  looksLikeSlug,
  mayManageConsoleSignIn,
  personLabel,
  reportOf,
  returnToOf,
  type SettingsForm,
  settingsBody,
} from '../../ui/src/console-sign-in.js';
import type { ConsoleLoginView } from '../../ui/src/types.js';

const unconfigured: ConsoleLoginView = {
  configured: false,
  issuer: null,
  clientId: null,
  clientSecretFingerprint: null,
  idTokenSignedResponseAlg: 'RS256',
  groupsClaim: 'groups',
  roleMappings: [],
  allowedEmailDomains: [],
  apiKeySignInAllowed: true,
  redirectUri: 'https://sso.example.com/ui/auth/callback',
  loginUrl: 'https://sso.example.com/ui/login/acme',
  validation: null,
  updatedAt: null,
  etag: null,
};

const filled: SettingsForm = {
  issuer: ' https://idp.acme.example ',
  clientId: 'console',
  clientSecret: 's3cret',
  idTokenSignedResponseAlg: 'RS384',
  groupsClaim: '',
  mappings: [
    { group: 'sso-approvers', roles: ['auditor', 'approver'], orgScope: 'contoso, fabrikam' },
    { group: 'sso-admins', roles: ['admin'], orgScope: ' ' },
    emptyMapping(),
  ],
  allowedEmailDomains: 'acme.example,  ops.acme.example',
  apiKeySignInAllowed: false,
};

describe('the console sign-in in the UI', () => {
  test('returnTo is this page’s path and hash route, and only ever a local path under /ui/', () => {
    expect(returnToOf('/ui/', '#/orgs/contoso/versions/3')).toBe('/ui/#/orgs/contoso/versions/3');
    expect(returnToOf('/ui/', '#/audit?actor=x&action=sso_version.')).toBe(
      '/ui/#/audit?actor=x&action=sso_version.',
    );
    expect(returnToOf('/ui', '')).toBe('/ui/');
    expect(returnToOf('/elsewhere', '#/orgs')).toBe('/ui/#/orgs');
    expect(returnToOf('/ui/', '#//evil.example')).toBe('/ui/');
    expect(returnToOf('/ui/', '#\\evil')).toBe('/ui/');
    expect(loginHref('acme-msp', '/ui/#/audit?org=contoso')).toBe(
      '/ui/login/acme-msp?returnTo=%2Fui%2F%23%2Faudit%3Forg%3Dcontoso',
    );
  });

  test('tenant slugs are checked before the browser leaves', () => {
    expect(['acme-msp', 'a', 'msp42'].map(looksLikeSlug)).toEqual([true, true, true]);
    expect(['', 'Acme', '-acme', 'acme-', 'acme/x', '../x'].map(looksLikeSlug)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  test('a person shows as name and email, or what the IdP gave', () => {
    expect(personLabel({ name: 'Dana Ops', email: 'dana@acme.example', subject: 's1' })).toBe(
      'Dana Ops (dana@acme.example)',
    );
    expect(personLabel({ name: null, email: 'dana@acme.example', subject: 's1' })).toBe('dana@acme.example');
    expect(personLabel({ name: null, email: null, subject: 's1' })).toBe('s1');
  });

  test('the form becomes the PUT body: trimmed, lists split, empty scope is every org, blank rows dropped', () => {
    const built = settingsBody(filled, false);
    expect(built.problems).toEqual([]);
    expect(built.body).toEqual({
      issuer: 'https://idp.acme.example',
      clientId: 'console',
      clientSecret: 's3cret',
      idTokenSignedResponseAlg: 'RS384',
      groupsClaim: 'groups',
      roleMappings: [
        { group: 'sso-approvers', roles: ['approver', 'auditor'], orgScope: ['contoso', 'fabrikam'] },
        { group: 'sso-admins', roles: ['admin'], orgScope: null },
      ],
      allowedEmailDomains: ['acme.example', 'ops.acme.example'],
      apiKeySignInAllowed: false,
    });
    // Once configured, an empty secret keeps the stored one: the body has none.
    expect(settingsBody({ ...filled, clientSecret: '' }, true).body).not.toHaveProperty('clientSecret');
  });

  test('what to fix first, before any request', () => {
    expect(settingsBody(formOf(unconfigured), false).problems).toEqual([
      'The issuer is required.',
      'The client ID is required.',
      'The client secret is required the first time.',
      'Map at least one group to roles: a person with no mapped role is refused.',
    ]);
    const rows = settingsBody(
      {
        ...filled,
        mappings: [
          { group: '', roles: ['admin'], orgScope: '' },
          { group: 'x', roles: [], orgScope: '' },
        ],
      },
      true,
    );
    expect(rows).toEqual({
      body: null,
      problems: ['Mapping 1: the group is required.', 'Mapping 2: choose at least one role.'],
    });
  });

  test('the stored settings fill the form (the secret never: it is write-only)', () => {
    const form = formOf({
      ...unconfigured,
      configured: true,
      issuer: 'https://idp.acme.example',
      clientId: 'console',
      clientSecretFingerprint: 'hmac-sha256:abcd',
      roleMappings: [{ group: 'g', roles: ['auditor'], orgScope: ['contoso', 'fabrikam'] }],
      allowedEmailDomains: ['acme.example'],
    });
    expect(form).toMatchObject({
      clientSecret: '',
      mappings: [{ group: 'g', roles: ['auditor'], orgScope: 'contoso, fabrikam' }],
      allowedEmailDomains: 'acme.example',
    });
    expect(formOf(unconfigured).mappings).toEqual([emptyMapping()]);
  });

  test('a refused save’s report is found in the problem; other problems have none', () => {
    const report = { status: 'fail', checks: [{ name: 'discovery', status: 'fail', message: 'no answer' }] };
    expect(reportOf({ status: 422, validation: report })).toBe(report);
    expect(reportOf({ status: 422, report })).toBe(report);
    expect(reportOf({ status: 400, detail: 'bad' })).toBeNull();
    expect(reportOf({ status: 422, validation: { status: 'fail' } })).toBeNull();
  });

  test('only admins manage; nobody ends their own session from the list', () => {
    expect([mayManageConsoleSignIn(['admin']), mayManageConsoleSignIn(['auditor', 'approver'])]).toEqual([
      true,
      false,
    ]);
    expect(endSessionBlocked(['admin'], false)).toBeNull();
    expect(endSessionBlocked(['admin'], true)).toBe('This is your own session: use Sign out.');
    expect(endSessionBlocked(['auditor'], false)).toBe(
      'Ending sessions needs the admin role; your roles: auditor.',
    );
  });
});
