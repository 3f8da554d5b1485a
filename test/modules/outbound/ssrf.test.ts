/**
 * The SSRF acceptance of issue 4: loopback, private, link-local, CGNAT, metadata, unique-local and
 * disguised addresses are refused by default without a request leaving the process (undici's own
 * diagnostics channels and the target servers' connection counters both stay silent), and are
 * reached once the allow-list names the host or a CIDR holding the address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundAllowlist } from '../../../src/config/config.js';
import { startHttpServer, startHttpsServer, type TestServer, testCertificates } from '../../support/tls.js';
import { clientFactory, NO_EXCEPTIONS, recordUndici, refusal, tableLookup } from './support.js';

const NAMES = ['::ffff:127.0.0.1', 'internal.test', 'public.test'];
const certs = testCertificates({ names: NAMES });
const makeClient = clientFactory(certs.caPem);

let loopback: TestServer; // https on 127.0.0.1: the target every disguise below points at
let loopbackV6: TestServer; // https on ::1
let plain: TestServer; // http on 127.0.0.1
let publicSite: TestServer; // https on 127.0.0.2, which the tests treat as a public address
const redirectTo = { location: '' };

beforeAll(async () => {
  const ok = (_req: unknown, res: import('node:http').ServerResponse) => res.end('reached');
  loopback = await startHttpsServer(ok, { names: NAMES });
  loopbackV6 = await startHttpsServer(ok, { host: '::1', names: NAMES });
  plain = await startHttpServer(ok);
  publicSite = await startHttpsServer(
    (_req, res) => res.writeHead(302, { location: redirectTo.location }).end(),
    { host: '127.0.0.2', names: NAMES },
  );
});

afterAll(async () => {
  await Promise.all([loopback, loopbackV6, plain, publicSite].map((server) => server?.close()));
});

function connectionsSoFar() {
  return loopback.connections + loopbackV6.connections + plain.connections;
}

interface ReachableCase {
  readonly title: string;
  readonly url: () => string;
  readonly server: () => TestServer;
  readonly allow: OutboundAllowlist;
  readonly lookup?: Record<string, readonly string[]>;
  readonly allowHttp?: boolean;
}

const reachable: ReachableCase[] = [
  {
    title: 'https://127.0.0.1',
    url: () => `https://127.0.0.1:${loopback.port}/`,
    server: () => loopback,
    allow: { hosts: [], cidrs: ['127.0.0.1/32'] },
  },
  {
    title: 'https://localhost (system resolver)',
    url: () => `https://localhost:${loopback.port}/`,
    server: () => loopback,
    allow: { hosts: ['localhost'], cidrs: [] },
  },
  {
    title: 'https://[::1]',
    url: () => `https://[::1]:${loopbackV6.port}/`,
    server: () => loopbackV6,
    allow: { hosts: [], cidrs: ['::1/128'] },
  },
  {
    title: 'https://[::ffff:127.0.0.1] (IPv4-mapped)',
    url: () => `https://[::ffff:127.0.0.1]:${loopback.port}/`,
    server: () => loopback,
    allow: { hosts: [], cidrs: ['127.0.0.0/8'] },
  },
  {
    title: 'http://2130706433 (decimal spelling of 127.0.0.1)',
    url: () => `http://2130706433:${plain.port}/`,
    server: () => plain,
    allow: { hosts: [], cidrs: ['127.0.0.0/8'] },
    allowHttp: true,
  },
  {
    title: 'https://0177.0.0.1 (octal spelling of 127.0.0.1)',
    url: () => `https://0177.0.0.1:${loopback.port}/`,
    server: () => loopback,
    allow: { hosts: [], cidrs: ['127.0.0.0/8'] },
  },
  {
    title: 'a name that resolves to a loopback address, allowed by name',
    url: () => `https://internal.test:${loopback.port}/`,
    server: () => loopback,
    lookup: { 'internal.test': ['127.0.0.1'] },
    allow: { hosts: ['internal.test'], cidrs: [] },
  },
  {
    title: 'a name that resolves to a loopback address, allowed by CIDR',
    url: () => `https://internal.test:${loopback.port}/`,
    server: () => loopback,
    lookup: { 'internal.test': ['127.0.0.1'] },
    allow: { hosts: [], cidrs: ['127.0.0.0/8'] },
  },
];

describe('targets on this machine', () => {
  it.each(reachable)('refuses $title by default without connecting to it', async (c) => {
    const client = makeClient({
      allowHttp: c.allowHttp ?? false,
      ...(c.lookup ? { lookup: tableLookup(c.lookup).lookup } : {}),
    });
    const before = connectionsSoFar();
    const undici = recordUndici();
    const error = await refusal(client(c.url())).finally(() => undici.stop());
    expect(error.reason).toBe('address');
    expect(error.detail).toMatch(/loopback/);
    expect(error.detail).toMatch(/OUTBOUND_ALLOWLIST/);
    expect(undici.requests).toEqual([]);
    expect(undici.connects).toEqual([]);
    expect(connectionsSoFar()).toBe(before);
  });

  it.each(reachable)('reaches $title when the allow-list says so', async (c) => {
    const client = makeClient({
      allowlist: c.allow,
      allowHttp: c.allowHttp ?? false,
      ...(c.lookup ? { lookup: tableLookup(c.lookup).lookup } : {}),
    });
    const server = c.server();
    const before = server.requests;
    const res = await client(c.url());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('reached');
    expect(server.requests).toBe(before + 1);
  });
});

interface RemoteCase {
  readonly title: string;
  readonly url: string;
  readonly range: RegExp;
  readonly allow: OutboundAllowlist;
  readonly lookup?: Record<string, readonly string[]>;
}

// Nothing listens at these addresses here; port 4 (unassigned) keeps an allowed attempt harmless.
const remote: RemoteCase[] = [
  {
    title: '10.0.0.5',
    url: 'https://10.0.0.5:4/',
    range: /private/,
    allow: { hosts: [], cidrs: ['10.0.0.0/8'] },
  },
  {
    title: '172.16.0.1',
    url: 'https://172.16.0.1:4/',
    range: /private/,
    allow: { hosts: [], cidrs: ['172.16.0.0/12'] },
  },
  {
    title: '192.168.1.1',
    url: 'https://192.168.1.1:4/',
    range: /private/,
    allow: { hosts: [], cidrs: ['192.168.0.0/16'] },
  },
  {
    title: 'the metadata service 169.254.169.254',
    url: 'https://169.254.169.254:4/latest/meta-data/',
    range: /metadata/,
    allow: { hosts: [], cidrs: ['169.254.169.254/32'] },
  },
  {
    title: '100.64.0.1 (CGNAT)',
    url: 'https://100.64.0.1:4/',
    range: /carrier-grade NAT/,
    allow: { hosts: [], cidrs: ['100.64.0.0/10'] },
  },
  {
    title: '[fd00::1] (unique-local)',
    url: 'https://[fd00::1]:4/',
    range: /unique-local/,
    allow: { hosts: [], cidrs: ['fd00::/8'] },
  },
  {
    title: '[fd00:ec2::254] (the IPv6 metadata service)',
    url: 'https://[fd00:ec2::254]:4/',
    range: /metadata/,
    allow: { hosts: [], cidrs: ['fd00:ec2::254/128'] },
  },
  {
    title: 'a name that resolves to a private address',
    url: 'https://intranet.test:4/',
    range: /intranet\.test resolves to 10\.0\.0\.5, a private address/,
    lookup: { 'intranet.test': ['10.0.0.5'] },
    allow: { hosts: ['intranet.test'], cidrs: [] },
  },
];

describe('targets in private ranges', () => {
  it.each(remote)('refuses $title by default without sending a request', async (c) => {
    const client = makeClient(c.lookup ? { lookup: tableLookup(c.lookup).lookup } : {});
    const undici = recordUndici();
    const error = await refusal(client(c.url)).finally(() => undici.stop());
    expect(error.reason).toBe('address');
    expect(error.detail).toMatch(c.range);
    expect(undici.requests).toEqual([]);
    expect(undici.connects).toEqual([]);
  });

  it.each(remote)('lets a request to $title through the policy when the allow-list says so', async (c) => {
    const client = makeClient({
      allowlist: c.allow,
      timeoutMs: 300,
      ...(c.lookup ? { lookup: tableLookup(c.lookup).lookup } : {}),
    });
    const undici = recordUndici();
    const error = await refusal(client(c.url)).finally(() => undici.stop());
    // nothing answers there: what matters is that the policy let the connection be attempted
    expect(['network', 'timeout']).toContain(error.reason);
    expect(undici.requests).toHaveLength(1);
  });
});

describe('names with several addresses', () => {
  it('refuses a name when one of its addresses is private, even if another is public', async () => {
    const client = makeClient({ lookup: tableLookup({ 'mixed.test': ['8.8.8.8', '192.168.0.7'] }).lookup });
    const undici = recordUndici();
    const error = await refusal(client('https://mixed.test/')).finally(() => undici.stop());
    expect(error.reason).toBe('address');
    expect(error.detail).toBe(
      'mixed.test resolves to 192.168.0.7, a private address; add mixed.test or 192.168.0.7 to OUTBOUND_ALLOWLIST to allow it',
    );
    expect(undici.requests).toEqual([]);
  });
});

describe('redirects to private targets', () => {
  const looksPublic: OutboundAllowlist = { hosts: [], cidrs: ['127.0.0.2/32'] };
  const lookup = { 'public.test': ['127.0.0.2'], 'internal.test': ['127.0.0.1'] };

  it.each([
    ['a literal loopback address', () => `https://127.0.0.1:${loopback.port}/`],
    ['a name that resolves to a loopback address', () => `https://internal.test:${loopback.port}/`],
  ])(
    'refuses a public-looking URL that redirects to %s, without contacting the target',
    async (_, target) => {
      redirectTo.location = target();
      const client = makeClient({ allowlist: looksPublic, lookup: tableLookup(lookup).lookup });
      const before = loopback.connections;
      const error = await refusal(client(`https://public.test:${publicSite.port}/`, { maxRedirects: 3 }));
      expect(error.reason).toBe('address');
      expect(error.detail).toMatch(/loopback/);
      expect(error.detail).toMatch(/redirected from public\.test/);
      expect(loopback.connections).toBe(before);
    },
  );

  it('follows the same redirect when the allow-list includes the target', async () => {
    redirectTo.location = `https://internal.test:${loopback.port}/`;
    const client = makeClient({
      allowlist: { hosts: [], cidrs: ['127.0.0.2/32', '127.0.0.1/32'] },
      lookup: tableLookup(lookup).lookup,
    });
    const before = loopback.requests;
    const res = await client(`https://public.test:${publicSite.port}/`, { maxRedirects: 3 });
    expect(await res.text()).toBe('reached');
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`https://internal.test:${loopback.port}/`);
    expect(loopback.requests).toBe(before + 1);
  });
});

describe('URL forms the policy refuses outright', () => {
  it.each([
    ['ftp://example.com/file', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['data:text/plain,hello', 'scheme'],
    ['not a url', 'url'],
  ])('refuses %s (%s) without a request', async (url, reason) => {
    const client = makeClient({ allowlist: { hosts: ['*.com'], cidrs: ['0.0.0.0/0'] } });
    const undici = recordUndici();
    const error = await refusal(client(url)).finally(() => undici.stop());
    expect(error.reason).toBe(reason);
    expect(undici.requests).toEqual([]);
  });

  it('refuses a name that does not resolve, as resolve', async () => {
    const client = makeClient({ lookup: tableLookup({}).lookup });
    const error = await refusal(client('https://nowhere.test/'));
    expect(error.reason).toBe('resolve');
    expect(error.detail).toBe('nowhere.test does not resolve to an address (ENOTFOUND)');
  });

  it('refuses without exceptions by default, even for a host on no list', async () => {
    const client = makeClient({ allowlist: NO_EXCEPTIONS });
    expect((await refusal(client('https://127.0.0.1/'))).reason).toBe('address');
  });
});
