/**
 * The URL of an endpoint, checked when it is created or changed: what the outbound network policy
 * will refuse anyway is refused here first, with a sentence — another scheme than https (http only
 * where allowed), a user name or password, an IP address or a local name that is loopback, private,
 * link-local or the metadata service (unless allow-listed). A name that resolves to such an address,
 * or redirects to one, is refused by the policy at delivery, before any connection is made.
 */
import { BadRequestError } from '../../lib/errors.js';
import {
  type CompiledAllowlist,
  classifyAddress,
  describeAddressClass,
  isAddressAllowlisted,
  isHostAllowlisted,
} from '../outbound/address-policy.js';
import { OutboundError } from '../outbound/outbound-fetch.js';
import { bareHost, checkUrl } from '../outbound/outbound-url.js';

const refused = (pointer: string, detail: string) =>
  new BadRequestError('WEBHOOK_URL_REFUSED', detail, { errors: [{ pointer, detail }] });

/** The URL as stored (normalised by the URL parser), or a 400 naming what is wrong with it. */
export function checkEndpointUrl(
  input: string,
  policy: { readonly allowHttp: boolean; readonly allowlist: CompiledAllowlist },
  pointer = '/body/url',
): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refused(pointer, 'must be an absolute URL like https://hooks.example.com/path');
  }
  try {
    checkUrl(url, undefined, policy.allowHttp);
  } catch (err) {
    if (err instanceof OutboundError) throw refused(pointer, err.detail);
    throw err;
  }
  if (url.hash !== '') throw refused(pointer, 'must not have a #fragment');
  const host = bareHost(url).toLowerCase();
  if (isHostAllowlisted(host, policy.allowlist)) return url.href;
  const c = classifyAddress(host);
  if (c.range !== 'invalid') {
    if (!c.public && !isAddressAllowlisted(host, policy.allowlist)) {
      throw refused(pointer, `${host} is ${describeAddressClass(c)}; the outbound network policy refuses it`);
    }
  } else if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    throw refused(pointer, `${host} is a local name; use a public host name (or allow-list it)`);
  }
  return url.href;
}
