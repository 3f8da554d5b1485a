/**
 * Hash routes (#/orgs/acme/versions/3): the server serves one page, and the address bar holds only
 * what a link to share would (org slugs, version numbers, filters), never a key.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly name: 'orgs' }
  | { readonly name: 'org'; readonly org: string }
  | { readonly name: 'version'; readonly org: string; readonly number: number }
  | { readonly name: 'diff'; readonly org: string; readonly number: number; readonly against: string }
  | { readonly name: 'deployment'; readonly org: string; readonly id: string }
  | { readonly name: 'audit'; readonly filters: URLSearchParams }
  | { readonly name: 'attention'; readonly filters: URLSearchParams }
  | { readonly name: 'webhooks' }
  | { readonly name: 'webhook'; readonly id: string }
  | { readonly name: 'consoleSignIn' }
  | { readonly name: 'sessions' }
  | { readonly name: 'notFound' };

const e = encodeURIComponent;

/** A path with the filters that are set (empty ones left out). */
const withFilters = (path: string, filters: Record<string, string>) => {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== '')).toString();
  return query ? `${path}?${query}` : path;
};

export const href = {
  orgs: () => '#/orgs',
  org: (org: string) => `#/orgs/${e(org)}`,
  version: (org: string, n: number) => `#/orgs/${e(org)}/versions/${n}`,
  diff: (org: string, n: number, against: number | 'live') =>
    `#/orgs/${e(org)}/versions/${n}/diff/${against}`,
  deployment: (org: string, id: string) => `#/orgs/${e(org)}/deployments/${e(id)}`,
  audit: (filters: Record<string, string> = {}) => withFilters('#/audit', filters),
  attention: (filters: Record<string, string> = {}) => withFilters('#/attention', filters),
  webhooks: () => '#/webhooks',
  webhook: (id: string) => `#/webhooks/${e(id)}`,
  consoleSignIn: () => '#/console-sign-in',
  sessions: () => '#/sessions',
};

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, org, kind, id, sub, against] = parts;
  if (parts.length === 0 || (first === 'orgs' && parts.length === 1)) return { name: 'orgs' };
  if (first === 'audit' && parts.length === 1) return { name: 'audit', filters: new URLSearchParams(query) };
  if (first === 'attention' && parts.length === 1)
    return { name: 'attention', filters: new URLSearchParams(query) };
  if (first === 'webhooks' && parts.length === 1) return { name: 'webhooks' };
  if (first === 'console-sign-in' && parts.length === 1) return { name: 'consoleSignIn' };
  if (first === 'sessions' && parts.length === 1) return { name: 'sessions' };
  if (first === 'webhooks' && parts.length === 2 && org !== undefined) return { name: 'webhook', id: org };
  if (first !== 'orgs' || org === undefined) return { name: 'notFound' };
  if (parts.length === 2) return { name: 'org', org };
  const number = Number(id);
  if (kind === 'versions' && Number.isInteger(number) && number > 0) {
    if (parts.length === 4) return { name: 'version', org, number };
    if (sub === 'diff' && against !== undefined && parts.length === 6 && /^(live|[1-9]\d*)$/.test(against)) {
      return { name: 'diff', org, number, against };
    }
  }
  if (kind === 'deployments' && id !== undefined && parts.length === 4)
    return { name: 'deployment', org, id };
  return { name: 'notFound' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    // The address may have changed between the first render and this effect (Preact runs effects
    // after painting): a hashchange in that gap was missed, so read the address again now.
    update();
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, '');
}
