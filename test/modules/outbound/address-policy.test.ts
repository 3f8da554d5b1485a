import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AddressRange,
  checkAddresses,
  classifyAddress,
  describeAddressClass,
  isAllowed,
} from '../../../src/modules/outbound/address-policy.js';

const none = { hosts: [], cidrs: [] };

describe('classifyAddress', () => {
  const table: Array<[address: string, range: AddressRange, embedded?: string]> = [
    // IPv4: public neighbours of every blocked range, and both ends of each range
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this-network'],
    ['0.255.255.255', 'this-network'],
    ['1.0.0.0', 'public'],
    ['9.255.255.255', 'public'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.64.0.0', 'cgnat'],
    ['100.100.100.200', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['126.255.255.255', 'public'],
    ['127.0.0.0', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['128.0.0.0', 'public'],
    ['169.253.255.255', 'public'],
    ['169.254.0.0', 'link-local'],
    ['169.254.169.253', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.255.255', 'link-local'],
    ['169.255.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['191.255.255.255', 'public'],
    ['192.0.0.0', 'reserved'],
    ['192.0.0.255', 'reserved'],
    ['192.0.1.0', 'public'],
    ['192.0.2.0', 'documentation'],
    ['192.0.2.255', 'documentation'],
    ['192.88.99.1', 'reserved'],
    ['192.167.255.255', 'public'],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.0', 'public'],
    ['198.17.255.255', 'public'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.20.0.0', 'public'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['223.255.255.255', 'public'],
    ['224.0.0.0', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['[2a00:1450:4001:82a::200e]', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local'],
    ['fec0::1', 'site-local'],
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
    ['fc00::', 'unique-local'],
    ['fd00::1', 'unique-local'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['ff0e::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001::1', 'teredo'],
    ['2001:2::1', 'reserved'],
    ['2001:1ff:ffff::1', 'reserved'],
    ['2001:200::1', 'public'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'],
    ['2000::', 'public'],
    ['3fff:1000::1', 'public'],
    ['::ffff:0:7f00:1', 'reserved'], // IPv4-translated (SIIT), outside global unicast
    // IPv6 forms judged by the IPv4 address they embed
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', 'loopback', '127.0.0.1'],
    ['::ffff:10.0.0.1', 'private', '10.0.0.1'],
    ['::ffff:169.254.169.254', 'metadata', '169.254.169.254'],
    ['::ffff:100.64.0.1', 'cgnat', '100.64.0.1'],
    ['::ffff:0.0.0.0', 'unspecified', '0.0.0.0'],
    ['::ffff:8.8.8.8', 'public', '8.8.8.8'],
    ['::127.0.0.1', 'loopback', '127.0.0.1'],
    ['::192.168.1.1', 'private', '192.168.1.1'],
    ['::0.0.0.2', 'this-network', '0.0.0.2'],
    ['::8.8.8.8', 'public', '8.8.8.8'],
    ['64:ff9b::127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::a00:1', 'private', '10.0.0.1'],
    ['64:ff9b::169.254.169.254', 'metadata', '169.254.169.254'],
    ['64:ff9b::8.8.8.8', 'public', '8.8.8.8'],
    ['2002:7f00:1::', 'loopback', '127.0.0.1'],
    ['2002:c0a8:101::1', 'private', '192.168.1.1'],
    ['2002:a9fe:a9fe::1', 'metadata', '169.254.169.254'],
    ['2002:808:808::1', 'public', '8.8.8.8'],
    // not canonical addresses: never public
    ['localhost', 'invalid'],
    ['0177.0.0.1', 'invalid'],
    ['2130706433', 'invalid'],
    ['0x7f000001', 'invalid'],
    ['127.1', 'invalid'],
    ['', 'invalid'],
    ['1.2.3.4.5', 'invalid'],
    ['::g', 'invalid'],
    ['256.0.0.1', 'invalid'],
  ];

  it.each(table)('classifies %s as %s', (address, range, embedded) => {
    const result = classifyAddress(address);
    expect(result.range).toBe(range);
    expect(result.public).toBe(range === 'public');
    expect(result.embedded?.ipv4).toBe(embedded);
  });

  it('describes embedded forms with the address they carry', () => {
    expect(describeAddressClass(classifyAddress('::ffff:127.0.0.1'))).toBe(
      'the IPv4-mapped form of 127.0.0.1, a loopback address',
    );
    expect(describeAddressClass(classifyAddress('169.254.169.254'))).toBe(
      'the cloud metadata service address',
    );
    expect(describeAddressClass(classifyAddress('10.1.2.3'))).toBe('a private address');
  });

  const blockedV4: Array<[string, number]> = [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ];
  const blockedV6: Array<[string, number]> = [
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['fec0::', 10],
    ['ff00::', 8],
    ['2001:db8::', 32],
    ['2001::', 23],
    ['100::', 64],
    ['64:ff9b:1::', 48],
  ];

  const v4ToInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const intToV4 = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  const v6ToBig = (ip: string) => {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  };
  const bigToV6 = (n: bigint) =>
    Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');

  const insideV4 = fc
    .tuple(fc.constantFrom(...blockedV4), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
    .map(([[base, bits], r]) => intToV4(v4ToInt(base) + (r % 2 ** (32 - bits))));
  const insideV6 = fc
    .tuple(fc.constantFrom(...blockedV6), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }))
    .map(([[base, bits], r]) => bigToV6(v6ToBig(base) + (r % (1n << BigInt(128 - bits)))));

  it('never calls an address inside a blocked IPv4 range public, in any IPv6 disguise either', () => {
    fc.assert(
      fc.property(insideV4, (ip) => {
        expect(classifyAddress(ip).public).toBe(false);
        expect(classifyAddress(`::ffff:${ip}`).public).toBe(false);
        expect(classifyAddress(`64:ff9b::${ip}`).public).toBe(false);
        const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
        const sixToFour = `2002:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}::1`;
        expect(classifyAddress(sixToFour).public).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('never calls an address inside a blocked IPv6 range public', () => {
    fc.assert(
      fc.property(insideV6, (ip) => {
        expect(classifyAddress(ip).public).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('calls an IPv4 address public exactly when it lies outside every blocked range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const blocked = blockedV4.some(([base, bits]) => {
          const size = 2 ** (32 - bits);
          return n >= v4ToInt(base) && n < v4ToInt(base) + size;
        });
        expect(classifyAddress(intToV4(n)).public).toBe(!blocked);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('isAllowed', () => {
  it('allows a name whose addresses are all public', () => {
    expect(isAllowed('idp.example.com', ['8.8.8.8', '2606:4700::1'], none)).toBe(true);
  });

  it('refuses a name when any one of its addresses is not public', () => {
    const verdict = checkAddresses('idp.example.com', ['8.8.8.8', '10.0.0.5'], none);
    expect(verdict).toEqual({
      allowed: false,
      address: '10.0.0.5',
      class: { public: false, range: 'private' },
    });
  });

  it('refuses a name with no addresses at all', () => {
    expect(isAllowed('idp.example.com', [], none)).toBe(false);
  });

  it('allows any address of a host named exactly on the allow-list, ignoring case and a trailing dot', () => {
    const list = { hosts: ['idp.internal'], cidrs: [] };
    expect(isAllowed('idp.internal', ['10.0.0.5'], list)).toBe(true);
    expect(isAllowed('IDP.Internal.', ['10.0.0.5'], list)).toBe(true);
    expect(isAllowed('other.internal', ['10.0.0.5'], list)).toBe(false);
    expect(isAllowed('x.idp.internal', ['10.0.0.5'], list)).toBe(false);
  });

  it('allows subdomains of a *.suffix entry at any depth, but not the suffix itself or look-alikes', () => {
    const list = { hosts: ['*.corp.example'], cidrs: [] };
    expect(isAllowed('idp.corp.example', ['10.0.0.5'], list)).toBe(true);
    expect(isAllowed('a.b.corp.example', ['10.0.0.5'], list)).toBe(true);
    expect(isAllowed('corp.example', ['10.0.0.5'], list)).toBe(false);
    expect(isAllowed('evilcorp.example', ['10.0.0.5'], list)).toBe(false);
    expect(isAllowed('corp.example.evil.test', ['10.0.0.5'], list)).toBe(false);
  });

  it('allows addresses inside an allow-listed CIDR, and only those', () => {
    const list = { hosts: [], cidrs: ['10.0.0.0/8', 'fd00::/8'] };
    expect(isAllowed('idp.example.com', ['10.1.2.3', 'fd00::5'], list)).toBe(true);
    expect(isAllowed('idp.example.com', ['10.1.2.3', '192.168.0.1'], list)).toBe(false);
    expect(isAllowed('idp.example.com', ['10.1.2.3', '8.8.8.8'], list)).toBe(true);
  });

  it('matches IPv4 CIDRs against the IPv4 address an IPv6 form embeds', () => {
    const list = { hosts: [], cidrs: ['10.0.0.0/8'] };
    expect(isAllowed('idp.example.com', ['::ffff:10.1.2.3'], list)).toBe(true);
    expect(isAllowed('idp.example.com', ['::ffff:127.0.0.1'], list)).toBe(false);
  });

  it('refuses the cloud metadata address unless it is allow-listed explicitly', () => {
    expect(isAllowed('169.254.169.254', ['169.254.169.254'], none)).toBe(false);
    expect(isAllowed('fd00:ec2::254', ['fd00:ec2::254'], { hosts: [], cidrs: ['10.0.0.0/8'] })).toBe(false);
    expect(
      isAllowed('169.254.169.254', ['169.254.169.254'], { hosts: [], cidrs: ['169.254.169.254/32'] }),
    ).toBe(true);
  });

  it('rejects an allow-list entry that is not a CIDR range', () => {
    expect(() => isAllowed('a.example', ['8.8.8.8'], { hosts: [], cidrs: ['10.0.0.0/99'] })).toThrow(/CIDR/);
  });
});
