/**
 * A webhook receiver for the tests: an HTTP server on loopback that verifies every request with the
 * `standardwebhooks` package (signature and timestamp tolerance) against the secrets it is given,
 * records what it received, and answers with faults on demand (a status, 429 with Retry-After, a
 * hang longer than the sender's deadline, a connection reset, a redirect).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceiverFault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  | { readonly kind: 'hang'; readonly ms: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: number };

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The parsed payload, when some secret verified it. */
  readonly payload: { id: string; type: string; timestamp: string; data: Record<string, unknown> } | null;
  /** Which of the receiver's secrets verified the request (indexes into `secrets`). */
  readonly verifiedBy: number[];
  /** What the receiver answered (a fault's kind, or 204). */
  readonly answer: string;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Secrets to verify with (set after the endpoint is created or rotated). */
  secrets: string[];
  /** The next requests get these faults, in order (one each). */
  queueFaults(...faults: ReceiverFault[]): void;
  /** Every request gets this fault until cleared (undefined). */
  alwaysFail(fault: ReceiverFault | undefined): void;
  /** Requests that some secret verified. */
  verified(): Received[];
  close(): Promise<void>;
}

/** Verifies a request as a receiver would: which of `secrets` accept it (none: forged or tampered). */
export function verifiedBy(secrets: readonly string[], body: string, headers: IncomingHttpHeaders): number[] {
  const h = {
    'webhook-id': String(headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(headers['webhook-signature'] ?? ''),
  };
  return secrets.flatMap((secret, i) => {
    try {
      new Webhook(secret).verify(body, h);
      return [i];
    } catch {
      return [];
    }
  });
}

/** Verifies with one secret, as the package does (throws WebhookVerificationError). */
export function verifyWith(secret: string, body: string, headers: Record<string, string>): unknown {
  return new Webhook(secret).verify(body, headers);
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const queued: ReceiverFault[] = [];
  let always: ReceiverFault | undefined;
  let connections = 0;
  const sockets = new Set<Socket>();
  const state = { secrets: [] as string[] };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const by = verifiedBy(state.secrets, body, req.headers);
      const fault = queued.shift() ?? always;
      received.push({
        path: req.url ?? '/',
        headers: req.headers,
        body,
        payload: by.length > 0 ? JSON.parse(body) : null,
        verifiedBy: by,
        answer: fault ? fault.kind : '204',
        at: Date.now(),
      });
      if (!fault) return void res.writeHead(204).end();
      switch (fault.kind) {
        case 'status':
          res.writeHead(fault.status, {
            'content-type': 'text/plain',
            ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
          });
          return void res.end(fault.body ?? `status ${fault.status}`);
        case 'hang':
          return void setTimeout(() => {
            if (!res.destroyed) res.writeHead(204).end();
          }, fault.ms).unref();
        case 'reset':
          return void req.socket.destroy();
        case 'redirect':
          return void res.writeHead(fault.status ?? 307, { location: fault.location }).end();
      }
    });
  });
  server.on('connection', (s: Socket) => {
    connections += 1;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    get connections() {
      return connections;
    },
    get secrets() {
      return state.secrets;
    },
    set secrets(list: string[]) {
      state.secrets = list;
    },
    queueFaults: (...faults) => void queued.push(...faults),
    alwaysFail: (fault) => {
      always = fault;
    },
    verified: () => received.filter((r) => r.verifiedBy.length > 0),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
