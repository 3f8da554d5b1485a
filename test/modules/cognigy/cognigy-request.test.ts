/**
 * The request the forwarder will send to Cognigy: exactly Cognigy's fields (checked against the
 * schemas of its own REST client), the key in the X-API-Key header only, and masks that leave no
 * secret behind.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  cognigyRequest,
  MissingSecretError,
  maskCognigyRequest,
  type SsoContent,
} from '../../../src/modules/cognigy/cognigy-request.js';
import { ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from '../../../src/modules/discovery/oidc-options.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schemas = JSON.parse(
  readFileSync(new URL('../../fixtures/cognigy/identity-provider-schemas.json', import.meta.url), 'utf8'),
);
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validOidc = ajv.compile(schemas.oidc);
const validSaml = ajv.compile(schemas.saml);

const target = { apiBase: 'https://api-trial.cognigy.ai/new', apiKey: 'cognigy-api-key-0123456789' };

// Cognigy validates URL fields with the `url` format of ajv-formats, which refuses some URLs that
// WHATWG accepts (fast-check found https://a--a.a.aa: a label with "--", as in every punycode
// domain). The SSO-version validator must apply the same format before anything is sent; the body
// builder assumes content that passed it.
const cognigyUrl = ajv.compile({ type: 'string', format: 'url' });
const url = fc
  .webUrl({ validSchemes: ['https'], withQueryParameters: false, withFragments: false })
  .filter((u) => cognigyUrl(u));
const text = fc.string({ minLength: 1, maxLength: 80 });
const oidc: fc.Arbitrary<SsoContent> = fc.record({
  kind: fc.constant('oidc' as const),
  idpIssuer: url,
  idpClientId: text,
  idpIdTokenSignedResponseAlg: fc.constantFrom(...ID_TOKEN_ALGS),
  idpTokenEndpointAuthMethod: fc.constantFrom(...TOKEN_ENDPOINT_AUTH_METHODS),
  idpAdditionalScope: fc.option(fc.constantFrom('email', 'profile groups'), { nil: null }),
  idpFrontChannelLogoutUrl: fc.option(url, { nil: null }),
});
const saml: fc.Arbitrary<SsoContent> = fc.record({
  kind: fc.constant('saml' as const),
  idpIssuer: text,
  idpLoginEndpoint: url,
  idpLogoutEndpoint: fc.option(url, { nil: null }),
  idpCertificate: fc.base64String({ minLength: 4, maxLength: 200 }).filter((s) => s.length > 0),
  wantAuthnResponseSigned: fc.option(fc.boolean(), { nil: null }),
  idpDisableRequestedAuthnContext: fc.boolean(),
});

describe('the Cognigy configure request', () => {
  test('has exactly the fields of Cognigy’s own OIDC schema, for any OIDC content', () => {
    fc.assert(
      fc.property(oidc, text, (content, secret) => {
        const request = cognigyRequest(target, content, { idpClientSecret: secret });
        expect(request.url).toBe('https://api-trial.cognigy.ai/new/v2.0/identityprovider/configure');
        expect(request.method).toBe('POST');
        expect(request.headers['x-api-key']).toBe(target.apiKey);
        expect(validOidc(request.body), JSON.stringify(validOidc.errors)).toBe(true);
        expect(request.body?.idpClientSecret).toBe(secret);
      }),
    );
  });

  test('has exactly the fields of Cognigy’s own SAML schema, with optional fields left out when unset', () => {
    fc.assert(
      fc.property(saml, fc.option(text, { nil: null }), (content, key) => {
        const request = cognigyRequest(target, content, { decryptionPrivateKey: key });
        expect(validSaml(request.body), JSON.stringify(validSaml.errors)).toBe(true);
        expect('decryptionPrivateKey' in (request.body ?? {})).toBe(key !== null);
        if (content.kind === 'saml') {
          expect('wantAuthnResponseSigned' in (request.body ?? {})).toBe(
            content.wantAuthnResponseSigned !== null,
          );
        }
      }),
    );
  });

  test('is a reset without a body for a disabled configuration', () => {
    const request = cognigyRequest({ ...target, apiBase: `${target.apiBase}/` }, { kind: 'disabled' }, {});
    expect(request).toEqual({
      method: 'POST',
      url: 'https://api-trial.cognigy.ai/new/v2.0/identityprovider/reset',
      headers: { accept: 'application/json', 'x-api-key': target.apiKey },
      body: null,
    });
  });

  test('never puts the API key in the URL', () => {
    fc.assert(
      fc.property(fc.oneof(oidc, saml), (content) => {
        const request = cognigyRequest(target, content, { idpClientSecret: 's3cret' });
        expect(request.url).not.toContain(target.apiKey);
        expect(request.url).not.toMatch(/api_key/i);
      }),
    );
  });

  test('refuses an OIDC configuration without its client secret', () => {
    const [content] = fc.sample(oidc, 1);
    expect(() => cognigyRequest(target, content as SsoContent, {})).toThrow(MissingSecretError);
  });
});

describe('a masked Cognigy request', () => {
  test('contains no secret, and names each by its fingerprint', () => {
    fc.assert(
      fc.property(fc.oneof(oidc, saml), fc.string({ minLength: 12, maxLength: 40 }), (content, secret) => {
        const request = cognigyRequest(target, content, {
          idpClientSecret: secret,
          decryptionPrivateKey: secret,
        });
        const masked = maskCognigyRequest(request, {
          apiKey: 'hmac-sha256:aa',
          idpClientSecret: 'hmac-sha256:bb',
          decryptionPrivateKey: 'hmac-sha256:cc',
        });
        const shown = JSON.stringify(masked);
        expect(shown).not.toContain(target.apiKey);
        if (request.body && ('idpClientSecret' in request.body || 'decryptionPrivateKey' in request.body)) {
          expect(shown).not.toContain(JSON.stringify(secret));
        }
        expect(masked.headers['x-api-key']).toBe('[masked hmac-sha256:aa]');
        expect(masked.url).toBe(request.url);
      }),
    );
  });
});
