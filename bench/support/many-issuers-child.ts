/**
 * The child side of many-issuers-process.ts: runs the issuers and answers the parent's requests
 * (`{ id, op, args }` → `{ id, result }`) over the IPC channel.
 */
import { type ManyIssuers, startManyIssuers } from './many-issuers.js';

const issuers: ManyIssuers = await startManyIssuers(Number(process.argv[2]), Number(process.argv[3] ?? 0), {
  certPem: process.env.ISSUERS_CERT_PEM ?? '',
  keyPem: process.env.ISSUERS_KEY_PEM ?? '',
});
const ops = {
  counts: () => issuers.counts(),
  rotate: (n: number) => issuers.rotate(n),
  reset: () => issuers.reset(),
  close: async () => {
    await issuers.close();
    setImmediate(() => process.exit(0));
  },
} as const;

process.on('message', async (m: { id: number; op: keyof typeof ops; args: number[] }) => {
  const result = await (ops[m.op] as (...a: number[]) => unknown)(...m.args);
  process.send?.({ id: m.id, result: result ?? null });
});
process.send?.({ ready: { base: issuers.base, port: issuers.port } });
