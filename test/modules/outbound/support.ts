/**
 * Helpers for the outbound client's tests: a client factory that closes what it made, a resolver
 * from a fixed table that counts its calls, and a recorder of every request and connection undici
 * starts (its diagnostics channels) — the proof that a refused request never left the process.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach } from 'vitest';
import type { OutboundAllowlist } from '../../../src/config/config.js';
import {
  createOutboundFetch,
  type OutboundClient,
  type OutboundLookup,
  type OutboundPolicy,
} from '../../../src/modules/outbound/outbound-client.js';
import { OutboundError } from '../../../src/modules/outbound/outbound-fetch.js';

export const NO_EXCEPTIONS: OutboundAllowlist = { hosts: [], cidrs: [] };

/** Returns a factory of clients (trusting `ca` when given) that are closed after each test. */
export function clientFactory(ca?: string) {
  const open: OutboundClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((client) => client.close()));
  });
  return (policy: Partial<OutboundPolicy> = {}): OutboundClient => {
    const client = createOutboundFetch({
      allowlist: NO_EXCEPTIONS,
      allowHttp: false,
      timeoutMs: 3_000,
      ...(ca ? { ca } : {}),
      ...policy,
    });
    open.push(client);
    return client;
  };
}

/** A resolver answering from `table` (name → addresses); unknown names fail like DNS does. */
export function tableLookup(table: Record<string, readonly string[]>) {
  const calls: string[] = [];
  const lookup: OutboundLookup = async (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, calls };
}

/** Records every request undici creates and every connection it starts, until `stop()`. */
export function recordUndici() {
  const requests: string[] = [];
  const connects: string[] = [];
  const onRequest = (message: unknown) => {
    const { request } = message as { request: { origin: string; path: string } };
    requests.push(`${request.origin}${request.path}`);
  };
  const onConnect = (message: unknown) => {
    const { connectParams } = message as { connectParams: { hostname: string; port: string } };
    connects.push(`${connectParams.hostname}:${connectParams.port}`);
  };
  diagnosticsChannel.subscribe('undici:request:create', onRequest);
  diagnosticsChannel.subscribe('undici:client:beforeConnect', onConnect);
  return {
    requests,
    connects,
    stop() {
      diagnosticsChannel.unsubscribe('undici:request:create', onRequest);
      diagnosticsChannel.unsubscribe('undici:client:beforeConnect', onConnect);
    },
  };
}

/** Awaits a promise expected to reject with an OutboundError and returns that error. */
export async function refusal(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundError) return error;
    throw new Error(`expected an OutboundError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an OutboundError, but the request succeeded');
}
