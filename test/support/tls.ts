/**
 * TLS for tests: a certificate authority made in the test, and local HTTPS (and HTTP) servers whose
 * certificates it signs — so tests talk real TLS with verification ON, trusting the test CA through
 * the outbound client's `ca` option (never by disabling checks).
 *
 * ```ts
 * const certs = testCertificates();                       // { caPem, certPem, keyPem }
 * const server = await startHttpsServer((req, res) => res.end('ok'));
 * const outbound = createOutboundFetch({ ...policy, ca: certs.caPem,
 *   allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] } });
 * await outbound(`${server.url}/path`);                    // server.url = 'https://127.0.0.1:<port>'
 * await server.close();                                    // also destroys hanging connections
 * ```
 *
 * - `testCertificates(options?)` runs `openssl` (P-256 keys) in a temporary folder removed right
 *   after, once per process and per distinct options (cached in memory, synchronous, ~50 ms). The
 *   leaf certificate is valid for `localhost`, `127.0.0.1` and `::1`, plus `options.names` (DNS
 *   names or IP addresses, e.g. `['idp.test', '127.0.0.2']`). `options.authority` names the CA:
 *   each distinct name is an independent CA, so `testCertificates({ authority: 'unknown' })` gives
 *   a certificate a client trusting the default test CA must reject.
 * - `startHttpsServer(handler, options?)` listens on `options.host` (default 127.0.0.1; '::1' and
 *   other loopback addresses such as 127.0.0.2 work on Linux) on a free port with those certificates
 *   (default `testCertificates({ names: options.names })`). `startHttpServer` is the same in plain
 *   HTTP. Both count TCP `connections` and HTTP `requests` — proof that a refused request never
 *   reached the server — and `close()` destroys every open socket first, so handlers may hang,
 *   reset the socket (`req.socket.destroy()`), redirect or stream endless bodies.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** The test CA's certificate: trust this (e.g. `ca: caPem`). */
  readonly caPem: string;
  /** The server's certificate, signed by the CA. */
  readonly certPem: string;
  /** The server's private key. */
  readonly keyPem: string;
}

export interface CertificateOptions {
  /** Extra subject alternative names: DNS names or IP addresses. */
  readonly names?: readonly string[];
  /** Name of the signing CA; each distinct name is a separate CA. Default `'test'`. */
  readonly authority?: string;
}

const authorities = new Map<string, { readonly certPem: string; readonly keyPem: string }>();
const leaves = new Map<string, TestCertificates>();

/** Runs `work` in a fresh temporary folder and removes the folder, whatever happens. */
function inTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'sso-test-tls-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function slug(text: string): string {
  return text.replace(/[^a-zA-Z0-9.-]/g, '_');
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function authority(name: string) {
  const existing = authorities.get(name);
  if (existing) return existing;
  const created = inTempDir((dir) => {
    const keyPath = join(dir, 'ca.key');
    const certPath = join(dir, 'ca.pem');
    openssl([
      'req',
      '-x509',
      ...P256,
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '30',
      '-subj',
      `/CN=${slug(name)} test CA ${randomBytes(4).toString('hex')}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  });
  authorities.set(name, created);
  return created;
}

/** A CA and a leaf certificate it signs (see the file header). Cached per process and options. */
export function testCertificates(options: CertificateOptions = {}): TestCertificates {
  const authorityName = options.authority ?? 'test';
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...(options.names ?? [])])].sort();
  const cacheKey = `${authorityName}\n${names.join(',')}`;
  const cached = leaves.get(cacheKey);
  if (cached) return cached;

  const ca = authority(authorityName);
  const san = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  const result = inTempDir((dir): TestCertificates => {
    const path = (file: string) => join(dir, file);
    writeFileSync(path('ca.pem'), ca.certPem);
    writeFileSync(path('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(
      path('leaf.ext'),
      [
        `subjectAltName=${san}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
      ].join('\n'),
    );
    openssl([
      'req',
      ...P256,
      '-keyout',
      path('leaf.key'),
      '-out',
      path('leaf.csr'),
      '-subj',
      '/CN=localhost',
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      path('leaf.csr'),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      '30',
      '-extfile',
      path('leaf.ext'),
      '-out',
      path('leaf.pem'),
    ]);
    return Object.freeze({
      caPem: ca.certPem,
      certPem: readFileSync(path('leaf.pem'), 'utf8'),
      keyPem: readFileSync(path('leaf.key'), 'utf8'),
    });
  });
  leaves.set(cacheKey, result);
  return result;
}

export type TestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface TestServerOptions {
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** HTTPS only: the certificates to serve; default `testCertificates({ names })`. */
  readonly certificates?: TestCertificates;
  /** HTTPS only: extra names for the default certificate. */
  readonly names?: readonly string[];
}

export interface TestServer {
  /** Origin without a trailing slash, e.g. `https://127.0.0.1:43817` or `https://[::1]:43817`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** HTTP requests received so far. */
  readonly requests: number;
  readonly server: Server;
  /** Destroys open sockets and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

async function start(
  server: Server,
  handler: TestHandler,
  scheme: string,
  host: string,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    Promise.resolve()
      .then(() => handler(req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  // a TLS client that rejects our certificate aborts the handshake: not a test failure
  server.on('tlsClientError', () => {});
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('test server has no port');
  const port = address.port;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `${scheme}://${shownHost}:${port}`,
    host,
    port,
    server,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/** An HTTPS server signed by the test CA (see the file header). */
export function startHttpsServer(handler: TestHandler, options: TestServerOptions = {}): Promise<TestServer> {
  const certs = options.certificates ?? testCertificates(options.names ? { names: options.names } : {});
  const server = createHttpsServer({ cert: certs.certPem, key: certs.keyPem });
  return start(server, handler, 'https', options.host ?? '127.0.0.1');
}

/** A plain HTTP server, for `allowHttp` tests. */
export function startHttpServer(handler: TestHandler, options: TestServerOptions = {}): Promise<TestServer> {
  return start(createHttpServer(), handler, 'http', options.host ?? '127.0.0.1');
}
