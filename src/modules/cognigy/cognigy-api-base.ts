/**
 * The shape check of a Cognigy API base at the time it is set. Whether the host may be reached is
 * decided by the outbound network policy (§8) when it is used, against the addresses it resolves to.
 */
import { BadRequestError } from '../../lib/errors.js';

export function normaliseApiBase(input: string, allowHttp: boolean): string {
  const invalid = (detail: string) =>
    new BadRequestError('COGNIGY_API_BASE_INVALID', `apiBase ${detail}`, {
      errors: [{ pointer: '/body/apiBase', detail }],
    });
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalid('must be an absolute URL such as https://api-trial.cognigy.ai/new');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw invalid(
      allowHttp ? 'must use https or http' : 'must use https (http only with OUTBOUND_ALLOW_HTTP=true)',
    );
  }
  if (url.username || url.password) throw invalid('must not contain credentials');
  if (url.search || url.hash || input.includes('?') || input.includes('#')) {
    throw invalid('must not have a query or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The installation an API base belongs to, for the bound of calls per installation: its origin and
 * path without trailing slashes (an API base set before normalisation, or written with another case
 * of the host or the default port, is the same installation).
 */
export function installationOf(apiBase: string): string {
  const url = new URL(apiBase);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
