/**
 * Cognigy's identity-provider API (SPEC §1, §4.1; NOTES "Cognigy.AI API"), as data: the exact
 * request that configures (or resets) an organisation's SSO. The body carries Cognigy's own field
 * names and nothing else — the 0.19.0 schemas of `@cognigy/rest-api-client` are
 * `additionalProperties: false`, and test/modules/cognigy/cognigy-request.test.ts checks every
 * body against them. Pure: the caller decrypts the secrets just before and forgets them after.
 */
import type { IdTokenAlg, TokenEndpointAuthMethod } from '../discovery/oidc-options.js';

/** The non-secret content of an SSO configuration, in Cognigy's field names. */
export type SsoContent =
  | {
      readonly kind: 'oidc';
      readonly idpIssuer: string;
      readonly idpClientId: string;
      readonly idpIdTokenSignedResponseAlg: IdTokenAlg;
      readonly idpTokenEndpointAuthMethod: TokenEndpointAuthMethod;
      readonly idpAdditionalScope: string | null;
      readonly idpFrontChannelLogoutUrl: string | null;
    }
  | {
      readonly kind: 'saml';
      readonly idpIssuer: string;
      readonly idpLoginEndpoint: string;
      readonly idpLogoutEndpoint: string | null;
      /** Base64 of the DER certificate, no PEM armour. */
      readonly idpCertificate: string;
      /** Newer than client 0.19.0: sent only when set, so older installations accept the body. */
      readonly wantAuthnResponseSigned: boolean | null;
      readonly idpDisableRequestedAuthnContext: boolean;
    }
  | { readonly kind: 'disabled' };

/** The secrets of a configuration, in plain text, for the one call that sends them. */
export interface SsoSecrets {
  readonly idpClientSecret?: string;
  readonly decryptionPrivateKey?: string | null;
}

export interface CognigyTargetCredentials {
  /** e.g. https://api-trial.cognigy.ai/new (no trailing slash) */
  readonly apiBase: string;
  readonly apiKey: string;
}

export interface CognigyRequest {
  readonly method: 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** null for a reset, which has no body. */
  readonly body: Readonly<Record<string, unknown>> | null;
}

export class MissingSecretError extends Error {
  constructor(readonly field: string) {
    super(`The configuration has no ${field}; it cannot be sent to Cognigy`);
    this.name = 'MissingSecretError';
  }
}

/** The configure request for `content`, or the reset request for a disabled configuration. */
export function cognigyRequest(
  target: CognigyTargetCredentials,
  content: SsoContent,
  secrets: SsoSecrets,
): CognigyRequest {
  const base = target.apiBase.replace(/\/+$/, '');
  // The key travels in a header only: the query form (?api_key=) ends up in access logs.
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-api-key': target.apiKey,
  };
  if (content.kind === 'disabled') {
    const { 'content-type': _omitted, ...withoutBody } = headers;
    return { method: 'POST', url: `${base}/v2.0/identityprovider/reset`, headers: withoutBody, body: null };
  }
  const url = `${base}/v2.0/identityprovider/configure`;
  if (content.kind === 'oidc') {
    if (!secrets.idpClientSecret) throw new MissingSecretError('idpClientSecret');
    return {
      method: 'POST',
      url,
      headers,
      body: {
        idpType: 'oidc',
        idpIssuer: content.idpIssuer,
        idpClientId: content.idpClientId,
        idpClientSecret: secrets.idpClientSecret,
        idpIdTokenSignedResponseAlg: content.idpIdTokenSignedResponseAlg,
        idpTokenEndpointAuthMethod: content.idpTokenEndpointAuthMethod,
        idpAdditionalScope: content.idpAdditionalScope,
        idpFrontChannelLogoutUrl: content.idpFrontChannelLogoutUrl,
      },
    };
  }
  return {
    method: 'POST',
    url,
    headers,
    body: {
      idpType: 'saml',
      idpIssuer: content.idpIssuer,
      idpLoginEndpoint: content.idpLoginEndpoint,
      ...(content.idpLogoutEndpoint ? { idpLogoutEndpoint: content.idpLogoutEndpoint } : {}),
      idpCertificate: content.idpCertificate,
      ...(secrets.decryptionPrivateKey ? { decryptionPrivateKey: secrets.decryptionPrivateKey } : {}),
      ...(content.wantAuthnResponseSigned === null
        ? {}
        : { wantAuthnResponseSigned: content.wantAuthnResponseSigned }),
      idpDisableRequestedAuthnContext: content.idpDisableRequestedAuthnContext,
    },
  };
}

const SECRET_BODY_FIELDS = ['idpClientSecret', 'decryptionPrivateKey'] as const;

/**
 * The same request with every secret replaced by its fingerprint (or "[masked]"): what a dry run
 * shows a person.
 */
export function maskCognigyRequest(
  request: CognigyRequest,
  fingerprints: {
    readonly apiKey?: string;
    readonly idpClientSecret?: string;
    readonly decryptionPrivateKey?: string;
  },
): CognigyRequest {
  const mask = (field: keyof typeof fingerprints) =>
    `[masked${fingerprints[field] ? ` ${fingerprints[field]}` : ''}]`;
  const body = request.body ? { ...request.body } : null;
  if (body) for (const field of SECRET_BODY_FIELDS) if (field in body) body[field] = mask(field);
  return { ...request, headers: { ...request.headers, 'x-api-key': mask('apiKey') }, body };
}
