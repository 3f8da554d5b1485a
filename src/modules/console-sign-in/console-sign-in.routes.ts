/**
 * The browser side of console sign-in (issue 20): `/ui/login` (which tenant?), `/ui/login/{slug}`
 * (off to the IdP), `/ui/auth/callback` (back from it: a new session and its cookie, or a refusal
 * page), `POST /ui/logout` and `DELETE /v1/session` (sign-out). Pages carry the console's security
 * headers; only the tenant form's page allows a form to submit, to this origin.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Type } from 'typebox';
import { UnauthorizedError } from '../../lib/errors.js';
import { SLUG_PATTERN } from '../../lib/identifiers.js';
import { changeContextOf } from '../../plugins/change-context.js';
import { csrfHeaders, csrfRefusal } from '../auth/csrf.js';
import {
  type CookiePolicy,
  clearedSessionCookie,
  sessionCookie,
  sessionTokenFrom,
} from '../auth/session-cookie.js';
import { SignedOutView } from '../console-sessions/console-sessions.schemas.js';
import type { ConsoleSessionsService } from '../console-sessions/sessions.service.js';
import { UI_CONTENT_SECURITY_POLICY, UI_SECURITY_HEADERS } from '../ui/ui.routes.js';
import {
  continuePage,
  notAvailablePage,
  refusedPage,
  signedOutPage,
  tenantFormPage,
  unreachablePage,
} from './login-pages.js';
import { safeReturnTo } from './return-to.js';
import type { SignInService } from './sign-in.service.js';

export interface ConsoleSignInRoutesOptions {
  readonly signIn: SignInService;
  readonly sessions: Pick<ConsoleSessionsService, 'authenticate' | 'signOut'>;
  readonly cookie: CookiePolicy;
  readonly publicUrl: string;
  /**
   * Refused sign-ins per source address and window (AUTH_FAILURE_LIMIT / _WINDOW_SECONDS) before the
   * callback answers 429 without looking further: every refusal is an audit event, and an
   * unauthenticated caller must not be able to fill the trail with them.
   */
  readonly failureLimit: number;
  readonly failureWindowSeconds: number;
}

const HIDDEN = { hide: true } as const;
const PUBLIC = { access: 'public' } as const;
const SLUG = new RegExp(SLUG_PATTERN);
const FORM_CSP = UI_CONTENT_SECURITY_POLICY.replace("form-action 'none'", "form-action 'self'");

function html(reply: FastifyReply, status: number, body: string, csp = UI_CONTENT_SECURITY_POLICY) {
  return reply
    .code(status)
    .headers({ ...UI_SECURITY_HEADERS, 'content-security-policy': csp, 'cache-control': 'no-store' })
    .type('text/html; charset=utf-8')
    .send(body);
}

const QueryOf = Type.Object(
  {
    tenant: Type.Optional(Type.String({ maxLength: 200 })),
    returnTo: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: true },
);

export const consoleSignInRoutes: FastifyPluginAsyncTypebox<ConsoleSignInRoutesOptions> = async (
  app,
  options,
) => {
  const { signIn, sessions, cookie, publicUrl } = options;
  const refusals = new RateLimiterMemory({
    points: options.failureLimit,
    duration: options.failureWindowSeconds,
    keyPrefix: 'console-sign-in-refusals',
  });
  const loginPath = (slug: string, returnTo?: string) =>
    `/ui/login/${encodeURIComponent(slug)}${returnTo && returnTo !== '/ui/' ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`;

  app.get(
    '/ui/login',
    { config: PUBLIC, schema: { ...HIDDEN, querystring: QueryOf } },
    async (request, reply) => {
      const returnTo = safeReturnTo(request.query.returnTo);
      const tenant = request.query.tenant?.trim().toLowerCase();
      if (tenant === undefined || tenant === '') return html(reply, 200, tenantFormPage(returnTo), FORM_CSP);
      if (!SLUG.test(tenant)) {
        return html(
          reply,
          400,
          tenantFormPage(returnTo, 'That is not a tenant name: lowercase letters, digits and hyphens.'),
          FORM_CSP,
        );
      }
      return html(reply, 200, continuePage(loginPath(tenant, returnTo)));
    },
  );

  app.get(
    '/ui/login/:tenantSlug',
    {
      config: PUBLIC,
      schema: {
        ...HIDDEN,
        params: Type.Object({ tenantSlug: Type.String({ maxLength: 200 }) }),
        querystring: QueryOf,
      },
    },
    async (request, reply) => {
      const slug = request.params.tenantSlug;
      if (!SLUG.test(slug)) return html(reply, 404, notAvailablePage());
      const started = await signIn.start(slug, request.query.returnTo);
      if (started.kind === 'not_found') return html(reply, 404, notAvailablePage());
      if (started.kind === 'unreachable') return html(reply, 502, unreachablePage(slug));
      return reply
        .code(303)
        .headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
        .redirect(started.url, 303);
    },
  );

  app.get(
    '/ui/auth/callback',
    { config: PUBLIC, schema: { ...HIDDEN, querystring: Type.Object({}, { additionalProperties: true }) } },
    async (request, reply) => {
      const seen = await refusals.get(request.ip);
      if (seen && seen.consumedPoints >= options.failureLimit) {
        const seconds = String(Math.max(1, Math.ceil(seen.msBeforeNext / 1000)));
        reply.header('retry-after', seconds);
        return html(
          reply,
          429,
          refusedPage(
            `Too many refused sign-ins from your address: wait ${seconds} seconds, then start again.`,
            null,
          ),
        );
      }
      const outcome = await signIn.finish(changeContextOf(request), new URL(request.url, publicUrl));
      if (!outcome.ok) {
        await refusals.consume(request.ip).catch(() => undefined); // past the limit: the next one waits
        return html(reply, outcome.status, refusedPage(outcome.message, outcome.tenantSlug));
      }
      // The code and state stay behind: the browser ends on returnTo, which carries neither.
      return reply
        .code(303)
        .headers({
          'set-cookie': sessionCookie(cookie, outcome.token),
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
        })
        .redirect(outcome.returnTo, 303);
    },
  );

  // The sign-out form posts application/x-www-form-urlencoded: parsed for this route only (every
  // other route keeps answering 415 to anything but JSON).
  await app.register(async (forms) => {
    forms.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    forms.post<{ Body: { csrfToken?: string } }>(
      '/ui/logout',
      {
        config: PUBLIC,
        schema: {
          ...HIDDEN,
          body: Type.Object(
            { csrfToken: Type.Optional(Type.String({ maxLength: 200 })) },
            { additionalProperties: true },
          ),
        },
      },
      async (request, reply) => {
        const token = sessionTokenFrom(cookie, request.headers.cookie);
        const found = token ? await sessions.authenticate(token) : undefined;
        if (!token || !found) {
          return html(
            reply.header('set-cookie', clearedSessionCookie(cookie)),
            200,
            signedOutPage('/ui/login'),
          );
        }
        const refusal = csrfRefusal({
          ...csrfHeaders(request.headers),
          presentedToken: request.body.csrfToken, // the form's field, not a header
          sessionToken: token,
          publicOrigin: new URL(publicUrl).origin,
        });
        if (refusal)
          return html(reply, 403, refusedPage(`Sign-out refused: ${refusal}.`, found.session.tenantSlug));
        const endSessionUrl = await signIn.endSessionUrl(found.session);
        request.principal = found.principal; // the person signs out: the trail names them
        await sessions.signOut(changeContextOf(request), found.session);
        reply.header('set-cookie', clearedSessionCookie(cookie));
        return reply.code(303).redirect(endSessionUrl ?? loginPath(found.session.tenantSlug), 303);
      },
    );
  });

  app.delete(
    '/v1/session',
    {
      config: { access: { roles: ['admin', 'editor', 'approver', 'auditor'] } },
      schema: {
        tags: ['console sign-in'],
        operationId: 'deleteSession',
        summary: 'Sign out: end the console session of the cookie (needs X-CSRF-Token)',
        description:
          'Clears the cookie. The UI then sends the browser to endSessionUrl (the IdP’s sign-out) or to the login page.',
        response: { 200: SignedOutView },
      },
    },
    async (request, reply) => {
      const current = request.consoleSession;
      if (!current) {
        throw new UnauthorizedError(
          'CONSOLE_SESSION_REQUIRED',
          'This call needs a console session cookie, not an API key',
        );
      }
      const endSessionUrl = await signIn.endSessionUrl(current.session);
      await sessions.signOut(changeContextOf(request), current.session);
      reply.header('set-cookie', clearedSessionCookie(cookie));
      return { endSessionUrl };
    },
  );
};
