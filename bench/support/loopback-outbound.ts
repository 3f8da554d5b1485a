/**
 * The outbound client as a benchmark needs it: the real network policy, opened for 127.0.0.1 only,
 * trusting the test CA (or the CA given, e.g. another process's).
 */
import {
  createOutboundFetch,
  type OutboundClient,
  type OutboundPolicy,
} from '../../src/modules/outbound/outbound-client.js';
import { testCertificates } from '../../test/support/tls.js';

export function loopbackOutbound(extra: Partial<OutboundPolicy> = {}): OutboundClient {
  return createOutboundFetch({
    allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] },
    allowHttp: false,
    timeoutMs: 5000,
    ca: testCertificates().caPem,
    ...extra,
  });
}
