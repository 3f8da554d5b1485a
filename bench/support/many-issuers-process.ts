/**
 * The loopback issuers of many-issuers.ts in a process of their own. An IdP is another machine:
 * served from the bench's own process, its TLS handshakes and JSON would run on the event loop that
 * also times the load generator's answers, and be counted as the service's latency.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testCertificates } from '../../test/support/tls.js';

export interface IssuersProcess {
  readonly base: string;
  readonly port: number;
  issuer(n: number): string;
  rotate(n: number): Promise<void>;
  /** Requests for each issuer's document and JWKS since the last reset, by issuer number. */
  counts(): Promise<{ documents: number[]; jwks: number[]; other: number }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startManyIssuersProcess(count: number, port = 0): Promise<IssuersProcess> {
  const { certPem, keyPem } = testCertificates();
  const child = fork(
    fileURLToPath(new URL('./many-issuers-child.ts', import.meta.url)),
    [String(count), String(port)],
    {
      execArgv: ['--import', 'tsx'],
      // The parent's certificate: the one whose authority the service is told to trust.
      env: { ...process.env, ISSUERS_CERT_PEM: certPem, ISSUERS_KEY_PEM: keyPem },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await new Promise<{ base: string; port: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the issuers' process exited with ${code}`)));
    child.once('message', (m: { ready: { base: string; port: number } }) => resolve(m.ready));
  });
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  child.on('message', (m: { id?: number; result?: unknown }) => {
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
    if (m.id !== undefined) waiting.delete(m.id);
  });
  const call = <T>(op: string, ...args: number[]) =>
    new Promise<T>((resolve) => {
      next += 1;
      const id = next;
      waiting.set(id, resolve as (result: unknown) => void);
      child.send({ id, op, args });
    });
  return {
    ...ready,
    issuer: (n) => `${ready.base}/t/${n}`,
    rotate: (n) => call('rotate', n),
    counts: () => call('counts'),
    reset: () => call('reset'),
    close: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ id: 0, op: 'close', args: [] });
      await exited;
    },
  };
}
