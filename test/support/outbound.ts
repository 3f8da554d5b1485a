import type { OutboundClient } from '../../src/modules/outbound/outbound-client.js';
import { OutboundError } from '../../src/modules/outbound/outbound-fetch.js';

/**
 * An outbound client that refuses every request before it leaves the process, for tests that feed
 * generated URLs to the API (a fuzzed issuer may be a public address: it must never be contacted).
 */
export function refuseAllOutbound(): OutboundClient {
  const refuse = async (url: string | URL) => {
    throw new OutboundError('address', String(url), 'this test never reaches another host');
  };
  return Object.assign(refuse, { close: async () => undefined });
}
