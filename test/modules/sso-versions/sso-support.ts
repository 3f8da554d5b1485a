/**
 * Shared set-up of the SSO version tests: an app whose outbound client trusts the test CA and
 * reaches loopback, a real oidc-provider as the IdP, and helpers to call the version endpoints.
 */
import type { LightMyRequestResponse } from 'fastify';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { testCertificates } from '../../support/tls.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  loopbackFetch,
  type OidcProviderServer,
  startOidcProvider,
} from '../discovery/idp-servers.js';

export { CLIENT_ID, CLIENT_SECRET };

/** The test CA's server certificate and key, as a SAML IdP's signing certificate and a decryption key. */
export const samlMaterial = () => {
  const { certPem, keyPem } = testCertificates();
  return { certificatePem: certPem, privateKeyPem: keyPem };
};

export interface SsoWorld {
  readonly t: TestApp;
  readonly idp: OidcProviderServer;
  readonly tenant: TenantFixture;
  /** editor only */
  readonly editor: string;
  readonly editorId: string;
  /** approver only */
  readonly approver: string;
  readonly approverId: string;
  /** editor and approver: the one who may try to approve their own draft */
  readonly both: string;
  readonly auditor: string;
  close(): Promise<void>;
}

export async function createSsoWorld(label: string, env: Record<string, string> = {}): Promise<SsoWorld> {
  const idp = await startOidcProvider();
  const t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1', ...env }, label, {
    outbound: loopbackFetch(),
  });
  const tenant = await createTenant(t.app);
  const editor = await createKey(t.app, tenant.adminKey, ['editor']);
  const approver = await createKey(t.app, tenant.adminKey, ['approver']);
  const both = await createKey(t.app, tenant.adminKey, ['editor', 'approver']);
  const auditor = await createKey(t.app, tenant.adminKey, ['auditor']);
  return {
    t,
    idp,
    tenant,
    editor: editor.token,
    editorId: editor.id,
    approver: approver.token,
    approverId: approver.id,
    both: both.token,
    auditor: auditor.token,
    async close() {
      await t.close();
      await idp.close();
    },
  };
}

export type Send = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  key: string,
  payload?: unknown,
  headers?: Record<string, string>,
) => Promise<LightMyRequestResponse>;

export const sender =
  (t: TestApp): Send =>
  (method, url, key, payload, headers = {}) =>
    t.app.inject({
      method,
      url,
      headers: { ...bearer(key), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

/** An org with a Cognigy target (so the dry run and setup help have something to show). */
export async function createSsoOrg(world: SsoWorld, slug: string, labels: Record<string, string> = {}) {
  const org = await createOrg(world.t.app, world.tenant.adminKey, slug, labels);
  const res = await sender(world.t)('PUT', `/v1/orgs/${org.id}/cognigy`, world.tenant.adminKey, {
    apiBase: 'https://api-trial.cognigy.ai/new',
    apiKey: `cognigy-api-key-${slug}-0123456789`,
    organisationId: '5f1a2b3c4d5e6f7a8b9c0d1e',
  });
  if (res.statusCode !== 200) throw new Error(`cognigy target: ${res.statusCode} ${res.body}`);
  return org;
}

export const oidcDraft = (issuer: string, extra: Record<string, unknown> = {}) => ({
  kind: 'oidc',
  idpIssuer: issuer,
  idpClientId: CLIENT_ID,
  idpClientSecret: CLIENT_SECRET,
  ...extra,
});

export const samlDraft = (extra: Record<string, unknown> = {}) => {
  const { certificatePem, privateKeyPem } = samlMaterial();
  return {
    kind: 'saml',
    idpIssuer: 'urn:example:idp',
    idpLoginEndpoint: 'https://idp.example.com/saml/login',
    idpCertificate: certificatePem,
    decryptionPrivateKey: privateKeyPem,
    ...extra,
  };
};
