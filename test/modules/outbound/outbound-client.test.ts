import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundRequestEvent } from '../../../src/modules/outbound/outbound-client.js';
import { OutboundError } from '../../../src/modules/outbound/outbound-fetch.js';
import { PROJECT_ROOT } from '../../support/process.js';
import { startHttpServer, startHttpsServer, type TestServer, testCertificates } from '../../support/tls.js';
import { clientFactory, recordUndici, refusal, tableLookup } from './support.js';

const MiB = 1024 * 1024;
const LOOPBACK = { hosts: [], cidrs: ['127.0.0.0/8', '::1/128'] };
const NAMES = ['pinned.test', 'a.test', 'b.test'];
const certs = testCertificates({ names: NAMES });
const makeClient = clientFactory(certs.caPem);

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes = new Map<string, Route>();
const seen: Array<{ path: string; method: string; headers: IncomingMessage['headers']; body: string }> = [];

/** Dispatches on the path to `routes`, recording each request (headers and body) in `seen`. */
async function router(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  seen.push({ path, method: req.method ?? '', headers: req.headers, body });
  const route = routes.get(path);
  if (route) route(req, res, body);
  else res.writeHead(404).end('no route');
}

let server: TestServer; // https, 127.0.0.1
let other: TestServer; // https, 127.0.0.1, another port: another origin
let plain: TestServer; // http, 127.0.0.1

beforeAll(async () => {
  server = await startHttpsServer(router, { names: NAMES });
  other = await startHttpsServer(router, { names: NAMES });
  plain = await startHttpServer(router);
});

afterAll(async () => {
  await Promise.all([server, other, plain].map((s) => s?.close()));
});

const route = (path: string, handler: Route) => routes.set(path, handler);
const lastSeen = (path: string) => seen.filter((s) => s.path === path).at(-1);

describe('schemes and URLs', () => {
  it('refuses plain http by default without connecting', async () => {
    route('/plain', (_req, res) => res.end('plain'));
    const before = plain.connections;
    const error = await refusal(makeClient({ allowlist: LOOPBACK })(`${plain.url}/plain`));
    expect(error.reason).toBe('scheme');
    expect(error.detail).toMatch(/only https is allowed \(OUTBOUND_ALLOW_HTTP=true/);
    expect(plain.connections).toBe(before);
  });

  it('sends plain http when allowHttp is set', async () => {
    route('/plain', (_req, res) => res.end('plain'));
    const res = await makeClient({ allowlist: LOOPBACK, allowHttp: true })(`${plain.url}/plain`);
    expect(await res.text()).toBe('plain');
  });

  it('refuses a URL that carries a user name or password and keeps the password out of the error', async () => {
    const before = server.connections;
    const url = `https://user:s3cr3t-pw@127.0.0.1:${server.port}/`;
    const error = await refusal(makeClient({ allowlist: LOOPBACK })(url));
    expect(error.reason).toBe('url');
    expect(error.detail).toMatch(/carries a user name or password/);
    expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/s3cr3t-pw|user@/);
    expect(server.connections).toBe(before);
  });

  it('refuses a redirect from https to http unless http is allowed', async () => {
    route('/to-http', (_req, res) => res.writeHead(302, { location: `${plain.url}/plain` }).end());
    route('/plain', (_req, res) => res.end('plain'));
    const error = await refusal(
      makeClient({ allowlist: LOOPBACK })(`${server.url}/to-http`, { maxRedirects: 2 }),
    );
    expect(error.reason).toBe('scheme');
    expect(error.detail).toMatch(/redirected from 127\.0\.0\.1/);
  });
});

describe('DNS pinning', () => {
  let pinned: TestServer; // https on 127.0.0.2, known as pinned.test

  beforeAll(async () => {
    pinned = await startHttpsServer((req, res) => res.end(req.socket.localAddress), {
      host: '127.0.0.2',
      names: NAMES,
    });
  });
  afterAll(() => pinned.close());

  /** First answer: 127.0.0.2 (allow-listed, standing in for a public address); then 127.0.0.1. */
  function rebindingLookup() {
    const calls: string[] = [];
    return {
      calls,
      lookup: async (hostname: string) => {
        calls.push(hostname);
        return [{ address: calls.length === 1 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
      },
    };
  }

  it('connects to the address it checked, resolving the name only once', async () => {
    const dns = rebindingLookup();
    const client = makeClient({ allowlist: { hosts: [], cidrs: ['127.0.0.2/32'] }, lookup: dns.lookup });
    // pinned.test exists in no real DNS: only the checked answer can have been used to connect
    const res = await client(`https://pinned.test:${pinned.port}/`);
    expect(await res.text()).toBe('127.0.0.2');
    expect(dns.calls).toEqual(['pinned.test']);
  });

  it('refuses the next request when the name now resolves to a refused address, despite a kept-alive connection', async () => {
    const dns = rebindingLookup();
    const client = makeClient({ allowlist: { hosts: [], cidrs: ['127.0.0.2/32'] }, lookup: dns.lookup });
    await (await client(`https://pinned.test:${pinned.port}/`)).text();
    const requestsBefore = pinned.requests;
    const error = await refusal(client(`https://pinned.test:${pinned.port}/`));
    expect(error.reason).toBe('address');
    expect(error.detail).toMatch(/pinned\.test resolves to 127\.0\.0\.1, a loopback address/);
    expect(pinned.requests).toBe(requestsBefore);
    expect(dns.calls).toHaveLength(2);
  });

  it('verifies the certificate against the host name, not the pinned address', async () => {
    const client = makeClient({
      allowlist: LOOPBACK,
      lookup: tableLookup({ 'not-in-cert.test': ['127.0.0.1'] }).lookup,
    });
    // the certificate is valid for 127.0.0.1, but not for the name asked for
    const error = await refusal(client(`https://not-in-cert.test:${server.port}/`));
    expect(error.reason).toBe('network');
    expect(error.detail).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('sends the original name as Host', async () => {
    route('/host', (req, res) => res.end(req.headers.host));
    const client = makeClient({
      allowlist: LOOPBACK,
      lookup: tableLookup({ 'a.test': ['127.0.0.1'] }).lookup,
    });
    const res = await client(`https://a.test:${server.port}/host`);
    expect(await res.text()).toBe(`a.test:${server.port}`);
  });
});

describe('redirects', () => {
  beforeAll(() => {
    for (let n = 1; n <= 5; n += 1) {
      route(`/hop/${n}`, (_req, res) => res.writeHead(302, { location: `/hop/${n - 1}` }).end('moving'));
    }
    route('/hop/0', (_req, res) => res.end('arrived'));
  });

  it('returns a redirect unfollowed when maxRedirects is 0, the default', async () => {
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/hop/1`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hop/0');
    expect(res.redirected).toBe(false);
  });

  it('follows up to maxRedirects and reports the final URL', async () => {
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/hop/3`, { maxRedirects: 3 });
    expect(await res.text()).toBe('arrived');
    expect(res.url).toBe(`${server.url}/hop/0`);
    expect(res.redirected).toBe(true);
  });

  it('fails with redirects when there is one redirect more than allowed', async () => {
    const error = await refusal(
      makeClient({ allowlist: LOOPBACK })(`${server.url}/hop/4`, { maxRedirects: 3 }),
    );
    expect(error.reason).toBe('redirects');
    expect(error.detail).toBe(`127.0.0.1:${server.port} redirected more than 3 times`);
  });

  it.each([301, 302, 303])('turns a POST into a GET without body on %i', async (status) => {
    route(`/post-${status}`, (_req, res) => res.writeHead(status, { location: `/landed-${status}` }).end());
    route(`/landed-${status}`, (req, res) => res.end(req.method));
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/post-${status}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code',
      maxRedirects: 1,
    });
    expect(await res.text()).toBe('GET');
    const landed = lastSeen(`/landed-${status}`);
    expect(landed?.body).toBe('');
    expect(landed?.headers['content-type']).toBeUndefined();
  });

  it.each([307, 308])('resends a POST with its body on %i', async (status) => {
    route(`/post-${status}`, (_req, res) => res.writeHead(status, { location: `/landed-${status}` }).end());
    route(`/landed-${status}`, (req, res, body) => res.end(`${req.method} ${body}`));
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/post-${status}`, {
      method: 'POST',
      body: new URLSearchParams({ code: 'abc' }),
      maxRedirects: 1,
    });
    expect(await res.text()).toBe('POST code=abc');
    expect(lastSeen(`/landed-${status}`)?.headers['content-type']).toMatch(/x-www-form-urlencoded/);
  });

  it.each([
    ['typed by the caller', { 'content-type': 'application/json' }, 'application/json'],
    ['untyped, as fetch types a string', {}, 'text/plain;charset=UTF-8'],
  ])('sends a string body as its UTF-8 bytes, %s', async (_what, headers, type) => {
    route('/string-body', (_req, res) => res.end('ok'));
    const body = JSON.stringify({ name: 'Zoë ✓', n: 1 });
    await makeClient({ allowlist: LOOPBACK })(`${server.url}/string-body`, { method: 'POST', headers, body });
    const seenBody = lastSeen('/string-body');
    expect(seenBody?.body).toBe(body);
    expect(seenBody?.headers['content-type']).toBe(type);
    expect(seenBody?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('drops Authorization and Cookie on a redirect to another origin', async () => {
    route('/cross', (_req, res) => res.writeHead(302, { location: `${other.url}/echo-auth` }).end());
    route('/echo-auth', (req, res) =>
      res.end(`${req.headers.authorization ?? '-'} ${req.headers.cookie ?? '-'}`),
    );
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/cross`, {
      headers: { authorization: 'Bearer secret-token', cookie: 'sid=1', accept: 'application/json' },
      maxRedirects: 1,
    });
    expect(await res.text()).toBe('- -');
    expect(lastSeen('/echo-auth')?.headers.accept).toBe('application/json');
  });

  it('keeps Authorization on a redirect within the same origin', async () => {
    route('/same', (_req, res) => res.writeHead(302, { location: '/echo-auth' }).end());
    route('/echo-auth', (req, res) =>
      res.end(`${req.headers.authorization ?? '-'} ${req.headers.cookie ?? '-'}`),
    );
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/same`, {
      headers: { authorization: 'Bearer secret-token' },
      maxRedirects: 1,
    });
    expect(await res.text()).toBe('Bearer secret-token -');
  });
});

describe('response bodies', () => {
  it('reads a body of exactly the limit', async () => {
    route('/exact', (_req, res) => res.end(Buffer.alloc(MiB, 'a')));
    const res = await makeClient({ allowlist: LOOPBACK })(`${server.url}/exact`);
    expect((await res.arrayBuffer()).byteLength).toBe(MiB);
  });

  it('refuses a body announced larger than 1 MiB by Content-Length, without reading it', async () => {
    route('/announced', (_req, res) => {
      res.writeHead(200, { 'content-length': String(MiB + 1) });
      res.write(Buffer.alloc(1024)); // the rest never comes: reading it would wait for the deadline
    });
    const started = performance.now();
    const error = await refusal(
      makeClient({ allowlist: LOOPBACK })(`${server.url}/announced`, { timeoutMs: 10_000 }),
    );
    expect(error.reason).toBe('too_large');
    expect(error.detail).toBe(
      `127.0.0.1:${server.port} sent a response body of ${MiB + 1} bytes, more than the ${MiB}-byte limit`,
    );
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses a body over 1 MiB sent without Content-Length', async () => {
    route('/chunked', (_req, res) => {
      res.write(Buffer.alloc(MiB, 'a'));
      res.end(Buffer.alloc(1, 'a'));
    });
    const error = await refusal(makeClient({ allowlist: LOOPBACK })(`${server.url}/chunked`));
    expect(error.reason).toBe('too_large');
    expect(error.detail).toBe(
      `127.0.0.1:${server.port} sent a response body larger than the ${MiB}-byte limit; reading stopped there`,
    );
  });

  it('stops reading an endless body as soon as it passes the limit', async () => {
    let written = 0;
    route('/endless', (_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const error = await refusal(
      makeClient({ allowlist: LOOPBACK })(`${server.url}/endless`, {
        maxBytes: 256 * 1024,
        timeoutMs: 5_000,
      }),
    );
    expect(error.reason).toBe('too_large');
    expect(written).toBeLessThan(16 * MiB);
  });

  it('caps the decoded size of a compressed body and hands back decoded bytes', async () => {
    const json = JSON.stringify({ issuer: 'https://idp.example.com/' });
    route('/gzip', (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        .end(gzipSync(json)),
    );
    route('/bomb', (_req, res) =>
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(8 * MiB))),
    );
    const client = makeClient({ allowlist: LOOPBACK });
    const res = await client(`${server.url}/gzip`);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ issuer: 'https://idp.example.com/' });
    expect((await refusal(client(`${server.url}/bomb`))).reason).toBe('too_large');
  });

  it('returns a Response with status, status text, headers, URL and a readable body', async () => {
    route('/teapot', (_req, res) => {
      res.statusMessage = 'Short and stout';
      res.writeHead(418, { 'x-test': 'yes', 'content-type': 'text/plain' }).end('tea');
    });
    route('/empty', (_req, res) => res.writeHead(204).end());
    const client = makeClient({ allowlist: LOOPBACK });
    const res = await client(`${server.url}/teapot`);
    expect(res).toBeInstanceOf(Response);
    expect([res.status, res.statusText, res.ok]).toEqual([418, 'Short and stout', false]);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(res.url).toBe(`${server.url}/teapot`);
    expect(await res.text()).toBe('tea');
    const empty = await client(`${server.url}/empty`);
    expect([empty.status, empty.body]).toEqual([204, null]);
  });
});

describe('deadlines', () => {
  it('times out a server that never answers within about timeoutMs, while the event loop keeps running', async () => {
    route('/hang', () => {});
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 10);
    const started = performance.now();
    const error = await refusal(
      makeClient({ allowlist: LOOPBACK, timeoutMs: 500 })(`${server.url}/hang`),
    ).finally(() => clearInterval(ticker));
    const elapsed = performance.now() - started;
    expect(error.reason).toBe('timeout');
    expect(error.detail).toBe(`127.0.0.1:${server.port} did not answer completely within 500 ms`);
    expect(elapsed).toBeGreaterThanOrEqual(480);
    expect(elapsed).toBeLessThan(2_000);
    expect(ticks).toBeGreaterThanOrEqual(5); // ~50 on an idle machine; a blocked loop gives 0 or 1
  });

  it('counts the body in the deadline', async () => {
    route('/stall', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).write('partial'));
    const started = performance.now();
    const error = await refusal(
      makeClient({ allowlist: LOOPBACK })(`${server.url}/stall`, { timeoutMs: 300 }),
    );
    expect(error.reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('counts name resolution in the deadline', async () => {
    const client = makeClient({ timeoutMs: 200, lookup: () => new Promise(() => {}) });
    const error = await refusal(client('https://slow-dns.test/'));
    expect(error.reason).toBe('timeout');
  });

  it("turns the caller's TimeoutError into timeout and passes any other abort reason through", async () => {
    route('/hang', () => {});
    const client = makeClient({ allowlist: LOOPBACK });
    const timedOut = await refusal(client(`${server.url}/hang`, { signal: AbortSignal.timeout(100) }));
    expect(timedOut.reason).toBe('timeout');
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(client(`${server.url}/hang`, { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('network failures', () => {
  it('reports a connection reset before the answer as network', async () => {
    route('/reset', (req) => req.socket.destroy());
    const error = await refusal(makeClient({ allowlist: LOOPBACK })(`${server.url}/reset`));
    expect(error.reason).toBe('network');
    expect(error.detail).toMatch(/^127\.0\.0\.1:\d+ closed the connection before the answer was complete/);
  });

  it('reports a connection reset in the middle of the body as network', async () => {
    route('/reset-mid-body', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x'.repeat(100), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const error = await refusal(makeClient({ allowlist: LOOPBACK })(`${server.url}/reset-mid-body`));
    expect(error.reason).toBe('network');
  });

  it('reports a refused connection as network', async () => {
    const closed = await startHttpsServer(() => {});
    const url = closed.url;
    await closed.close();
    const error = await refusal(makeClient({ allowlist: LOOPBACK })(`${url}/`));
    expect(error.reason).toBe('network');
    expect(error.detail).toMatch(/refused the connection \(ECONNREFUSED\)/);
  });

  it('refuses a certificate from an unknown CA, and accepts it once that CA is trusted through ca', async () => {
    const unknown = testCertificates({ authority: 'unknown' });
    const stranger = await startHttpsServer((_req, res) => res.end('hello'), { certificates: unknown });
    try {
      const error = await refusal(makeClient({ allowlist: LOOPBACK })(`${stranger.url}/`));
      expect(error.reason).toBe('network');
      expect(error.detail).toMatch(/TLS certificate that cannot be verified/);
      expect(stranger.requests).toBe(0);
      const res = await makeClient({ allowlist: LOOPBACK, ca: unknown.caPem })(`${stranger.url}/`);
      expect(await res.text()).toBe('hello');
    } finally {
      await stranger.close();
    }
  });

  it('trusts a CA from NODE_EXTRA_CA_CERTS when no ca option is given', async () => {
    route('/extra-ca', (_req, res) => res.end('trusted'));
    const dir = mkdtempSync(join(tmpdir(), 'outbound-extra-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      const script = join(dir, 'child.mts');
      writeFileSync(caFile, certs.caPem);
      const module = resolve(PROJECT_ROOT, 'src/modules/outbound/outbound-client.ts');
      writeFileSync(
        script,
        `import { createOutboundFetch } from ${JSON.stringify(module)};
         const f = createOutboundFetch({ allowlist: { hosts: [], cidrs: ['127.0.0.0/8'] }, allowHttp: false, timeoutMs: 5000 });
         try { console.log(await (await f(process.argv[2])).text()); } catch (e) { console.log(e.reason, e.detail); }
         await f.close();`,
      );
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', script, `${server.url}/extra-ca`],
        { cwd: PROJECT_ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } },
      );
      expect(stdout.trim()).toBe('trusted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never puts request headers or bodies into its errors', async () => {
    route('/reset', (req) => req.socket.destroy());
    route('/hang', () => {});
    route('/announced', (_req, res) => res.writeHead(200, { 'content-length': String(10 * MiB) }).write('x'));
    const client = makeClient({ allowlist: LOOPBACK, timeoutMs: 300 });
    const secret = 'Sup3rS3cretValue';
    const request = {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret },
      body: `client_secret=${secret}`,
    };
    const errors = await Promise.all(
      [
        `${server.url}/reset`,
        `${server.url}/hang`,
        `${server.url}/announced`,
        `https://10.0.0.5/`,
        `http://127.0.0.1:${plain.port}/`,
      ].map((url) => refusal(client(url, request))),
    );
    expect(errors.map((e) => e.reason).sort()).toEqual([
      'address',
      'network',
      'scheme',
      'timeout',
      'too_large',
    ]);
    for (const error of errors) {
      expect(`${error.message} ${error.detail} ${error.url} ${JSON.stringify(error)}`).not.toContain(secret);
    }
    const invalid = await refusal(
      client(`${server.url}/`, { headers: { authorization: `Bearer ${secret}\r\nx-injected: 1` } }),
    );
    expect(invalid.detail).toMatch(/invalid header/);
    expect(`${invalid.message} ${JSON.stringify(invalid)}`).not.toContain(secret);
  });
});

describe('connections', () => {
  it('reuses a kept-alive connection for requests to the same origin', async () => {
    route('/ok', (_req, res) => res.end('ok'));
    const client = makeClient({ allowlist: LOOPBACK });
    const before = other.connections;
    for (let i = 0; i < 10; i += 1) await (await client(`${other.url}/ok`)).text();
    // undici may open a second socket while the first is being handed back; never one per request
    expect(other.connections - before).toBeLessThanOrEqual(2);
  });

  it('opens no more than maxConnectionsPerOrigin connections to one origin', async () => {
    route('/slow', (_req, res) => setTimeout(() => res.end('slow'), 100));
    const client = makeClient({ allowlist: LOOPBACK, maxConnectionsPerOrigin: 2 });
    const before = other.connections;
    const bodies = await Promise.all(
      Array.from({ length: 6 }, async () => (await client(`${other.url}/slow`)).text()),
    );
    expect(bodies).toEqual(Array(6).fill('slow'));
    expect(other.connections - before).toBe(2);
  });

  it('closes its sockets on close() and refuses calls afterwards', async () => {
    route('/ok', (_req, res) => res.end('ok'));
    const client = makeClient({ allowlist: LOOPBACK });
    await (await client(`${server.url}/ok`)).text();
    await client.close();
    const error = await refusal(client(`${server.url}/ok`));
    expect(error.reason).toBe('network');
    expect(error.detail).toBe('the outbound HTTP client is closed');
  });

  it('reports every call to onRequest with host, outcome, status, redirects and duration', async () => {
    route('/ok', (_req, res) => res.end('ok'));
    route('/to-ok', (_req, res) => res.writeHead(302, { location: '/ok' }).end());
    const events: OutboundRequestEvent[] = [];
    const client = makeClient({ allowlist: LOOPBACK, onRequest: (e) => events.push(e) });
    await (await client(`${server.url}/to-ok`, { maxRedirects: 1 })).text();
    await refusal(client('https://10.0.0.5/'));
    expect(events).toEqual([
      { host: `127.0.0.1:${server.port}`, outcome: 'ok', status: 200, redirects: 1, ms: expect.any(Number) },
      { host: '10.0.0.5', outcome: 'address', redirects: 0, ms: expect.any(Number) },
    ]);
  });

  it('starts no request at all for a refused URL', async () => {
    const undici = recordUndici();
    await refusal(makeClient()('https://192.168.0.1/')).finally(() => undici.stop());
    expect(undici.requests).toEqual([]);
  });

  it('throws only OutboundError instances for policy refusals', async () => {
    await expect(makeClient()('https://127.0.0.1/')).rejects.toBeInstanceOf(OutboundError);
  });
});
