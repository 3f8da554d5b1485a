/** Starts bench/support/fake-cognigy-child.ts in its own process and drives it over IPC. */
import { fork } from 'node:child_process';
import type { Fault } from '../../test/support/fake-cognigy.js';

export interface RemoteFakeCognigy {
  readonly apiBase: string;
  /** The CA that signed its certificate (trust it for the calls). */
  readonly caPem: string;
  readonly pid: number;
  addKeys(keys: Array<[apiKey: string, organisation: string]>): Promise<void>;
  setLatency(ms: number): Promise<void>;
  setFaultRate(rate: number, faults: readonly Fault[]): Promise<void>;
  /** Calls answered so far, and how many of them were injected faults. */
  stats(): Promise<{ calls: number; faults: number }>;
  close(): Promise<void>;
}

export async function startRemoteFakeCognigy(): Promise<RemoteFakeCognigy> {
  const child = fork(new URL('./fake-cognigy-child.ts', import.meta.url).pathname, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  let nextId = 1;
  const { apiBase, caPem } = await new Promise<{ apiBase: string; caPem: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fake Cognigy exited with ${code}`)));
    child.on('message', (message: Record<string, unknown>) => {
      if (message.type === 'ready')
        resolve({ apiBase: message.apiBase as string, caPem: message.caPem as string });
      else pending.get(message.id as number)?.(message);
    });
  });
  const ask = (command: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, (reply) => {
        pending.delete(id);
        resolve(reply);
      });
      child.send({ ...command, id });
    });
  return {
    apiBase,
    caPem,
    pid: child.pid as number,
    addKeys: async (keys) => void (await ask({ type: 'addKeys', keys })),
    setLatency: async (ms) => void (await ask({ type: 'setLatency', ms })),
    setFaultRate: async (rate, faults) => void (await ask({ type: 'setFaultRate', rate, faults })),
    stats: async () => {
      const reply = await ask({ type: 'stats' });
      return { calls: reply.calls as number, faults: reply.faults as number };
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask({ type: 'close' });
      await exited;
    },
  };
}
