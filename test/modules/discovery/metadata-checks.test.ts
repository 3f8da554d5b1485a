/** The pure checks on a discovery document and a JWKS: the cases real documents rarely show. */
import { describe, expect, test } from 'vitest';
import { overallStatus } from '../../../src/modules/discovery/discovery-report.js';
import {
  checkAdditionalScopes,
  checkAuthMethod,
  checkEndpoints,
  checkIdTokenAlg,
  checkIssuerMatch,
  checkJwksKeys,
  checkResponseTypeCode,
  metadataOf,
} from '../../../src/modules/discovery/metadata-checks.js';

const rsa = { kty: 'RSA', n: 'AQAB', e: 'AQAB' };

describe('issuer match', () => {
  test('a host in other letter case is the same issuer, spelled differently: warn, discovered used', () => {
    const { check, discovered } = checkIssuerMatch('https://Login.Example.com/t', {
      issuer: 'https://login.example.com/t',
    });
    expect(check.status).toBe('warn');
    expect(check.message).toContain('(spelled differently)');
    expect(discovered).toBe('https://login.example.com/t');
  });

  test('a document without issuer fails and discovers nothing', () => {
    expect(checkIssuerMatch('https://a.example', {})).toMatchObject({
      discovered: null,
      check: {
        status: 'fail',
        message: 'The discovery document has no issuer, so ID tokens cannot be checked against it.',
      },
    });
  });

  test('another path on the same host is a mismatch, not a spelling', () => {
    const { check } = checkIssuerMatch('https://sso.example.com/realms/a', {
      issuer: 'https://sso.example.com/realms/b',
    });
    expect(check.status).toBe('fail');
  });
});

describe('document capabilities', () => {
  test('no "code" response type fails, listing what is offered', () => {
    expect(checkResponseTypeCode({ response_types_supported: ['id_token', 'id_token token'] })).toMatchObject(
      {
        status: 'fail',
        message:
          'The IdP offers the response types id_token and id_token token, but not code, which Cognigy’s login uses.',
      },
    );
  });

  test('an unlisted algorithm list is a warning, not a failure', () => {
    expect(checkIdTokenAlg({}, 'RS256').status).toBe('warn');
  });

  test('no auth-method list means client_secret_basic only', () => {
    expect(checkAuthMethod({}, 'client_secret_basic').status).toBe('pass');
    const post = checkAuthMethod({}, 'client_secret_post');
    expect(post.status).toBe('fail');
    expect(post.message).toContain('which means client_secret_basic only');
  });

  test('endpoints over http fail unless http is allowed', () => {
    const document = {
      authorization_endpoint: 'http://idp.example/authorize',
      token_endpoint: 'https://idp.example/token',
      jwks_uri: 'https://idp.example/jwks',
    };
    const strict = checkEndpoints(document, { alg: 'RS256', allowHttp: false });
    expect(strict.status).toBe('fail');
    expect(strict.message).toContain(
      'the authorization_endpoint http://idp.example/authorize does not use https',
    );
    // issue 17, item 5: with plain http allowed the sentence says http, not https, and warns
    const allowed = checkEndpoints(document, { alg: 'RS256', allowHttp: true });
    expect(allowed.status).toBe('warn');
    expect(allowed.message).toContain('authorization_endpoint is served over plain http');
    expect(allowed.message).not.toContain('over https');
  });

  test('all endpoints over https pass, and say https', () => {
    const document = {
      authorization_endpoint: 'https://i.example/a',
      token_endpoint: 'https://i.example/t',
      jwks_uri: 'https://i.example/k',
    };
    expect(checkEndpoints(document, { alg: 'RS256', allowHttp: true })).toMatchObject({
      status: 'pass',
      message: 'The IdP publishes its authorization and token endpoints and its JWKS over https.',
    });
  });

  test('an HS* algorithm needs no jwks_uri', () => {
    const document = { authorization_endpoint: 'https://i.example/a', token_endpoint: 'https://i.example/t' };
    expect(checkEndpoints(document, { alg: 'HS256', allowHttp: false })).toMatchObject({
      status: 'pass',
      message:
        'The IdP publishes its authorization and token endpoints over https. There is no jwks_uri, which HS256 does not need.',
    });
  });

  test('an IdP that publishes no scopes cannot confirm extra ones: skipped', () => {
    expect(checkAdditionalScopes({}, 'groups').status).toBe('skip');
    expect(checkAdditionalScopes({ scopes_supported: ['openid'] }, undefined).status).toBe('skip');
  });
});

describe('JWKS keys', () => {
  test.each([
    ['an RSA key without use or alg', [{ ...rsa }], 'pass'],
    ['an RSA key whose key_ops allow verify', [{ ...rsa, key_ops: ['verify'] }], 'pass'],
    ['an RSA key for encryption only', [{ ...rsa, key_ops: ['encrypt'] }], 'fail'],
    ['an RSA key for another algorithm', [{ ...rsa, alg: 'RS512' }], 'fail'],
    ['an EC key', [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', use: 'sig' }], 'fail'],
    ['no keys', [], 'fail'],
  ])('%s for RS256: %s', (_what, keys, status) => {
    expect(checkJwksKeys('https://i.example/jwks', { keys }, 'RS256').status).toBe(status);
  });

  test('a body that is not a key set fails', () => {
    expect(checkJwksKeys('https://i.example/jwks', [{ keys: [] }], 'RS256').message).toContain(
      'is not a JSON Web Key Set',
    );
  });
});

test('metadata keeps strings and lists of strings only', () => {
  const metadata = metadataOf({
    issuer: 'https://i.example',
    token_endpoint: 42,
    jwks_uri: 'x'.repeat(5000),
    scopes_supported: ['openid', 7, null, 'email'],
    response_types_supported: 'code',
  });
  expect(metadata).toMatchObject({
    issuer: 'https://i.example',
    token_endpoint: null,
    jwks_uri: null,
    scopes_supported: ['openid', 'email'],
    response_types_supported: null,
  });
});

test('the overall status is the worst check; skipped checks count as passed', () => {
  expect(overallStatus([{ status: 'skip' }, { status: 'pass' }])).toBe('pass');
  expect(overallStatus([{ status: 'pass' }, { status: 'warn' }, { status: 'skip' }])).toBe('warn');
  expect(overallStatus([{ status: 'warn' }, { status: 'fail' }])).toBe('fail');
  expect(overallStatus([])).toBe('pass');
});
