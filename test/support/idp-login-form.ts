/**
 * A tenant's own identity provider with a login form, for the console sign-in in a real browser
 * (test/e2e/console-sign-in.test.ts; test/support/console-idp.ts is the API tests' browserless one):
 * a real oidc-provider 9 on loopback HTTPS (the test CA of test/support/tls.ts) with one confidential
 * client, the console, and a login form of its own that checks passwords (oidc-provider's
 * devInteractions would accept any login). Its people carry a `groups` claim in the ID token;
 * consent is given by the provider itself (a first-party client), so a person sees the form only.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import { startHttpsServer, type TestServer } from './tls.js';

export interface Person {
  readonly name: string;
  readonly email: string;
  readonly groups: readonly string[];
}

export const CONSOLE_CLIENT_ID = 'csso-console';
export const CONSOLE_CLIENT_SECRET = 'console-client-secret-7c1e9a3f5b2d4e6a8c0b';

/** Each person's password at this IdP (only the form checks it). */
export const passwordOf = (login: string) => `${login}-pass-0123`;

export interface ConsoleIdp {
  readonly issuer: string;
  readonly server: TestServer;
  /** The subject (`sub`) the IdP gives a login. */
  subjectOf(login: string): string;
  close(): Promise<void>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Acme identity provider</title></head>
<body><main>
<h1>Acme identity provider</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label for="login">Username</label> <input id="login" name="login" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in to Acme</button></p>
</form></main></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the IdP. `consoleUrl` is the service's PUBLIC_URL: the client's redirect URI is
 * `{consoleUrl}/ui/auth/callback`, and after sign-out the IdP may send the browser to
 * `{consoleUrl}/ui/login/{tenantSlug}`.
 */
export async function startConsoleIdp(options: {
  consoleUrl: string;
  tenantSlug: string;
  people: Readonly<Record<string, Person>>;
}): Promise<ConsoleIdp> {
  const subjects = new Map(Object.keys(options.people).map((login) => [login, randomUUID()]));
  const loginOf = new Map<string, string>([...subjects].map(([login, sub]) => [sub, login]));
  let provider: Provider | undefined;
  const server = await startHttpsServer(async (req, res) => {
    if (!provider) return res.end();
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(new URL(req.url ?? '/', 'https://x').pathname);
    if (!match) return provider.callback()(req, res);
    try {
      await interaction(provider, req, res, match[1] as string, match[2] !== undefined);
    } catch (error) {
      res.statusCode = 400;
      res.end(`interaction failed: ${(error as Error).message}`);
    }
  });

  async function interaction(
    p: Provider,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    submit: boolean,
  ) {
    const details = await p.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('unknown interaction');
    if (!submit) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(loginPage(uid));
    }
    const form = await formBody(req);
    const login = form.get('login') ?? '';
    const subject = subjects.get(login);
    if (!subject || form.get('password') !== passwordOf(login)) {
      res.statusCode = 401;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(loginPage(uid, 'Wrong username or password.'));
    }
    await p.interactionFinished(
      req,
      res,
      { login: { accountId: subject } },
      { mergeWithLastSubmission: false },
    );
  }

  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  provider = new Provider(server.url, {
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        client_secret: CONSOLE_CLIENT_SECRET,
        redirect_uris: [`${options.consoleUrl}/ui/auth/callback`],
        post_logout_redirect_uris: [`${options.consoleUrl}/ui/login/${options.tenantSlug}`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...key, kid: 'console-idp-key-1', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['console-idp-cookie-key'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // The groups travel with every ID token (as with Entra ID or Okta's groups claim).
    claims: { openid: ['sub', 'groups'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    async findAccount(_ctx: unknown, sub: string) {
      const login = loginOf.get(sub);
      const person = login ? options.people[login] : undefined;
      if (!person) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: person.name,
          email: person.email,
          email_verified: true,
          groups: [...person.groups],
        }),
      };
    },
    // The console is first-party: consent to what it asks is given here, no consent page.
    async loadExistingGrant(ctx: {
      oidc: { client?: { clientId: string }; session?: { accountId?: string }; params?: { scope?: unknown } };
    }) {
      const { client, session, params } = ctx.oidc;
      if (!provider || !client || !session?.accountId) return undefined;
      const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(String(params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
  });
  return {
    issuer: server.url,
    server,
    subjectOf: (login) => subjects.get(login) as string,
    close: () => server.close(),
  };
}
