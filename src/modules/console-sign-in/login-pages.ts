/**
 * The server-rendered pages of console sign-in (issue 20): asking for the tenant, continuing to the
 * IdP, and the refusals. Plain HTML without scripts or inline styles (the console's CSP allows
 * neither); every value is escaped. Accessible: a language, a title, one h1, labelled inputs.
 */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

function page(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Cognigy SSO console</title>
<link rel="icon" href="data:,">
${head}</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** `GET /ui/login`: which tenant? The form submits (GET) to this same page. */
export function tenantFormPage(returnTo: string, problem?: string): string {
  return page(
    'Sign in to the console',
    `${problem ? `<p role="alert">${escapeHtml(problem)}</p>\n` : ''}<form method="get" action="/ui/login">
<p><label for="tenant">Your organisation’s tenant (as in your login link)</label>
<input id="tenant" name="tenant" type="text" required autocomplete="organization" pattern="[a-z0-9][a-z0-9\\-]{0,62}" aria-describedby="tenant-help"></p>
<p id="tenant-help">Lowercase letters, digits and hyphens, e.g. acme-msp.</p>
<input type="hidden" name="returnTo" value="${escapeHtml(returnTo)}">
<p><button type="submit">Continue</button></p>
</form>
<p><a href="/ui/">Sign in with an API key instead</a></p>`,
  );
}

/**
 * After the tenant form: a page that moves on to the tenant's login URL by itself. A redirect would
 * do it too, but Chrome applies the form's `form-action` to every redirect that follows a form
 * submission — the IdP's origin would have to be allowed there. A refresh is a new navigation.
 */
export function continuePage(loginPath: string): string {
  const href = escapeHtml(loginPath);
  return page(
    'Continue to your identity provider',
    `<p><a href="${href}">Continue to sign in</a></p>`,
    `<meta http-equiv="refresh" content="0; url=${href}">\n`,
  );
}

/** An unknown tenant, or one without console sign-in (indistinguishable). */
export function notAvailablePage(): string {
  return page(
    'Console sign-in is not available',
    `<p>There is no tenant with this name that signs in with its own identity provider. Check your login link.</p>
<p><a href="/ui/login">Enter another tenant</a> · <a href="/ui/">Sign in with an API key</a></p>`,
  );
}

/** A refused sign-in: what happened, and how to try again. */
export function refusedPage(message: string, tenantSlug: string | null): string {
  const again = tenantSlug ? `/ui/login/${encodeURIComponent(tenantSlug)}` : '/ui/login';
  return page(
    'Sign-in refused',
    `<p role="alert">${escapeHtml(message)}</p>
<p><a href="${escapeHtml(again)}">Sign in again</a></p>`,
  );
}

/** The IdP could not be reached to start the sign-in. */
export function unreachablePage(tenantSlug: string): string {
  return page(
    'Your identity provider cannot be reached',
    `<p role="alert">The sign-in could not start: the identity provider did not answer. Try again in a moment.</p>
<p><a href="/ui/login/${escapeHtml(encodeURIComponent(tenantSlug))}">Try again</a></p>`,
  );
}

/** After signing out without an IdP to sign out at too. */
export function signedOutPage(loginPath: string): string {
  return page('You are signed out', `<p><a href="${escapeHtml(loginPath)}">Sign in again</a></p>`);
}
