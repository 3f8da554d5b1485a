/**
 * Validates an OIDC issuer through discovery (SPEC §5) and explains every finding in a report.
 *
 * The discovery document is read here, through the network policy, rather than by openid-client's
 * `discovery()`: that function refuses an issuer mismatch without showing the document (the report
 * must explain the mismatch and keep the document's hash), reads a body of any size, and neither
 * fetches the JWKS nor looks at algorithms and auth methods. openid-client does the part it is made
 * for: the credential probe's token request (see credential-probe.ts).
 *
 * Knows nothing of the database; every request goes through the injected OutboundFetch.
 */
import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { OutboundFetch } from '../outbound/outbound-fetch.js';
import { type ProbeCredentials, probeCredentials } from './credential-probe.js';
import { createTtlCache } from './discovery-cache.js';
import { describeDocumentFailure, type Fetched, getJson, usableUrl } from './discovery-fetch.js';
import { createDiscoveryMetrics } from './discovery-metrics.js';
import {
  CHECK_NAMES,
  type CheckName,
  type CheckStatus,
  type DiscoveryCheck,
  type DiscoveryReport,
  overallStatus,
} from './discovery-report.js';
import { parseIssuerUrl } from './issuer-url.js';
import {
  checkAdditionalScopes,
  checkAuthMethod,
  checkEndpoints,
  checkIdTokenAlg,
  checkIssuerMatch,
  checkJwksKeys,
  checkResponseTypeCode,
  type DiscoveryDocument,
  jwksKeys,
  metadataOf,
} from './metadata-checks.js';
import {
  DEFAULT_ID_TOKEN_ALG,
  DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
  type IdTokenAlg,
  isHmacAlg,
  type TokenEndpointAuthMethod,
} from './oidc-options.js';
import { clause, quote } from './wording.js';

export { MAX_DOCUMENT_BYTES } from './discovery-fetch.js';

export interface DiscoveryInput {
  /** The issuer as a person entered it: a URL, a bare domain, or the discovery document's URL. */
  readonly issuer: string;
  /** Default RS256. */
  readonly idTokenSignedResponseAlg?: IdTokenAlg;
  /** Default client_secret_basic. */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** Extra scopes, separated by spaces. */
  readonly additionalScope?: string;
  /** Opt-in: test the client id and secret with a token request (see credential-probe.ts). */
  readonly probe?: ProbeCredentials;
  /** Ignore the cache (the fresh result is cached again). */
  readonly refresh?: boolean;
}

export interface DiscoveryValidatorDeps {
  /** Every request goes through it: the network policy (SPEC §8). */
  readonly fetch: OutboundFetch;
  /** How long a discovery document and its JWKS are reused; 0 disables the cache. */
  readonly cacheTtlMs: number;
  /** At most this many issuers are cached; the least recently used goes first. */
  readonly maxCacheEntries: number;
  /** Accept http issuers and endpoints (development and tests only; mirrors OUTBOUND_ALLOW_HTTP). Default false. */
  readonly allowHttp?: boolean;
  /** Clock in ms since the epoch (tests). Default Date.now. */
  readonly now?: () => number;
  /** Where to register the validator's metrics. */
  readonly metrics?: Registry;
}

export interface DiscoveryValidator {
  /** Runs every check; never throws for anything the IdP does — failures are in the report. */
  check(input: DiscoveryInput): Promise<DiscoveryReport>;
  /**
   * Checks several configurations of one issuer with one fresh read of its document and one of its
   * JWKS (the watch: 1,000 orgs on one IdP, one fetch of each per round). A failed read is not
   * repeated for the next input either. One report per input, in order.
   */
  checkEach(inputs: readonly Omit<DiscoveryInput, 'refresh'>[]): Promise<DiscoveryReport[]>;
}

/** What one `checkEach` has read: each document (or its failed read) and each JWKS read, once. */
interface Session {
  readonly documents: Map<string, { readonly fetched: Fetched; entry?: CachedIssuer }>;
  readonly jwks: Map<string, Fetched>;
}

interface CachedIssuer {
  readonly document: DiscoveryDocument;
  readonly sha256: string;
  jwks?: { readonly uri: string; readonly body: unknown };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function createDiscoveryValidator(deps: DiscoveryValidatorDeps): DiscoveryValidator {
  const { fetch, allowHttp = false } = deps;
  const now = deps.now ?? Date.now;
  const cache = createTtlCache<CachedIssuer>({
    ttlMs: deps.cacheTtlMs,
    maxEntries: deps.maxCacheEntries,
    now,
  });
  const metrics = deps.metrics ? createDiscoveryMetrics(deps.metrics) : undefined;

  /** The JWKS check (from the issuer's cache entry when it holds this JWKS), and the key ids seen. */
  async function checkJwks(
    entry: CachedIssuer,
    jwksUri: string | null,
    alg: IdTokenAlg,
    session: Session | undefined,
  ): Promise<{ check: DiscoveryCheck; keyIds: string[] }> {
    const fail = (message: string, details: Record<string, unknown>) => ({
      check: { name: 'jwks', status: 'fail', message, details } as const,
      keyIds: [],
    });
    if (isHmacAlg(alg)) {
      return {
        check: {
          name: 'jwks',
          status: 'warn',
          message: `You chose ${alg}: ID tokens are signed with the client secret itself, so no published key is needed — but anyone who knows the secret can make ID tokens. Prefer RS256 if the IdP offers it.`,
          details: { alg },
        },
        keyIds: [],
      };
    }
    const unverifiable = 'so the signatures of ID tokens cannot be verified';
    if (jwksUri === null)
      return fail(`The discovery document has no jwks_uri, ${unverifiable}.`, { jwks_uri: null });
    if (!usableUrl(jwksUri, allowHttp)) {
      return fail(`The jwks_uri ${quote(jwksUri)} cannot be used, ${unverifiable}.`, { jwks_uri: jwksUri });
    }
    let body = entry.jwks?.uri === jwksUri ? entry.jwks.body : undefined;
    if (body === undefined) {
      const fetched =
        session?.jwks.get(jwksUri) ??
        (await getJson(fetch, jwksUri, 'application/jwk-set+json, application/json'));
      session?.jwks.set(jwksUri, fetched);
      if (!fetched.ok) {
        return 'error' in fetched
          ? fail(
              `The JWKS at ${quote(jwksUri)} could not be read (${clause(fetched.error.detail)}), ${unverifiable}.`,
              { jwks_uri: jwksUri, reason: fetched.error.reason },
            )
          : fail(`The JWKS at ${quote(jwksUri)} ${fetched.message}, ${unverifiable}.`, {
              jwks_uri: jwksUri,
              ...fetched.details,
            });
      }
      body = fetched.body;
      entry.jwks = { uri: jwksUri, body };
    }
    const keyIds = (jwksKeys(body) ?? [])
      .map((k) => k.kid)
      .filter((kid): kid is string => typeof kid === 'string' && kid.length <= 200)
      .slice(0, 100);
    return { check: checkJwksKeys(jwksUri, body, alg), keyIds };
  }

  async function check(input: DiscoveryInput, session?: Session): Promise<DiscoveryReport> {
    const started = now();
    const alg = input.idTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_ALG;
    const method = input.tokenEndpointAuthMethod ?? DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD;
    const checks = new Map<CheckName, DiscoveryCheck>();
    const record = (c: DiscoveryCheck) => checks.set(c.name, c);
    const put = (name: CheckName, status: CheckStatus, message: string, details?: Record<string, unknown>) =>
      record(details ? { name, status, message, details } : { name, status, message });

    let discovered: string | null = null;
    let metadata: DiscoveryReport['metadata'] = null;
    let evidence: DiscoveryReport['evidence'] = null;
    let cached = false;

    const finish = (skipReason: string): DiscoveryReport => {
      const list = CHECK_NAMES.map(
        (name): DiscoveryCheck => checks.get(name) ?? { name, status: 'skip', message: skipReason },
      );
      const report: DiscoveryReport = {
        status: overallStatus(list),
        issuer: { requested: input.issuer, discovered },
        checks: list,
        metadata,
        evidence,
        checkedAt: new Date(started).toISOString(),
        durationMs: Math.max(0, Math.round(now() - started)),
        cached,
      };
      metrics?.record(report);
      return report;
    };

    // 1. issuer URL syntax
    const parsed = parseIssuerUrl(input.issuer, { allowHttp });
    if (!parsed.ok) {
      put('issuer_url', 'fail', parsed.message);
      return finish('Skipped: the issuer URL cannot be used.');
    }
    put(
      'issuer_url',
      'pass',
      [`The issuer URL ${quote(parsed.issuer)} is well formed.`, ...parsed.adjustments].join(' '),
      { issuer: parsed.issuer, documentUrl: parsed.documentUrl },
    );

    // 2-3. network policy, then the document (from the cache unless asked to refresh)
    const read = session?.documents.get(parsed.documentUrl);
    let entry = session ? read?.entry : input.refresh ? undefined : cache.get(parsed.documentUrl);
    if (entry && session) {
      put('network_policy', 'pass', 'The issuer’s host is allowed by the network policy.');
      put('document_fetched', 'pass', `The discovery document was read from ${parsed.documentUrl}.`, {
        documentUrl: parsed.documentUrl,
      });
    } else if (entry) {
      cached = true;
      put('network_policy', 'pass', 'The issuer’s host was allowed by the network policy (cached result).');
      put(
        'document_fetched',
        'pass',
        `The discovery document was read from the cache (${parsed.documentUrl}).`,
        {
          documentUrl: parsed.documentUrl,
          cached: true,
        },
      );
    } else {
      const fetched = read?.fetched ?? (await getJson(fetch, parsed.documentUrl, 'application/json'));
      session?.documents.set(parsed.documentUrl, { fetched });
      if (!fetched.ok) {
        describeDocumentFailure(parsed.documentUrl, fetched, put);
        return finish('Skipped: the discovery document could not be read.');
      }
      put('network_policy', 'pass', 'The issuer’s host is allowed by the network policy.');
      if (fetched.body === null || typeof fetched.body !== 'object' || Array.isArray(fetched.body)) {
        put('document_fetched', 'fail', `${parsed.documentUrl} answered with JSON that is not an object.`, {
          documentUrl: parsed.documentUrl,
        });
        return finish('Skipped: the discovery document could not be read.');
      }
      entry = { document: fetched.body as DiscoveryDocument, sha256: sha256(fetched.bytes) };
      cache.set(parsed.documentUrl, entry);
      session?.documents.set(parsed.documentUrl, { fetched, entry });
      put(
        'document_fetched',
        'pass',
        `The discovery document was read from ${parsed.documentUrl} (${fetched.bytes.byteLength} bytes).`,
        { documentUrl: parsed.documentUrl, bytes: fetched.bytes.byteLength },
      );
    }
    const { document } = entry;
    metadata = metadataOf(document);
    evidence = { documentSha256: entry.sha256, jwksKeyIds: [] };

    // 4. issuer match; the discovered value is what gets forwarded
    const match = checkIssuerMatch(parsed.issuer, document);
    record(match.check);
    discovered = match.discovered;

    // 5-8. what the document says
    const endpoints = checkEndpoints(document, { alg, allowHttp });
    record(endpoints);
    record(checkResponseTypeCode(document));
    record(checkIdTokenAlg(document, alg));
    record(checkAuthMethod(document, method));

    // 9. the JWKS
    const jwks = await checkJwks(entry, metadata.jwks_uri, alg, session);
    record(jwks.check);
    evidence = { documentSha256: entry.sha256, jwksKeyIds: jwks.keyIds };

    // 10. extra scopes
    record(checkAdditionalScopes(document, input.additionalScope));

    // 11. credential probe (opt-in)
    const tokenEndpoint = metadata.token_endpoint;
    if (!input.probe) {
      put(
        'credential_probe',
        'skip',
        'Not requested: add a client id and secret to the check to learn whether the IdP accepts them.',
      );
    } else if (tokenEndpoint === null || !usableUrl(tokenEndpoint, allowHttp)) {
      put(
        'credential_probe',
        'skip',
        'The credentials cannot be probed: the IdP has no usable token endpoint.',
      );
    } else {
      record(
        await probeCredentials({
          fetch,
          target: { issuer: discovered ?? parsed.issuer, tokenEndpoint },
          method,
          credentials: input.probe,
          allowHttp,
        }),
      );
    }

    return finish('Skipped.');
  }

  return {
    check: (input) => check(input),
    async checkEach(inputs) {
      const session: Session = { documents: new Map(), jwks: new Map() };
      const reports: DiscoveryReport[] = [];
      // One after the other: the first input reads, the others reuse what it read.
      for (const input of inputs) reports.push(await check(input, session));
      return reports;
    },
  };
}
