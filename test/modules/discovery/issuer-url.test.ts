import { describe, expect, test } from 'vitest';
import { documentUrlOf, parseIssuerUrl } from '../../../src/modules/discovery/issuer-url.js';

const strict = { allowHttp: false };

describe('a usable issuer', () => {
  test.each([
    ['https://login.example.com', 'https://login.example.com'],
    ['https://example-tenant.eu.auth0.com/', 'https://example-tenant.eu.auth0.com/'],
    ['https://sso.example.com/realms/cognigy', 'https://sso.example.com/realms/cognigy'],
    ['  https://accounts.google.com  ', 'https://accounts.google.com'],
    ['https://LOGIN.Example.COM:443/Tenant', 'https://login.example.com/Tenant'],
    ['https://idp.example.com:8443/oidc', 'https://idp.example.com:8443/oidc'],
    ['https://[::1]:8443', 'https://[::1]:8443'],
  ])('%s is read as the issuer %s', (input, issuer) => {
    const parsed = parseIssuerUrl(input, strict);
    expect(parsed).toMatchObject({ ok: true, issuer, adjustments: [] });
  });

  test('a bare domain is tried as https://domain, and says so', () => {
    expect(parseIssuerUrl('example.okta.com', strict)).toEqual({
      ok: true,
      issuer: 'https://example.okta.com',
      documentUrl: 'https://example.okta.com/.well-known/openid-configuration',
      adjustments: ['“example.okta.com” has no scheme, so it was tried as https://example.okta.com.'],
    });
  });

  test('a bare domain with a path keeps the path', () => {
    expect(parseIssuerUrl('example.okta.com/oauth2/default', strict)).toMatchObject({
      ok: true,
      issuer: 'https://example.okta.com/oauth2/default',
    });
  });

  test.each([
    [
      'https://login.microsoftonline.com/tid/v2.0/.well-known/openid-configuration',
      'https://login.microsoftonline.com/tid/v2.0',
    ],
    [
      'https://example-tenant.eu.auth0.com/.well-known/openid-configuration',
      'https://example-tenant.eu.auth0.com',
    ],
    [
      'https://sso.example.com/realms/x/.well-known/openid-configuration/',
      'https://sso.example.com/realms/x',
    ],
    ['accounts.google.com/.well-known/openid-configuration', 'https://accounts.google.com'],
  ])('the pasted discovery URL %s is turned back into %s', (input, issuer) => {
    const parsed = parseIssuerUrl(input, strict);
    expect(parsed).toMatchObject({ ok: true, issuer });
    expect(parsed.ok && parsed.adjustments.at(-1)).toContain(
      'You entered the address of the discovery document',
    );
  });

  test('http is accepted only when allowed', () => {
    expect(parseIssuerUrl('http://127.0.0.1:8080', { allowHttp: true })).toMatchObject({
      ok: true,
      issuer: 'http://127.0.0.1:8080',
    });
  });
});

describe('an unusable issuer', () => {
  test.each([
    ['', 'The issuer is empty'],
    ['   ', 'The issuer is empty'],
    ['https://login example.com', 'contains white space'],
    ['not a url', 'contains white space'],
    ['https://', 'is not a URL'],
    ['https://exa mple.com', 'contains white space'],
    ['https://[::1', 'is not a URL'],
    ['http://login.example.com', 'uses http; issuers must use https'],
    ['ftp://login.example.com', 'uses ftp:; issuers must use https'],
    ['javascript://alert(1)', 'uses javascript:; issuers must use https'],
    ['https://user:pw@login.example.com', 'contains a user name or password'],
    ['https://login.example.com/?tenant=1', 'has a query (?…) or fragment (#…)'],
    ['https://login.example.com/#x', 'has a query (?…) or fragment (#…)'],
    ['https://login.example.com/?', 'has a query (?…) or fragment (#…)'],
    ['https://login.microsoftonline.com/{tenantid}/v2.0', 'contains the placeholder “{tenantid}”'],
    ['https://login.microsoftonline.com/<tenant id>/v2.0', 'contains the placeholder “<tenant id>”'],
  ])('%j is refused: %s', (input, message) => {
    const parsed = parseIssuerUrl(input, strict);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });

  test('a very long input is shortened in the message', () => {
    const long = `https://login.example.com/?${'a'.repeat(5000)}`;
    const parsed = parseIssuerUrl(long, strict);
    expect(!parsed.ok && parsed.message.length).toBeLessThan(400);
  });
});

test('the document URL drops the issuer’s trailing slash before the well-known path', () => {
  expect(documentUrlOf('https://example-tenant.eu.auth0.com/')).toBe(
    'https://example-tenant.eu.auth0.com/.well-known/openid-configuration',
  );
  expect(documentUrlOf('https://sso.example.com/realms/x')).toBe(
    'https://sso.example.com/realms/x/.well-known/openid-configuration',
  );
});
