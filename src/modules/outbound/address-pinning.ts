/**
 * Address pinning: each hop's host is resolved once (a literal IP is not resolved), every address
 * is checked by the network policy (`address-policy.ts`), and the checked addresses are pinned while
 * the hop is in flight. The undici Agent's socket `lookup` answers from those pins and never asks
 * DNS, so a second, different DNS answer (rebinding) cannot change where the socket goes; TLS still
 * verifies the certificate against the host name (SNI and Host stay the name).
 */
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { OutboundAllowlist } from '../../config/config.js';
import {
  type CompiledAllowlist,
  checkAddresses,
  compileAllowlist,
  describeAddressClass,
} from './address-policy.js';
import { rootCause } from './network-failure.js';
import { OutboundError } from './outbound-fetch.js';
import { bareHost, safeUrl } from './outbound-url.js';

/** Resolves a host name to every address it has (like `dns.promises.lookup(name, { all: true })`). */
export type OutboundLookup = (
  hostname: string,
) => Promise<ReadonlyArray<{ address: string; family: number }>>;

const defaultLookup: OutboundLookup = (hostname) => dnsLookupAll(hostname, { all: true, verbatim: true });

/**
 * Addresses that passed the policy, by host name, while requests to that host are in flight. The
 * Agent's sockets resolve through {@link PinnedAddresses.lookup} — never through DNS — so they can
 * only reach checked addresses; a name with no pin fails to connect.
 */
class PinnedAddresses {
  private readonly pins = new Map<string, { addresses: LookupAddress[]; holders: number }>();

  hold(hostname: string, addresses: readonly LookupAddress[]): () => void {
    const key = hostname.toLowerCase();
    const pin = this.pins.get(key) ?? { addresses: [], holders: 0 };
    for (const a of addresses) {
      if (!pin.addresses.some((b) => b.address === a.address)) pin.addresses.push(a);
    }
    pin.holders += 1;
    this.pins.set(key, pin);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      pin.holders -= 1;
      if (pin.holders === 0 && this.pins.get(key) === pin) this.pins.delete(key);
    };
  }

  /** Signature of `dns.lookup` as `net.connect` calls it (with or without `all`). */
  readonly lookup = (
    hostname: string,
    options: { family?: number | string; all?: boolean } | number,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : options;
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    const pinned = this.pins.get(hostname.toLowerCase())?.addresses ?? [];
    const usable = family === 4 || family === 6 ? pinned.filter((a) => a.family === family) : pinned;
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(
        `${hostname} has no address checked by the outbound policy`,
      );
      error.code = 'ENOTFOUND';
      process.nextTick(callback, error, '', 0);
      return;
    }
    if (opts.all)
      process.nextTick(
        callback,
        null,
        usable.map((a) => ({ ...a })),
      );
    else process.nextTick(callback, null, first.address, first.family);
  };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

async function resolveHost(
  url: URL,
  resolveName: OutboundLookup,
  signal: AbortSignal,
): Promise<LookupAddress[]> {
  const host = bareHost(url);
  const family = isIP(host);
  if (family !== 0) return [{ address: host, family }];
  let answer: ReadonlyArray<{ address: string; family: number }>;
  try {
    answer = await raceAbort(resolveName(host), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const { code } = rootCause(error);
    throw new OutboundError(
      'resolve',
      safeUrl(url),
      `${host} does not resolve to an address${code ? ` (${code})` : ''}`,
      { cause: error },
    );
  }
  if (answer.length === 0) {
    throw new OutboundError('resolve', safeUrl(url), `${host} does not resolve to an address`);
  }
  return answer.map((a) => ({ address: a.address, family: a.family }));
}

function checkResolved(
  url: URL,
  addresses: readonly LookupAddress[],
  allowlist: CompiledAllowlist,
  from: URL | undefined,
): void {
  const host = bareHost(url);
  const verdict = checkAddresses(
    host,
    addresses.map((a) => a.address),
    allowlist,
  );
  if (verdict.allowed) return;
  const via = from ? ` (redirected from ${from.host})` : '';
  const what = describeAddressClass(verdict.class);
  const address = verdict.address ?? '';
  const detail =
    isIP(host) !== 0
      ? `${host} is ${what}${via}; add ${host} to OUTBOUND_ALLOWLIST to allow it`
      : `${host} resolves to ${address}, ${what}${via}; add ${host} or ${address} to OUTBOUND_ALLOWLIST to allow it`;
  throw new OutboundError('address', safeUrl(url), detail);
}

export interface AddressPinning {
  /** The Agent's socket lookup: answers from the pins only, never from DNS. */
  readonly lookup: typeof dnsLookup;
  /**
   * Resolves the host of `url`, refuses it unless every address passes the policy, and pins those
   * addresses for the Agent; returns the release, to call once the hop is done. `from` is the URL
   * that redirected here, for the error's sentence.
   */
  pin(url: URL, from: URL | undefined, signal: AbortSignal): Promise<() => void>;
}

export function createAddressPinning(allowlist: OutboundAllowlist, lookup?: OutboundLookup): AddressPinning {
  const compiled = compileAllowlist(allowlist);
  const resolveName = lookup ?? defaultLookup;
  const pins = new PinnedAddresses();
  return {
    lookup: pins.lookup as unknown as typeof dnsLookup,
    async pin(url, from, signal) {
      const addresses = await resolveHost(url, resolveName, signal);
      checkResolved(url, addresses, compiled, from);
      return isIP(bareHost(url)) === 0 ? pins.hold(url.hostname, addresses) : () => {};
    },
  };
}
