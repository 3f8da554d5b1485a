/**
 * The address half of the outbound network policy (§8): which IP addresses count as public, and
 * which hosts or addresses the allow-list opens. Pure functions, no I/O — the client in
 * `outbound-client.ts` resolves names and calls these on every answer.
 *
 * Fail closed: anything that is not a canonical IPv4/IPv6 address is "invalid", never public;
 * IPv6 outside the global-unicast block 2000::/3 is "reserved".
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { OutboundAllowlist } from '../../config/config.js';

/** The named range an address falls in; `public` is the only one reachable by default. */
export type AddressRange =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unique-local'
  | 'site-local'
  | 'metadata'
  | 'multicast'
  | 'unspecified'
  | 'this-network'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'teredo'
  | 'reserved'
  | 'invalid';

/** How an IPv6 address carries an IPv4 address that decides its class. */
export type EmbeddingForm = 'ipv4-mapped' | 'ipv4-compatible' | 'nat64' | '6to4';

export interface AddressClass {
  /** True only for addresses that may be reached without an allow-list entry. */
  readonly public: boolean;
  readonly range: AddressRange;
  /** Set when an IPv6 address was judged by the IPv4 address it embeds. */
  readonly embedded?: { readonly form: EmbeddingForm; readonly ipv4: string };
}

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;
type Rule = readonly [range: [Parsed, number], outcome: AddressRange | EmbeddingForm];

function rules(entries: ReadonlyArray<readonly [string, AddressRange | EmbeddingForm]>): readonly Rule[] {
  return entries.map(([cidr, outcome]) => [ipaddr.parseCIDR(cidr), outcome] as const);
}

// First match wins, so the narrow ranges come before the wide ones that contain them.
const IPV4_RULES = rules([
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'], // also holds Alibaba Cloud's metadata service 100.100.100.200
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OCI, DigitalOcean …
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_RULES = rules([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'ipv4-mapped'],
  ['::/96', 'ipv4-compatible'],
  ['64:ff9b::/96', 'nat64'],
  ['64:ff9b:1::/48', 'reserved'], // local-use NAT64
  ['100::/64', 'reserved'], // discard-only
  ['2001:db8::/32', 'documentation'],
  ['2001::/32', 'teredo'],
  ['2001::/23', 'reserved'], // IETF protocol assignments
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved'], // SRv6 SIDs
  ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

const EMBEDDING_FORMS: ReadonlySet<string> = new Set<EmbeddingForm>([
  'ipv4-mapped',
  'ipv4-compatible',
  'nat64',
  '6to4',
]);

function firstMatch(address: Parsed, table: readonly Rule[]): AddressRange | EmbeddingForm | undefined {
  for (const [range, outcome] of table) {
    if (address.kind() === range[0].kind() && address.match(range)) return outcome;
  }
  return undefined;
}

function embeddedIPv4(address: ipaddr.IPv6, form: EmbeddingForm): ipaddr.IPv4 {
  const p = address.parts;
  // 6to4 carries the IPv4 address in bits 16–47, the other forms in the last 32 bits
  const [high, low] = form === '6to4' ? [p[1]!, p[2]!] : [p[6]!, p[7]!];
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function classifyParsed(address: Parsed): AddressClass {
  if (address.kind() === 'ipv4') {
    const range = firstMatch(address, IPV4_RULES) as AddressRange | undefined;
    return range ? { public: false, range } : { public: true, range: 'public' };
  }
  const v6 = address as ipaddr.IPv6;
  const outcome = firstMatch(v6, IPV6_RULES);
  if (outcome !== undefined && EMBEDDING_FORMS.has(outcome)) {
    const form = outcome as EmbeddingForm;
    const ipv4 = embeddedIPv4(v6, form);
    const inner = classifyParsed(ipv4);
    return { public: inner.public, range: inner.range, embedded: { form, ipv4: ipv4.toString() } };
  }
  if (outcome !== undefined) return { public: false, range: outcome as AddressRange };
  if (!v6.match(GLOBAL_UNICAST_V6)) return { public: false, range: 'reserved' };
  return { public: true, range: 'public' };
}

function parseStrict(ip: string): Parsed | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  // node:net accepts only canonical spellings (no 0177.0.0.1, no 2130706433); ipaddr.js is lenient
  if (isIP(bare) === 0) return undefined;
  try {
    return ipaddr.parse(bare);
  } catch {
    return undefined;
  }
}

/**
 * Classifies one IP address (IPv4 dotted decimal or IPv6, brackets allowed). IPv4-mapped,
 * IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4
 * address they embed. Anything unparsable is `{ public: false, range: 'invalid' }`.
 */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseStrict(ip);
  return parsed ? classifyParsed(parsed) : { public: false, range: 'invalid' };
}

const RANGE_DESCRIPTIONS: Record<AddressRange, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT (shared) address',
  'unique-local': 'a unique-local (private) IPv6 address',
  'site-local': 'a site-local IPv6 address',
  metadata: 'the cloud metadata service address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  'this-network': 'a "this network" address',
  broadcast: 'the broadcast address',
  documentation: 'an address reserved for documentation',
  benchmarking: 'an address reserved for benchmarking',
  teredo: 'a Teredo tunnel address',
  reserved: 'a reserved address',
  invalid: 'not a valid IP address',
};

const FORM_DESCRIPTIONS: Record<EmbeddingForm, string> = {
  'ipv4-mapped': 'the IPv4-mapped form',
  'ipv4-compatible': 'the IPv4-compatible form',
  nat64: 'the NAT64 form',
  '6to4': 'a 6to4 address embedding',
};

/** "a private address", or "the IPv4-mapped form of 127.0.0.1, a loopback address". */
export function describeAddressClass(c: AddressClass): string {
  const base = RANGE_DESCRIPTIONS[c.range];
  return c.embedded ? `${FORM_DESCRIPTIONS[c.embedded.form]} of ${c.embedded.ipv4}, ${base}` : base;
}

/** An allow-list parsed once: host patterns lowercased without a trailing dot, CIDRs parsed. */
export interface CompiledAllowlist {
  readonly exactHosts: ReadonlySet<string>;
  readonly hostSuffixes: readonly string[];
  readonly cidrs: ReadonlyArray<[Parsed, number]>;
}

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/**
 * Parses an allow-list once. Hosts are exact names or `*.suffix` (any depth of subdomain, not the
 * suffix itself); CIDRs are `address/prefix`.
 * @throws Error naming the entry when a CIDR does not parse.
 */
export function compileAllowlist(allowlist: OutboundAllowlist): CompiledAllowlist {
  const exactHosts = new Set<string>();
  const hostSuffixes: string[] = [];
  for (const entry of allowlist.hosts) {
    const host = normaliseHost(entry);
    if (host.startsWith('*.')) hostSuffixes.push(host.slice(1));
    else exactHosts.add(host);
  }
  const cidrs = allowlist.cidrs.map((entry): [Parsed, number] => {
    try {
      return ipaddr.parseCIDR(entry);
    } catch {
      throw new Error(`"${entry}" in the outbound allow-list is not a CIDR range like 10.0.0.0/8`);
    }
  });
  return { exactHosts, hostSuffixes, cidrs };
}

function isCompiled(list: OutboundAllowlist | CompiledAllowlist): list is CompiledAllowlist {
  return 'exactHosts' in list;
}

/** True when the allow-list names the host exactly or through a `*.suffix` pattern. */
export function isHostAllowlisted(host: string, allowlist: OutboundAllowlist | CompiledAllowlist): boolean {
  const list = isCompiled(allowlist) ? allowlist : compileAllowlist(allowlist);
  const name = normaliseHost(host);
  return list.exactHosts.has(name) || list.hostSuffixes.some((suffix) => name.endsWith(suffix));
}

/**
 * True when the address lies in an allow-listed CIDR; an IPv6 address that embeds an IPv4 address
 * (e.g. ::ffff:10.0.0.5) also matches the IPv4 ranges.
 */
export function isAddressAllowlisted(
  address: string,
  allowlist: OutboundAllowlist | CompiledAllowlist,
): boolean {
  const list = isCompiled(allowlist) ? allowlist : compileAllowlist(allowlist);
  const parsed = parseStrict(address);
  if (!parsed) return false;
  const candidates: Parsed[] = [parsed];
  const embedded = classifyParsed(parsed).embedded;
  if (embedded) candidates.push(ipaddr.parse(embedded.ipv4));
  return candidates.some((candidate) =>
    list.cidrs.some((range) => candidate.kind() === range[0].kind() && candidate.match(range)),
  );
}

/** The verdict on one host and the addresses it resolved to. */
export type AddressVerdict =
  | { readonly allowed: true; readonly via: 'host' | 'addresses' }
  | { readonly allowed: false; readonly address: string | undefined; readonly class: AddressClass };

/**
 * Judges a host and every address it resolved to: allowed when the host is allow-listed, or when
 * each address is public or inside an allow-listed CIDR. No addresses at all is a refusal.
 */
export function checkAddresses(
  host: string,
  addresses: readonly string[],
  allowlist: OutboundAllowlist | CompiledAllowlist,
): AddressVerdict {
  const list = isCompiled(allowlist) ? allowlist : compileAllowlist(allowlist);
  if (isHostAllowlisted(host, list)) return { allowed: true, via: 'host' };
  if (addresses.length === 0) {
    return { allowed: false, address: undefined, class: { public: false, range: 'invalid' } };
  }
  for (const address of addresses) {
    const c = classifyAddress(address);
    if (!c.public && !isAddressAllowlisted(address, list)) return { allowed: false, address, class: c };
  }
  return { allowed: true, via: 'addresses' };
}

/** Boolean form of {@link checkAddresses}. */
export function isAllowed(
  host: string,
  addresses: readonly string[],
  allowlist: OutboundAllowlist | CompiledAllowlist,
): boolean {
  return checkAddresses(host, addresses, allowlist).allowed;
}
