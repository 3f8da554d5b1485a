/**
 * The validation report of a version (§5): for OIDC the discovery validator's checks plus whether
 * Cognigy's API will accept the issuer, and the client secret's recorded expiry; for SAML the certificate and endpoints; for `disabled`
 * nothing to check. Knows nothing of the database; runs before a change's transaction.
 */
import type { DiscoveryReport, ReportStatus } from '../discovery/discovery-report.js';
import { overallStatus } from '../discovery/discovery-report.js';
import type { DiscoveryValidator } from '../discovery/discovery-validator.js';
import { quote } from '../discovery/wording.js';
import { clientSecretExpiryCheck } from './client-secret-expiry.js';
import { type CertificateCheck, parseSamlCertificate } from './saml-certificate.js';
import { cognigyAcceptsUrl, type SsoContent } from './sso-content.js';

export interface ReportCheck {
  readonly name: string;
  readonly status: 'pass' | 'warn' | 'fail' | 'skip';
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What is stored with a version (its `checkedAt` and `checkedBy` live in columns). */
export interface ValidationReport {
  readonly status: ReportStatus;
  readonly checks: readonly ReportCheck[];
  /** OIDC: the discovery report without its checks and status (those are above). */
  readonly discovery: Omit<DiscoveryReport, 'checks' | 'status'> | null;
}

export interface ValidationOutcome {
  readonly report: ValidationReport;
  /**
   * OIDC: the issuer to store and forward — the one the IdP publishes when it confirmed it,
   * otherwise the one entered.
   */
  readonly content: SsoContent;
}

/** Checks that no override reason can approve past: forwarding would configure a broken login. */
export const BLOCKING_CHECKS: ReadonlySet<string> = new Set(['issuer_match', 'issuer_url']);

export interface SsoValidatorDeps {
  readonly discovery: Pick<DiscoveryValidator, 'check'>;
  /** Hosts on the outbound allowlist (on-premises installations) get a warning instead of a failure
   * where Cognigy's SaaS URL check would refuse them. */
  readonly isAllowlistedHost: (host: string) => boolean;
  readonly allowHttp: boolean;
}

export interface ValidateOptions {
  /** Plain client id and secret for the opt-in credential probe. */
  readonly probe?: { readonly clientId: string; readonly clientSecret: string };
  readonly refresh?: boolean;
  readonly now?: Date;
  /** OIDC: when the client secret expires, as recorded with it (reported, never sent anywhere). */
  readonly clientSecretExpiresAt?: Date | null;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

export function createSsoValidator({ discovery, isAllowlistedHost, allowHttp }: SsoValidatorDeps) {
  /** Cognigy's API validates URLs with ajv-formats `url`, which refuses IPs of private ranges, localhost and `--` hosts. */
  function cognigyUrlCheck(field: string, value: string): ReportCheck {
    if (cognigyAcceptsUrl(value)) {
      return {
        name: 'cognigy_url_format',
        status: 'pass',
        message: `Cognigy’s API accepts ${field} ${quote(value)}.`,
      };
    }
    const onPremises = isAllowlistedHost(hostOf(value));
    return {
      name: 'cognigy_url_format',
      status: onPremises ? 'warn' : 'fail',
      message:
        `Cognigy’s API refuses ${field} ${quote(value)}: its URL check accepts only public host names with a top-level domain (no localhost, private IP addresses or “--”).` +
        (onPremises
          ? ' The host is on the outbound allowlist (an on-premises installation), so this is only a warning.'
          : ''),
      details: { field, value },
    };
  }

  async function validateOidc(
    content: Extract<SsoContent, { kind: 'oidc' }>,
    options: ValidateOptions,
  ): Promise<ValidationOutcome> {
    const report = await discovery.check({
      issuer: content.idpIssuer,
      idTokenSignedResponseAlg: content.idpIdTokenSignedResponseAlg,
      tokenEndpointAuthMethod: content.idpTokenEndpointAuthMethod,
      ...(content.idpAdditionalScope ? { additionalScope: content.idpAdditionalScope } : {}),
      ...(options.probe ? { probe: options.probe } : {}),
      ...(options.refresh ? { refresh: true } : {}),
    });
    const matched = report.checks.find((c) => c.name === 'issuer_match')?.status;
    const issuer =
      report.issuer.discovered && (matched === 'pass' || matched === 'warn')
        ? report.issuer.discovered
        : content.idpIssuer;
    const { checks, status: _status, ...rest } = report;
    const all: ReportCheck[] = [...checks, cognigyUrlCheck('idpIssuer', issuer)];
    if (content.idpFrontChannelLogoutUrl) {
      all.push(cognigyUrlCheck('idpFrontChannelLogoutUrl', content.idpFrontChannelLogoutUrl));
    }
    if (options.clientSecretExpiresAt) {
      all.push(clientSecretExpiryCheck(options.clientSecretExpiresAt, options.now ?? new Date()));
    }
    return {
      report: { status: overallStatus(all), checks: all, discovery: rest },
      content: { ...content, idpIssuer: issuer },
    };
  }

  function validateSaml(content: Extract<SsoContent, { kind: 'saml' }>, now: Date): ValidationOutcome {
    const certificate: CertificateCheck = parseSamlCertificate(content.idpCertificate, now).check;
    const checks: ReportCheck[] = [
      {
        name: 'saml_certificate',
        status: certificate.status,
        message: certificate.message,
        ...(certificate.details ? { details: certificate.details } : {}),
      },
    ];
    for (const [field, value] of [
      ['idpLoginEndpoint', content.idpLoginEndpoint],
      ['idpLogoutEndpoint', content.idpLogoutEndpoint],
    ] as const) {
      if (value === null) continue;
      const plain = value.toLowerCase().startsWith('http:');
      checks.push(
        plain
          ? {
              name: 'saml_endpoint_https',
              status: allowHttp ? 'warn' : 'fail',
              message: `${field} ${quote(value)} uses plain http: SAML messages to it can be read and changed on the way.`,
              details: { field },
            }
          : {
              name: 'saml_endpoint_https',
              status: 'pass',
              message: `${field} uses https.`,
              details: { field },
            },
      );
      checks.push(cognigyUrlCheck(field, value));
    }
    return { report: { status: overallStatus(checks), checks, discovery: null }, content };
  }

  return {
    /** Never throws for anything an IdP does: findings are in the report. */
    async validate(content: SsoContent, options: ValidateOptions = {}): Promise<ValidationOutcome> {
      if (content.kind === 'oidc') return validateOidc(content, options);
      if (content.kind === 'saml') return validateSaml(content, options.now ?? new Date());
      return {
        report: {
          status: 'pass',
          checks: [
            {
              name: 'reset',
              status: 'pass',
              message: 'Disabling SSO sends Cognigy a reset; there is nothing to validate.',
            },
          ],
          discovery: null,
        },
        content,
      };
    },
  };
}

export type SsoValidator = ReturnType<typeof createSsoValidator>;

/** The first check that blocks approval even with an override reason, if any. */
export function blockingFailure(report: ValidationReport): ReportCheck | undefined {
  return report.checks.find((c) => c.status === 'fail' && BLOCKING_CHECKS.has(c.name));
}
