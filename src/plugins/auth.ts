/**
 * Authentication and route-level authorization. Keys come as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`; people in the console come with the session cookie (issue 20). A key wins:
 * with a key header the cookie is not looked at. A state-changing request authenticated by the
 * cookie must pass the CSRF checks (auth/csrf.ts). Failed attempts are counted per
 * source address; past the limit, requests from that address get 429 with Retry-After before any
 * key or cookie is looked at.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../lib/errors.js';
import type { Authenticator } from '../modules/auth/authenticator.js';
import type { SessionAuthenticator } from '../modules/auth/console-session.js';
import { changesState, csrfHeaders, csrfRefusal } from '../modules/auth/csrf.js';
import {
  type Principal,
  requirePlatformPrincipal,
  requireRole,
  requireTenantPrincipal,
  requireUnscoped,
} from '../modules/auth/principal.js';
import { type CookiePolicy, sessionTokenFrom } from '../modules/auth/session-cookie.js';
import type { Access } from './types.js';

export interface AuthOptions {
  readonly authenticator: Authenticator;
  readonly sessions: SessionAuthenticator;
  readonly cookie: CookiePolicy;
  /** PUBLIC_URL's origin: where state-changing cookie requests must come from. */
  readonly publicOrigin: string;
  readonly failureLimit: number;
  readonly failureWindowSeconds: number;
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : '';
  }
  const header = request.headers['x-api-key'];
  return Array.isArray(header) ? header[0] : header;
}

const unauthorized = (detail: string) =>
  new UnauthorizedError('AUTH_UNAUTHENTICATED', detail, { headers: { 'www-authenticate': 'Bearer' } });

export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const failures = new RateLimiterMemory({
    points: options.failureLimit,
    duration: options.failureWindowSeconds,
    keyPrefix: 'auth-failures',
  });

  const retryAfter = (res: RateLimiterRes) => String(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  const tooMany = (res: RateLimiterRes) =>
    new TooManyRequestsError(
      'AUTH_TOO_MANY_FAILURES',
      'Too many failed authentication attempts from this address',
      {
        headers: { 'retry-after': retryAfter(res) },
      },
    );

  app.decorateRequest('principal', undefined);
  app.decorateRequest('consoleSession', undefined);

  async function countFailure(request: FastifyRequest) {
    try {
      await failures.consume(request.ip);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw tooMany(res);
      throw res;
    }
  }

  /** The person of the session cookie, when the request has no key header. */
  async function sessionPrincipal(request: FastifyRequest, token: string) {
    const found = await options.sessions.authenticate(token);
    if (!found) {
      await countFailure(request);
      request.log.info({ reason: 'unknown, ended or expired console session' }, 'authentication failed');
      throw new UnauthorizedError(
        'AUTH_UNAUTHENTICATED',
        'The console session has ended or is not valid: sign in again',
      );
    }
    if (changesState(request.method)) {
      const refusal = csrfRefusal({
        ...csrfHeaders(request.headers),
        sessionToken: token,
        publicOrigin: options.publicOrigin,
      });
      if (refusal) {
        request.log.info({ reason: refusal }, 'csrf check failed');
        throw new ForbiddenError('CSRF_REJECTED', `Refused: ${refusal}. Nothing was changed.`);
      }
    }
    request.consoleSession = found;
    return found.principal;
  }

  app.addHook('onRequest', async (request) => {
    const access: Access | undefined = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;

    const blocked = await failures.get(request.ip);
    if (blocked && blocked.consumedPoints > options.failureLimit) throw tooMany(blocked);

    const token = presentedKey(request);
    let principal: Principal | undefined;
    if (token === undefined) {
      const sessionToken = sessionTokenFrom(options.cookie, request.headers.cookie);
      if (sessionToken === undefined)
        throw unauthorized('Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"');
      principal = await sessionPrincipal(request, sessionToken);
    } else {
      principal = token === '' ? undefined : await options.authenticator.authenticate(token);
      if (!principal) {
        await countFailure(request);
        request.log.info({ reason: 'unknown, revoked or expired key' }, 'authentication failed');
        throw unauthorized('The API key is not valid');
      }
    }
    request.principal = principal;

    if (access === 'platform') {
      requirePlatformPrincipal(principal);
    } else if (access.platform && principal.kind === 'platform') {
      // the route serves the platform key too (its own audit chain)
    } else {
      const tenantPrincipal = requireRole(principal, access.roles);
      if (access.unscoped) requireUnscoped(tenantPrincipal);
    }
  });
}

/** The caller, for handlers of routes that are not public. */
export function principalOf(request: FastifyRequest) {
  if (!request.principal)
    throw new ForbiddenError('AUTH_REQUIRED', 'This route needs an authenticated caller');
  return request.principal;
}

/** The calling tenant key, for handlers of routes that tenant keys call (403 for the platform key). */
export const tenantPrincipalOf = (request: FastifyRequest) => requireTenantPrincipal(principalOf(request));
