/** Starts bench/support/fake-cognigy-child.ts in its own process and drives it over IPC. */
import { fork } from 'node:child_process';
import type { Fault } from '../../test/support/fake-cognigy.js';

export interface RemoteFakeCognigy {
  /** The first installation's API base. */
  readonly apiBase: string;
  /** Every installation's API base (one server, one origin each). */
  readonly apiBases: readonly string[];
  /** The CA that signed its certificate (trust it for the calls). */
  readonly caPem: string;
  readonly pid: number;
  addKeys(keys: Array<[apiKey: string, organisation: string]>): Promise<void>;
  setLatency(ms: number): Promise<void>;
  setFaultRate(rate: number, faults: readonly Fault[]): Promise<void>;
  /**
   * Calls answered so far, how many of them were injected faults, and the most calls each
   * installation had open at once since the last `resetGauges`.
   */
  stats(): Promise<{ calls: number; faults: number; most: number[] }>;
  resetGauges(): Promise<void>;
  close(): Promise<void>;
}

/** Starts `installations` fake installations (default 1) in one process of their own. */
export async function startRemoteFakeCognigy(installations = 1): Promise<RemoteFakeCognigy> {
  const child = fork(new URL('./fake-cognigy-child.ts', import.meta.url).pathname, [String(installations)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  let nextId = 1;
  const { apiBases, caPem } = await new Promise<{ apiBases: string[]; caPem: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fake Cognigy exited with ${code}`)));
    child.on('message', (message: Record<string, unknown>) => {
      if (message.type === 'ready')
        resolve({ apiBases: message.apiBases as string[], caPem: message.caPem as string });
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
    apiBase: apiBases[0] as string,
    apiBases,
    caPem,
    pid: child.pid as number,
    addKeys: async (keys) => void (await ask({ type: 'addKeys', keys })),
    setLatency: async (ms) => void (await ask({ type: 'setLatency', ms })),
    setFaultRate: async (rate, faults) => void (await ask({ type: 'setFaultRate', rate, faults })),
    stats: async () => {
      const reply = await ask({ type: 'stats' });
      return { calls: reply.calls as number, faults: reply.faults as number, most: reply.most as number[] };
    },
    resetGauges: async () => void (await ask({ type: 'resetGauges' })),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask({ type: 'close' });
      await exited;
    },
  };
}
