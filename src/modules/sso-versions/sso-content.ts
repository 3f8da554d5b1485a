/**
 * From a draft body to the content a version stores (§4.1), and the content hash (§4.2). Pure: the
 * clock is a parameter; nothing here reads a secret's value beyond checking its shape.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.js';
import { BadRequestError, type FieldError } from '../../lib/errors.js';
import { isUrl } from '../../lib/json-schema.js';
import type { SsoContent } from '../cognigy/cognigy-request.js';
import { parseIssuerUrl } from '../discovery/issuer-url.js';
import { DEFAULT_ID_TOKEN_ALG, DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD } from '../discovery/oidc-options.js';
import { type CertificateCheck, parseSamlCertificate } from './saml-certificate.js';
import type { CreateDraftBody } from './sso-versions.schemas.js';

export type { SsoContent } from '../cognigy/cognigy-request.js';

/** The secret fields of a version, by their Cognigy names. */
export const SECRET_FIELDS = ['idpClientSecret', 'decryptionPrivateKey'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/** The secrets a draft body supplies: a value, `null` (remove) or absent (carry over). */
export interface SuppliedSecrets {
  readonly idpClientSecret?: string;
  /** When the client secret expires: a date, `null` (none) or absent (carried over with a kept secret). */
  readonly idpClientSecretExpiresAt?: Date | null;
  readonly decryptionPrivateKey?: string | null;
}

export interface NormalisedDraft {
  readonly content: SsoContent;
  readonly secrets: SuppliedSecrets;
  /** SAML only: what the certificate check found. */
  readonly certificate: CertificateCheck | null;
}

/** Whether Cognigy's own API (ajv-formats `url`) accepts `value` as a URL. */
export const cognigyAcceptsUrl = (value: string): boolean => isUrl(value);

function invalid(errors: FieldError[]): never {
  throw new BadRequestError(
    'SSO_CONFIGURATION_INVALID',
    `The configuration is invalid: ${errors.map((e) => `${e.pointer.replace('/body/', '')} ${e.detail}`).join('; ')}`,
    { errors },
  );
}

function checkHttps(
  value: string | null | undefined,
  field: string,
  allowHttp: boolean,
  errors: FieldError[],
) {
  if (value === null || value === undefined) return;
  const scheme = value.slice(0, value.indexOf(':')).toLowerCase();
  if (scheme === 'https' || (scheme === 'http' && allowHttp)) return;
  errors.push({ pointer: `/body/${field}`, detail: 'must be an https URL' });
}

/**
 * A date-time the schema let through as a date the database can store, or null. (RFC 3339 allows
 * a leap second, 23:59:60, which no Date holds; years before 1 and after 9999 are not expiry dates.)
 */
export function parseExpiry(value: string): Date | null {
  const date = new Date(value);
  const year = date.getUTCFullYear();
  return Number.isNaN(date.getTime()) || year < 1 || year > 9999 ? null : date;
}

function isPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey({ key: pem, format: 'pem' }).type === 'private';
  } catch {
    return false;
  }
}

/**
 * Checks what the schema cannot (issuer syntax, https, the certificate, the private key) and fills
 * the defaults. @throws BadRequestError naming each offending field.
 */
export function normaliseDraft(
  body: CreateDraftBody,
  options: { allowHttp: boolean; now: Date },
): NormalisedDraft {
  const errors: FieldError[] = [];
  if (body.kind === 'disabled') return { content: { kind: 'disabled' }, secrets: {}, certificate: null };

  if (body.kind === 'oidc') {
    const issuer = parseIssuerUrl(body.idpIssuer, { allowHttp: options.allowHttp });
    if (!issuer.ok) errors.push({ pointer: '/body/idpIssuer', detail: issuer.message });
    checkHttps(body.idpFrontChannelLogoutUrl, 'idpFrontChannelLogoutUrl', options.allowHttp, errors);
    const expiry = body.idpClientSecretExpiresAt;
    const expiresAt = typeof expiry === 'string' ? parseExpiry(expiry) : null;
    if (typeof expiry === 'string' && expiresAt === null) {
      errors.push({
        pointer: '/body/idpClientSecretExpiresAt',
        detail: 'must be a real date-time (no leap second) in the years 0001–9999 UTC',
      });
    }
    if (errors.length > 0) invalid(errors);
    return {
      content: {
        kind: 'oidc',
        idpIssuer: issuer.ok ? issuer.issuer : body.idpIssuer,
        idpClientId: body.idpClientId,
        idpIdTokenSignedResponseAlg: body.idpIdTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_ALG,
        idpTokenEndpointAuthMethod: body.idpTokenEndpointAuthMethod ?? DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
        idpAdditionalScope: body.idpAdditionalScope ?? null,
        idpFrontChannelLogoutUrl: body.idpFrontChannelLogoutUrl ?? null,
      },
      secrets: {
        ...(body.idpClientSecret === undefined ? {} : { idpClientSecret: body.idpClientSecret }),
        ...(expiry === undefined ? {} : { idpClientSecretExpiresAt: expiresAt }),
      },
      certificate: null,
    };
  }

  checkHttps(body.idpLoginEndpoint, 'idpLoginEndpoint', options.allowHttp, errors);
  checkHttps(body.idpLogoutEndpoint, 'idpLogoutEndpoint', options.allowHttp, errors);
  const certificate = parseSamlCertificate(body.idpCertificate, options.now);
  if (certificate.base64Der === null) {
    errors.push({ pointer: '/body/idpCertificate', detail: certificate.check.message });
  }
  if (typeof body.decryptionPrivateKey === 'string' && !isPrivateKey(body.decryptionPrivateKey)) {
    // Never echo the value: it may be a real key with a typo.
    errors.push({ pointer: '/body/decryptionPrivateKey', detail: 'is not a PEM private key' });
  }
  if (errors.length > 0) invalid(errors);
  return {
    content: {
      kind: 'saml',
      idpIssuer: body.idpIssuer,
      idpLoginEndpoint: body.idpLoginEndpoint,
      idpLogoutEndpoint: body.idpLogoutEndpoint ?? null,
      idpCertificate: certificate.base64Der as string,
      wantAuthnResponseSigned: body.wantAuthnResponseSigned ?? null,
      idpDisableRequestedAuthnContext: body.idpDisableRequestedAuthnContext ?? false,
    },
    secrets:
      body.decryptionPrivateKey === undefined ? {} : { decryptionPrivateKey: body.decryptionPrivateKey },
    certificate: certificate.check,
  };
}

/** The stored JSON of a content (its `kind` lives in a column of its own). */
export function contentFields(content: SsoContent): Record<string, unknown> {
  const { kind: _kind, ...fields } = content;
  return fields;
}

export function contentOf(kind: string, fields: unknown): SsoContent {
  return { kind, ...(fields as object) } as SsoContent;
}

export type SecretFingerprints = Readonly<Record<SecretField, string | null>>;

/**
 * §4.2: sha256 over the canonical content, the secrets' fingerprints and the org. Equal hashes mean
 * the same configuration for the same org — a rollback has the hash of the version it restores.
 * A client secret's recorded expiry is not hashed: it is ours, and Cognigy never receives it.
 */
export function contentHash(orgId: string, content: SsoContent, secrets: SecretFingerprints): string {
  const digest = createHash('sha256')
    .update(canonicalJson({ orgId, content, secrets }), 'utf8')
    .digest('hex');
  return `sha256:${digest}`;
}
