/**
 * A real OpenID Provider (oidc-provider 9) on loopback HTTPS for console sign-in tests, and a
 * browser without a browser: `signIn` follows the service's redirect to the provider, lets the
 * provider log in the account the test chose (its interaction is finished directly, as a login form
 * would), comes back to the callback with the code, and keeps the session cookie.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Provider from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { startHttpsServer, type TestServer, testCertificates } from './tls.js';

export const CONSOLE_CLIENT_ID = 'csso-console';
export const CONSOLE_CLIENT_SECRET = 'console-secret-7d1e9b3a5c8f2e4d6a0b1c3e5f7a9d2b';
/** A second client of the provider, with the same secret, whose ID tokens are HS256 (signed with it). */
export const CONSOLE_HS256_CLIENT_ID = 'csso-console-hs256';

export interface ConsoleAccount {
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly name?: string;
  readonly groups?: string[];
}

export interface ConsoleIdp {
  readonly issuer: string;
  readonly server: TestServer;
  readonly accounts: Map<string, ConsoleAccount>;
  /** The account the next interaction logs in. */
  nextAccount: string;
  /** When set, the provider's JWKS is replaced by these keys (ID tokens then fail their signature check). */
  jwksOverride: unknown;
  /** Every answer of the token endpoint (so tests can look for the tokens where they must not be). */
  readonly tokenAnswers: string[];
  /** When set, the token endpoint's ID token is replaced by what this returns for it. */
  alterIdToken: ((idToken: string) => string) | undefined;
  close(): Promise<void>;
}

const rsaJwk = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

export async function startConsoleIdp(
  redirectUris: readonly string[],
  postLogoutUris: readonly string[] = [],
) {
  let handler: (req: IncomingMessage, res: ServerResponse) => unknown = (_req, res) => res.end();
  const server = await startHttpsServer((req, res) => handler(req, res));
  const accounts = new Map<string, ConsoleAccount>();
  const signing = { ...rsaJwk(), kid: 'console-key-1', use: 'sig', alg: 'RS256' };
  // The same key id with another key: a JWKS the provider's tokens do not verify against.
  const {
    d: _d,
    p: _p,
    q: _q,
    dp: _dp,
    dq: _dq,
    qi: _qi,
    ...stranger
  } = { ...rsaJwk(), kid: 'console-key-1', use: 'sig', alg: 'RS256' };
  const provider = new Provider(server.url, {
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        client_secret: CONSOLE_CLIENT_SECRET,
        redirect_uris: [...redirectUris],
        post_logout_redirect_uris: [...postLogoutUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: CONSOLE_HS256_CLIENT_ID,
        client_secret: CONSOLE_CLIENT_SECRET,
        redirect_uris: [...redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'HS256',
      },
    ],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'HS256'] },
    jwks: { keys: [signing] },
    cookies: { keys: ['console-cookie-key'] },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, ...(accounts.get(id) ?? {}) }),
    }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  const idp: ConsoleIdp = {
    issuer: server.url,
    server,
    accounts,
    nextAccount: '',
    jwksOverride: undefined,
    tokenAnswers: [],
    alterIdToken: undefined,
    close: () => server.close(),
  };
  const providerHandler = provider.callback();
  handler = async (req, res) => {
    const path = new URL(req.url ?? '/', server.url).pathname;
    if (path === '/jwks' && idp.jwksOverride) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(idp.jwksOverride));
      return;
    }
    if (path.startsWith('/interaction/')) {
      // What the provider's login and consent forms would end with: this account, these scopes.
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({
        accountId: idp.nextAccount,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope('openid email profile');
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: idp.nextAccount }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (path === '/token') {
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        if (args[0] !== undefined && typeof args[0] !== 'function') {
          const alter = idp.alterIdToken;
          if (alter) {
            const answer = JSON.parse(String(args[0])) as { id_token?: string };
            if (answer.id_token) answer.id_token = alter(answer.id_token);
            args[0] = JSON.stringify(answer);
            if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(String(args[0])));
          }
          idp.tokenAnswers.push(String(args[0]));
        }
        return end(...args);
      }) as ServerResponse['end'];
    }
    return providerHandler(req, res);
  };
  return Object.assign(idp, { strangerJwks: { keys: [stranger] } });
}

const browserAgent = new Agent({ connect: { ca: testCertificates().caPem } });

/** A browser's cookie jar for one origin (the provider's). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = (pair ?? '').indexOf('=');
      this.cookies.set((pair ?? '').slice(0, at), (pair ?? '').slice(at + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface SignInOutcome {
  /** The service's answer at the callback. */
  readonly callback: LightMyRequestResponse;
  /** The callback URL the provider sent the browser to (with code and state). */
  readonly callbackUrl: URL;
  /** `name=value` of the session cookie, when one was set. */
  readonly cookie: string | undefined;
  /** The whole Set-Cookie header of the callback. */
  readonly setCookie: string | undefined;
  /** Every URL the browser visited, in order. */
  readonly visited: string[];
}

export interface SignInOptions {
  readonly returnTo?: string;
  /** Changes the authorization request before the browser follows it (a wrong nonce …). */
  readonly alterAuthorizationUrl?: (url: URL) => void;
}

/** Signs `account` in to the tenant `slug` through the whole code flow. */
export async function signIn(
  app: FastifyInstance,
  idp: ConsoleIdp,
  slug: string,
  account: string,
  options: SignInOptions = {},
): Promise<SignInOutcome> {
  const visited: string[] = [];
  const startPath = `/ui/login/${slug}${options.returnTo !== undefined ? `?returnTo=${encodeURIComponent(options.returnTo)}` : ''}`;
  visited.push(startPath);
  const start = await app.inject({ method: 'GET', url: startPath });
  if (start.statusCode !== 303) throw new Error(`sign-in did not start: ${start.statusCode} ${start.body}`);
  const authorization = new URL(String(start.headers.location));
  options.alterAuthorizationUrl?.(authorization);
  idp.nextAccount = account;
  const jar = new Jar();
  let url = authorization.href;
  let callbackUrl: URL | undefined;
  for (let hop = 0; hop < 10 && !callbackUrl; hop += 1) {
    visited.push(url);
    const res = (await undiciFetch(url, {
      redirect: 'manual',
      dispatcher: browserAgent,
      headers: { cookie: jar.header() },
    })) as unknown as Response;
    jar.take(res);
    const location = res.headers.get('location');
    if (!location) throw new Error(`the provider stopped at ${url}: ${res.status} ${await res.text()}`);
    const next = new URL(location, url);
    if (next.pathname === '/ui/auth/callback') callbackUrl = next;
    else url = next.href;
  }
  if (!callbackUrl) throw new Error('the provider never sent the browser back');
  visited.push(callbackUrl.href);
  const callback = await app.inject({ method: 'GET', url: `${callbackUrl.pathname}${callbackUrl.search}` });
  const setCookie = callback.headers['set-cookie'] as string | undefined;
  const cookie = setCookie?.split(';')[0];
  if (callback.headers.location) visited.push(String(callback.headers.location));
  return { callback, callbackUrl, cookie, setCookie, visited };
}
