/**
 * Properties (fast-check):
 * - diff(a, b) is empty exactly when a and b configure the same and record the same client secret
 *   expiry, and its changes turn a into b;
 * - random valid drafts are stored (201, numbered in order), random invalid ones are 400 naming the
 *   offending field, and store nothing;
 * - rollback(n) yields a version whose content, secrets (with a client secret's expiry) and hash
 *   equal version n's.
 * Outbound requests are refused: OIDC drafts are stored with a failing report, no IdP is needed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canonicalJson } from '../../../src/lib/canonical-json.js';
import { ID_TOKEN_ALGS, TOKEN_ENDPOINT_AUTH_METHODS } from '../../../src/modules/discovery/oidc-options.js';
import { type Comparable, diffVersions } from '../../../src/modules/sso-versions/sso-diff.js';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { refuseAllOutbound } from '../../support/outbound.js';
import { samlMaterial } from './sso-support.js';

// ---------------------------------------------------------------------------------------------
// Generators of valid field values

const host = fc.domain().filter((d) => !d.includes('--') && d.length < 100);
const httpsUrl = fc
  .tuple(host, fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { maxLength: 3 }))
  .map(([h, path]) => `https://${h}${path.length ? `/${path.join('/')}` : ''}`);
const vschar = (max: number) => fc.stringMatching(new RegExp(`^[\\x21-\\x7e][\\x20-\\x7e]{0,${max - 1}}$`));
const scope = fc
  .array(fc.stringMatching(/^[a-z][a-z0-9_.:]{0,10}$/), { minLength: 1, maxLength: 3 })
  .map((s) => s.join(' '));

const oidcBody = fc.record(
  {
    kind: fc.constant('oidc'),
    idpIssuer: httpsUrl,
    idpClientId: vschar(40),
    idpClientSecret: vschar(60),
    idpIdTokenSignedResponseAlg: fc.constantFrom(...ID_TOKEN_ALGS),
    idpTokenEndpointAuthMethod: fc.constantFrom(...TOKEN_ENDPOINT_AUTH_METHODS),
    idpAdditionalScope: fc.option(scope),
    idpFrontChannelLogoutUrl: fc.option(httpsUrl),
    idpClientSecretExpiresAt: fc.option(
      fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T23:59:59Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
    ),
    note: fc.stringMatching(/^[ -~]{0,40}$/),
  },
  { requiredKeys: ['kind', 'idpIssuer', 'idpClientId', 'idpClientSecret'] },
);

const { certificatePem, privateKeyPem } = samlMaterial();
const samlBody = fc.record(
  {
    kind: fc.constant('saml'),
    idpIssuer: fc.oneof(httpsUrl, fc.stringMatching(/^urn:[a-z]{1,8}:[a-z0-9:]{1,20}$/)),
    idpLoginEndpoint: httpsUrl,
    idpLogoutEndpoint: fc.option(httpsUrl),
    idpCertificate: fc.constantFrom(certificatePem, certificatePem.replace(/-----[A-Z ]+-----|\s/g, '')),
    wantAuthnResponseSigned: fc.option(fc.boolean()),
    idpDisableRequestedAuthnContext: fc.boolean(),
    decryptionPrivateKey: fc.option(fc.constant(privateKeyPem)),
  },
  { requiredKeys: ['kind', 'idpIssuer', 'idpLoginEndpoint', 'idpCertificate'] },
);

const validBody = fc.oneof(oidcBody, samlBody, fc.constant({ kind: 'disabled' }));

/** Per field, values each of which the API must refuse, naming that field. */
const INVALID: Record<string, Record<string, unknown[]>> = {
  oidc: {
    idpIssuer: [
      '',
      'ftp://idp.example.com',
      'not a url',
      'https://idp.example.com/?tenant=1',
      'https://idp.example.com/#x',
      'http://idp.example.com',
      'https://{tenantid}.example.com',
      42,
    ],
    idpClientId: ['', 'tab\there', 'é-client', 'x'.repeat(5001), null],
    idpClientSecret: ['', 'line\nbreak', 'sécret', 7],
    idpIdTokenSignedResponseAlg: ['none', 'ES256', 'rs256', ''],
    idpTokenEndpointAuthMethod: ['basic', 'client_secret', ''],
    idpAdditionalScope: ['two  spaces', ' leading', '"quoted"', 'back\\slash'],
    idpFrontChannelLogoutUrl: [
      'not a url',
      'http://idp.example.com/logout',
      'https://local--host.example/x',
      5,
    ],
    probe: ['yes', 1],
    idpClientSecretExpiresAt: [
      'tomorrow',
      '2031-06-30',
      '2031-13-01T00:00:00Z',
      '2030-12-31T23:59:60Z',
      20310630,
    ],
    idpLoginEndpoint: ['https://idp.example.com/login'], // a SAML field in an OIDC draft
  },
  saml: {
    idpIssuer: ['', 'bell\u0007'],
    idpLoginEndpoint: ['', 'not a url', 'http://idp.example.com/login', 'javascript:alert(1)'],
    idpLogoutEndpoint: ['not a url', 'http://idp.example.com/logout'],
    idpCertificate: [
      '',
      'bm90IGEgY2VydGlmaWNhdGU=',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    ],
    wantAuthnResponseSigned: ['yes', 1],
    idpDisableRequestedAuthnContext: ['false', null],
    decryptionPrivateKey: ['', 'not a key', certificatePem],
    idpClientId: ['x'], // an OIDC field in a SAML draft
    idpClientSecretExpiresAt: ['2031-06-30T00:00:00Z', null], // only a client secret has an expiry
  },
  disabled: {
    idpIssuer: ['https://idp.example.com'],
    note: [12, 'bell\u0007'],
    idpClientSecretExpiresAt: ['2031-06-30T00:00:00Z'],
  },
};

const invalidCase = fc
  .constantFrom('oidc', 'saml', 'disabled')
  .chain((kind) =>
    fc
      .constantFrom(...Object.keys(INVALID[kind] as object))
      .chain((field) =>
        fc.tuple(
          kind === 'oidc' ? oidcBody : kind === 'saml' ? samlBody : fc.constant({ kind: 'disabled' }),
          fc.constant(field),
          fc.constantFrom(...((INVALID[kind] as Record<string, unknown[]>)[field] as unknown[])),
        ),
      ),
  );

// ---------------------------------------------------------------------------------------------

describe('diff', () => {
  const fingerprint = fc.constantFrom('hmac-sha256:aa', 'hmac-sha256:bb', null);
  const ref = (changedIn: number) => fingerprint.map((f) => (f ? { fingerprint: f, changedIn } : null));
  const expiry = fc.constantFrom(null, '2031-06-30T00:00:00.000Z', '2032-01-15T12:30:00.000Z');
  const clientRef = (changedIn: number) =>
    fc.tuple(ref(changedIn), expiry).map(([r, expiresAt]) => (r ? { ...r, expiresAt } : null));
  const version: fc.Arbitrary<Comparable> = fc
    .tuple(
      fc.nat(20),
      fc.oneof(
        fc.record({
          kind: fc.constant('oidc'),
          content: fc.record({
            idpIssuer: fc.constantFrom('https://a.example', 'https://b.example/'),
            idpClientId: fc.constantFrom('x', 'y'),
            idpIdTokenSignedResponseAlg: fc.constantFrom('RS256', 'HS256'),
            idpTokenEndpointAuthMethod: fc.constantFrom('client_secret_basic', 'none'),
            idpAdditionalScope: fc.constantFrom(null, 'profile'),
            idpFrontChannelLogoutUrl: fc.constantFrom(null, 'https://a.example/logout'),
          }),
        }),
        fc.record({
          kind: fc.constant('saml'),
          content: fc.record({
            idpIssuer: fc.constantFrom('urn:a', 'https://a.example'),
            idpLoginEndpoint: fc.constantFrom('https://a.example/login'),
            idpLogoutEndpoint: fc.constantFrom(null, 'https://a.example/logout'),
            idpCertificate: fc.constantFrom('AAAA', 'BBBB'),
            wantAuthnResponseSigned: fc.constantFrom(null, true, false),
            idpDisableRequestedAuthnContext: fc.boolean(),
          }),
        }),
        fc.record({ kind: fc.constant('disabled'), content: fc.constant({}) }),
      ),
      clientRef(1),
      ref(2),
    )
    .map(([number, { kind, content }, idpClientSecret, decryptionPrivateKey]) => ({
      number,
      kind,
      content,
      secrets: { idpClientSecret, decryptionPrivateKey },
    }));
  const configured = (v: Comparable) =>
    canonicalJson({
      kind: v.kind,
      content: v.content,
      secrets: [
        v.secrets.idpClientSecret?.fingerprint ?? null,
        v.secrets.idpClientSecret?.expiresAt ?? null,
        v.secrets.decryptionPrivateKey?.fingerprint ?? null,
      ],
    });

  test('diff(a, b) is empty exactly when a and b configure the same and record the same expiry', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const d = diffVersions(a, b);
        expect(d.equal).toBe(configured(a) === configured(b));
        expect(d.changes.length === 0).toBe(d.equal);
      }),
      { numRuns: 2000 },
    );
  });

  test('diff(a, a) is empty; diff(a, b) and diff(b, a) name the same fields, before and after swapped', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(diffVersions(a, a).equal).toBe(true);
        const ab = diffVersions(a, b).changes;
        const ba = diffVersions(b, a).changes;
        expect(new Set(ab.map((c) => c.field))).toEqual(new Set(ba.map((c) => c.field)));
        for (const c of ab) {
          const back = ba.find((x) => x.field === c.field);
          expect(back).toMatchObject({ before: c.after, after: c.before, secret: c.secret });
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('every summary line names a changed field or says a secret is unchanged', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const d = diffVersions(a, b);
        for (const c of d.changes) expect(d.summary.some((s) => s.startsWith(`${c.field} `))).toBe(true);
        expect(d.summary.join('\n')).not.toMatch(/undefined|\[object/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('through the API', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let editor: string;
  let orgCounter = 0;

  beforeAll(async () => {
    t = await createTestApp({}, 'sso-properties', { outbound: refuseAllOutbound() });
    tenant = await createTenant(t.app);
    editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  });
  afterAll(async () => t?.close());

  const post = (url: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers: bearer(editor), payload: payload as object });
  const countVersions = async (orgId: string) =>
    Number(
      (await t.database.pool.query('SELECT count(*) FROM sso_versions WHERE org_id = $1', [orgId])).rows[0]
        .count,
    );

  test('valid drafts are stored in order; invalid ones are 400 naming the field and store nothing', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'prop-drafts');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    let head = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          validBody.map((b) => ({ valid: true as const, body: b })),
          invalidCase.map((c) => ({ valid: false as const, c })),
        ),
        async (input) => {
          if (input.valid) {
            const res = await post(url, { ...input.body, baseVersion: head });
            expect(res.statusCode, res.body).toBe(201);
            head += 1;
            expect(res.json()).toMatchObject({ number: head, kind: input.body.kind });
          } else {
            const [body, field, value] = input.c;
            const res = await post(url, { ...body, [field]: value, baseVersion: head });
            expect(res.statusCode, `${field}=${JSON.stringify(value)} ${res.body}`).toBe(400);
            const pointers = (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer);
            expect(pointers, `${field}=${JSON.stringify(value)}`).toContain(`/body/${field}`);
            if (typeof value === 'string' && value.length > 3 && field !== 'idpIssuer')
              expect(res.body).not.toContain(JSON.stringify(value).slice(1, -1));
          }
          expect(await countVersions(org.id)).toBe(head);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('rollback(n) yields content, secrets and hash equal to version n', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validBody, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        async (bodies, pick) => {
          orgCounter += 1;
          const org = await createOrg(t.app, tenant.adminKey, `prop-rollback-${orgCounter}`);
          const url = `/v1/orgs/${org.id}/sso/versions`;
          for (const [i, body] of bodies.entries()) {
            const res = await post(url, { ...body, baseVersion: i });
            expect(res.statusCode, res.body).toBe(201);
          }
          const n = (pick % bodies.length) + 1;
          const target = (
            await t.app.inject({ method: 'GET', url: `${url}/${n}`, headers: bearer(editor) })
          ).json();
          const rolled = await post(`${url}/${n}/rollback`, {});
          expect(rolled.statusCode, rolled.body).toBe(201);
          const v = rolled.json();
          expect(v).toMatchObject({
            number: bodies.length + 1,
            rollbackOf: n,
            kind: target.kind,
            content: target.content,
            contentHash: target.contentHash,
          });
          expect(v.secrets.idpClientSecret?.fingerprint).toBe(target.secrets.idpClientSecret?.fingerprint);
          expect(v.secrets.idpClientSecret?.expiresAt).toBe(target.secrets.idpClientSecret?.expiresAt);
          expect(v.secrets.decryptionPrivateKey?.fingerprint).toBe(
            target.secrets.decryptionPrivateKey?.fingerprint,
          );
          const diff = (
            await t.app.inject({
              method: 'GET',
              url: `${url}/${v.number}/diff?against=${n}`,
              headers: bearer(editor),
            })
          ).json();
          expect(diff).toMatchObject({ equal: true, changes: [] });
        },
      ),
      { numRuns: 15 },
    );
  });
});
