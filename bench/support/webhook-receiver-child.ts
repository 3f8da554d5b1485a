/**
 * The webhook receivers of bench:webhooks, in a process of their own (receivers are other systems;
 * their CPU must not be the load generator's): one HTTP server per endpoint on loopback, answering
 * 204 at once, counting requests and distinct webhook-ids, and verifying every VERIFY_EVERY-th
 * request with the `standardwebhooks` package against the secret it was given. Driven over IPC.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const VERIFY_EVERY = 25;
interface Receiver {
  requests: number;
  ids: Set<string>;
  verified: number;
  failed: number;
  secret: string | null;
}
const receivers: Receiver[] = [];
const ports: number[] = [];
const count = Number(process.argv[2] ?? 3);

for (let i = 0; i < count; i += 1) {
  const r: Receiver = { requests: 0, ids: new Set(), verified: 0, failed: 0, secret: null };
  receivers.push(r);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests += 1;
      const id = String(req.headers['webhook-id'] ?? '');
      if (id) r.ids.add(id);
      if (r.secret && id && r.requests % VERIFY_EVERY === 0) {
        try {
          new Webhook(r.secret).verify(Buffer.concat(chunks).toString('utf8'), {
            'webhook-id': id,
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          });
          r.verified += 1;
        } catch {
          r.failed += 1;
        }
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as { port: number }).port);
}

process.on('message', (m: { id: number; type: string; secrets?: string[] }) => {
  if (m.type === 'secrets') {
    for (const [i, secret] of (m.secrets ?? []).entries()) (receivers[i] as Receiver).secret = secret;
  }
  if (m.type === 'reset')
    for (const r of receivers) Object.assign(r, { requests: 0, ids: new Set(), verified: 0, failed: 0 });
  if (m.type === 'close') {
    process.send?.({ id: m.id });
    process.exit(0);
  }
  process.send?.({
    id: m.id,
    stats: receivers.map((r) => ({
      requests: r.requests,
      distinct: r.ids.size,
      verified: r.verified,
      failed: r.failed,
    })),
  });
});
process.send?.({ type: 'ready', ports });
