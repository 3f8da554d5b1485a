/**
 * Console sign-in with the tenant's own IdP (issue 20): Authorization Code with PKCE (S256), state
 * and nonce kept server-side for ten minutes and usable once; at the callback openid-client checks
 * the state, the code exchange, and the ID token (signature with the IdP's keys, the algorithm the
 * settings name, issuer, audience, expiry, nonce). The person's groups become the session's roles.
 * Success starts a new session; every refusal is an audit event with its reason — never the code,
 * the state or a token.
 */
import type { Db } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { type ConsoleLoginRow, consoleLoginRepository } from '../console-login/console-login.repository.js';
import { consoleSecretLocation } from '../console-login/console-login.service.js';
import { consoleUrls } from '../console-login/console-login-view.js';
import { peopleRepository } from '../console-sessions/people.repository.js';
import type { SessionRow } from '../console-sessions/sessions.repository.js';
import type { ConsoleSessionsService } from '../console-sessions/sessions.service.js';
import { isHmacAlg } from '../discovery/oidc-options.js';
import type { OutboundFetch } from '../outbound/outbound-fetch.js';
import type { SecretsService, TenantSecretLocation } from '../secrets/secrets.service.js';
import { attemptsRepository as attempts, stateHash } from './attempts.repository.js';
import { consoleClient, hmacSignatureHolds, newSignInSecrets, oidc } from './oidc-client.js';
import { safeReturnTo } from './return-to.js';
import { grantOf } from './role-mapping.js';

/** How long the browser has to come back from the IdP. */
export const ATTEMPT_TTL_MS = 10 * 60_000;

export type RefusalReason =
  | 'state_missing'
  | 'state_unknown'
  | 'state_expired'
  | 'not_configured'
  | 'idp_error'
  | 'idp_unreachable'
  | 'token_checks_failed'
  | 'email_domain_not_allowed'
  | 'no_mapped_role';

export interface Refusal {
  readonly ok: false;
  readonly status: 400 | 403 | 404 | 502;
  readonly reason: RefusalReason;
  /** A sentence for the person (never a token, code or state). */
  readonly message: string;
  readonly tenantSlug: string | null;
}

export interface SignInServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly secrets: Pick<SecretsService, 'sealTenantSecret' | 'openTenantSecret'>;
  readonly sessions: Pick<ConsoleSessionsService, 'start'>;
  readonly fetch: OutboundFetch;
  readonly allowHttp: boolean;
  readonly publicUrl: string;
  readonly now?: () => Date;
}

const SCOPE = 'openid email profile';

/** Where a sign-in attempt's sealed PKCE verifier belongs: its tenant and its state (by hash). */
export const verifierLocation = (tenantId: string, state: string): TenantSecretLocation => ({
  tenantId,
  record: `console_sign_in_attempts/${stateHash(state).toString('hex')}`,
  field: 'code_verifier',
});

/** An HS* ID token not signed with the client secret (its failure code in the trail). */
class HmacSignatureError extends Error {
  readonly code = 'ID_TOKEN_HMAC_MISMATCH';
}

/** The OAuth error code of a failure of openid-client (never its message, which may quote values). */
function failureCode(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) return error.error;
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

export function createSignInService(deps: SignInServiceDeps) {
  const { db, change } = deps;
  const now = deps.now ?? (() => new Date());

  /** openid-client's configuration, and the check of an HS* ID token's signature (asymmetric: always true, openid-client checked it). */
  async function client(tenantId: string, slug: string, login: ConsoleLoginRow) {
    const clientSecret = await deps.secrets.openTenantSecret(
      db,
      consoleSecretLocation(tenantId),
      login.clientSecretSealed,
    );
    const config = await consoleClient(
      { fetch: deps.fetch, allowHttp: deps.allowHttp },
      {
        issuer: login.issuer,
        clientId: login.clientId,
        clientSecret,
        idTokenAlg: login.idTokenAlg,
        redirectUri: consoleUrls(deps.publicUrl, slug).redirectUri,
      },
    );
    const signatureHolds = (idToken: string | undefined) =>
      !isHmacAlg(login.idTokenAlg) ||
      (idToken !== undefined && hmacSignatureHolds(idToken, login.idTokenAlg, clientSecret));
    return { config, signatureHolds };
  }

  async function refuse(
    ctx: ChangeContext,
    tenantId: string | null,
    r: Omit<Refusal, 'ok'>,
    detail: string,
    subject?: string,
  ): Promise<Refusal> {
    await change(ctx, async (_tx, trail) => {
      await trail.record({
        tenantId,
        action: 'console_sign_in.refused',
        target: { type: 'console_sign_in', id: tenantId ?? 'unknown' },
        diff: { after: { reason: r.reason, detail, ...(subject ? { subject } : {}) } },
      });
    });
    return { ok: false, ...r };
  }

  return {
    /** Where the browser goes to sign in (the IdP's authorization endpoint), or null for an unknown tenant. */
    async start(
      tenantSlug: string,
      returnTo: unknown,
    ): Promise<{ kind: 'redirect'; url: string } | { kind: 'not_found' } | { kind: 'unreachable' }> {
      const found = await consoleLoginRepository.findByTenantSlug(db, tenantSlug);
      if (!found?.login) return { kind: 'not_found' };
      let config: oidc.Configuration;
      try {
        ({ config } = await client(found.tenantId, found.slug, found.login));
      } catch {
        return { kind: 'unreachable' };
      }
      const secrets = await newSignInSecrets();
      const at = now();
      await attempts.purgeExpired(db, at);
      await inTransaction(db, async (tx) =>
        attempts.insert(tx, {
          state: secrets.state,
          tenantId: found.tenantId,
          // Sealed like every secret, bound to this attempt: with the code (which passes through
          // the browser) the verifier is what redeems it. The nonce travels in the URL anyway.
          codeVerifierSealed: await deps.secrets.sealTenantSecret(
            tx,
            verifierLocation(found.tenantId, secrets.state),
            secrets.codeVerifier,
          ),
          nonce: secrets.nonce,
          returnTo: safeReturnTo(returnTo),
          expiresAt: new Date(at.getTime() + ATTEMPT_TTL_MS),
        }),
      );
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: consoleUrls(deps.publicUrl, found.slug).redirectUri,
        scope: SCOPE,
        code_challenge: secrets.codeChallenge,
        code_challenge_method: 'S256',
        state: secrets.state,
        nonce: secrets.nonce,
      });
      return { kind: 'redirect', url: url.href };
    },

    /**
     * The browser is back from the IdP at `callbackUrl` (the redirect URI with the IdP's answer).
     * @param ctx the request's context (anonymous); the sign-in itself is recorded as the person
     */
    async finish(
      ctx: ChangeContext,
      callbackUrl: URL,
    ): Promise<{ ok: true; token: string; returnTo: string; sessionId: string } | Refusal> {
      const state = callbackUrl.searchParams.get('state');
      if (!state) {
        return refuse(
          ctx,
          null,
          {
            status: 400,
            reason: 'state_missing',
            message: 'This sign-in answer has no state: start again.',
            tenantSlug: null,
          },
          'the callback carried no state',
        );
      }
      const attempt = await attempts.take(db, state);
      if (!attempt) {
        return refuse(
          ctx,
          null,
          {
            status: 400,
            reason: 'state_unknown',
            message: 'This sign-in link was already used or is not one this service started: start again.',
            tenantSlug: null,
          },
          'no sign-in under way has this state (replayed, or never issued)',
        );
      }
      const found = await consoleLoginRepository.findByTenantId(db, attempt.tenantId);
      const slug = found?.slug ?? null;
      const at = now();
      if (attempt.expiresAt <= at) {
        return refuse(
          ctx,
          attempt.tenantId,
          {
            status: 400,
            reason: 'state_expired',
            message: 'The sign-in took too long: start again.',
            tenantSlug: slug,
          },
          'the sign-in was started more than ten minutes ago',
        );
      }
      if (!found?.login) {
        return refuse(
          ctx,
          attempt.tenantId,
          {
            status: 404,
            reason: 'not_configured',
            message: 'Console sign-in is not set up for this tenant.',
            tenantSlug: slug,
          },
          'console sign-in was turned off during the sign-in',
        );
      }
      const idpError = callbackUrl.searchParams.get('error');
      if (idpError) {
        const code = /^[\x20-\x7e]{1,64}$/.test(idpError) ? idpError : 'invalid';
        return refuse(
          ctx,
          attempt.tenantId,
          {
            status: 403,
            reason: 'idp_error',
            message: `Your identity provider did not sign you in (${code}).`,
            tenantSlug: slug,
          },
          `the IdP answered ${code}`,
        );
      }
      const login = found.login;
      let claims: Record<string, unknown>;
      try {
        const { config, signatureHolds } = await client(attempt.tenantId, found.slug, login);
        const pkceCodeVerifier = await deps.secrets.openTenantSecret(
          db,
          verifierLocation(attempt.tenantId, state),
          attempt.codeVerifierSealed,
        );
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier,
          expectedState: state,
          expectedNonce: attempt.nonce,
          idTokenExpected: true,
        });
        if (!signatureHolds(tokens.id_token)) throw new HmacSignatureError();
        claims = (tokens.claims() ?? {}) as Record<string, unknown>;
      } catch (error) {
        return refuse(
          ctx,
          attempt.tenantId,
          {
            status: 403,
            reason: 'token_checks_failed',
            message:
              'The answer of your identity provider did not pass the checks (ID token, nonce or code): nothing was signed in.',
            tenantSlug: slug,
          },
          `the code exchange or the ID token check failed (${failureCode(error)})`,
        );
      }
      const subject = String(claims.sub);
      const email = typeof claims.email === 'string' ? claims.email : null;
      const name = typeof claims.name === 'string' ? claims.name : null;
      const grant = grantOf(login, claims, email);
      if (!grant.ok) {
        return refuse(
          ctx,
          attempt.tenantId,
          { status: 403, reason: grant.reason, message: grant.detail, tenantSlug: slug },
          grant.reason === 'no_mapped_role'
            ? 'none of the person’s groups is mapped to a role'
            : 'the email domain is not allowed',
          subject,
        );
      }
      const issuer = String(claims.iss);
      // The person's id first: it is the actor of the sign-in's own event.
      const person = await peopleRepository.seen(
        db,
        { tenantId: attempt.tenantId, issuer, subject, email, name },
        at,
      );
      const started = await change(
        {
          ...ctx,
          actor: {
            type: 'person',
            id: person.id,
            name: email ?? name ?? subject,
            person: { issuer, subject, email, name, roles: grant.roles },
          },
        },
        async (tx, trail) => {
          const session = await deps.sessions.start(tx, {
            tenantId: attempt.tenantId,
            person,
            roles: grant.roles,
            orgScope: grant.orgScope,
            sourceIp: ctx.sourceIp,
            userAgent: ctx.userAgent,
          });
          await trail.record({
            tenantId: attempt.tenantId,
            action: 'console_sign_in.succeeded',
            target: { type: 'console_session', id: session.id },
            diff: {
              after: {
                sessionId: session.id,
                personId: person.id,
                roles: grant.roles,
                orgScope: grant.orgScope,
                expiresAt: session.expiresAt.toISOString(),
              },
            },
          });
          return session;
        },
      );
      return { ok: true, token: started.token, returnTo: attempt.returnTo, sessionId: started.id };
    },

    /** Where the browser goes after signing out: the IdP's end-session endpoint, when it has one. */
    async endSessionUrl(session: SessionRow): Promise<string | null> {
      const found = await consoleLoginRepository.findByTenantId(db, session.tenantId);
      if (!found?.login) return null;
      const metadata = (
        found.login.validation as { discovery?: { metadata?: { end_session_endpoint?: unknown } } }
      ).discovery?.metadata;
      const endpoint = metadata?.end_session_endpoint;
      if (typeof endpoint !== 'string') return null;
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        return null;
      }
      url.searchParams.set('client_id', found.login.clientId);
      url.searchParams.set('post_logout_redirect_uri', consoleUrls(deps.publicUrl, found.slug).loginUrl);
      return url.href;
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
