/**
 * Reading the issuer a person typed (SPEC §5): https only (http only when allowed), no query,
 * fragment or credentials; a bare domain is tried as `https://domain`; a pasted discovery-document
 * URL is turned back into its issuer. Pure: no I/O.
 */

import { quote } from './wording.js';

export const WELL_KNOWN_PATH = '/.well-known/openid-configuration';

export type IssuerUrl =
  | {
      readonly ok: true;
      /** The issuer to compare the document's `issuer` with. */
      readonly issuer: string;
      /** Where the discovery document of that issuer is published. */
      readonly documentUrl: string;
      /** Sentences about what was changed in the input (empty when it was used as typed). */
      readonly adjustments: readonly string[];
    }
  | { readonly ok: false; readonly message: string };

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The well-known URL of an issuer (OIDC Discovery §4: the issuer without its trailing slash + path). */
export function documentUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${WELL_KNOWN_PATH}`;
}

export function parseIssuerUrl(input: string, options: { readonly allowHttp: boolean }): IssuerUrl {
  const typed = input.trim();
  const fail = (message: string): IssuerUrl => ({ ok: false, message });
  if (typed === '') {
    return fail('The issuer is empty: enter the IdP’s issuer URL, e.g. https://login.example.com.');
  }

  const placeholder = /\{[^}]*\}|<[^>]*>/.exec(typed);
  if (placeholder) {
    return fail(
      `The issuer contains the placeholder “${quote(placeholder[0], 40)}”: replace it with your own value (for Microsoft Entra ID, the Directory (tenant) ID).`,
    );
  }
  if (/\s/.test(typed)) return fail(`“${quote(typed)}” contains white space, which a URL cannot contain.`);

  const adjustments: string[] = [];
  let candidate = typed;
  if (!HAS_SCHEME.test(candidate)) {
    candidate = `https://${candidate}`;
    adjustments.push(`“${quote(typed)}” has no scheme, so it was tried as ${quote(candidate)}.`);
  }

  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return fail(`“${quote(typed)}” is not a URL; an issuer looks like https://login.example.com.`);
  }
  if (url.protocol === 'http:' && !options.allowHttp) {
    return fail(
      `The issuer ${quote(typed)} uses http; issuers must use https, so that nobody on the way can change what the IdP says.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return fail(`The issuer ${quote(typed)} uses ${url.protocol}; issuers must use https.`);
  }
  if (url.username !== '' || url.password !== '') {
    return fail('The issuer contains a user name or password; an issuer URL never does.');
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(candidate)) {
    return fail(`The issuer ${quote(typed)} has a query (?…) or fragment (#…); an issuer has neither.`);
  }
  if (url.hostname === '') return fail(`The issuer ${quote(typed)} has no host name.`);

  const path = url.pathname;
  const keepsSlash = candidate.endsWith('/');
  const withoutSlash = path.replace(/\/+$/, '');
  if (withoutSlash.endsWith(WELL_KNOWN_PATH)) {
    const issuer = `${url.origin}${withoutSlash.slice(0, -WELL_KNOWN_PATH.length)}`;
    adjustments.push(
      `You entered the address of the discovery document; its issuer is ${quote(issuer)}, which was checked instead.`,
    );
    return { ok: true, issuer, documentUrl: documentUrlOf(issuer), adjustments };
  }
  const issuer = path === '/' && !keepsSlash ? url.origin : `${url.origin}${path}`;
  return { ok: true, issuer, documentUrl: documentUrlOf(issuer), adjustments };
}
