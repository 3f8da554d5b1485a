/**
 * Fake Cognigy installations (test/support/fake-cognigy.ts) in a process of their own, driven over
 * IPC by remote-fake-cognigy.ts: Cognigy is an external service, so a benchmark must not spend the
 * service's own CPU on answering its calls. `process.argv[2]` installations (default 1), each a
 * server of its own (an origin of its own), all accepting every key added.
 */
import { type Fault, startFakeCognigy } from '../../test/support/fake-cognigy.js';
import { testCertificates } from '../../test/support/tls.js';

type Command =
  | { id: number; type: 'addKeys'; keys: Array<[string, string]> }
  | { id: number; type: 'setLatency'; ms: number }
  | { id: number; type: 'setFaultRate'; rate: number; faults: Fault[] }
  | { id: number; type: 'stats' }
  | { id: number; type: 'resetGauges' }
  | { id: number; type: 'close' };

const count = Number(process.argv[2] ?? 1);
const fakes = await Promise.all(Array.from({ length: count }, () => startFakeCognigy({ https: true })));
const send = (message: object) => process.send?.(message);

process.on('message', async (command: Command) => {
  switch (command.type) {
    case 'addKeys':
      for (const fake of fakes)
        for (const [key, organisation] of command.keys) fake.addKey(key, organisation);
      break;
    case 'setLatency':
      for (const fake of fakes) fake.setLatency(command.ms);
      break;
    case 'setFaultRate':
      for (const fake of fakes) fake.setFaultRate(command.rate, command.faults);
      break;
    case 'resetGauges':
      for (const fake of fakes) fake.gauge.most = fake.gauge.now;
      break;
    case 'stats': {
      const calls = fakes.flatMap((fake) => fake.calls);
      const faults = calls.filter((c) => c.fault !== null && c.fault !== 'slow').length;
      send({ id: command.id, calls: calls.length, faults, most: fakes.map((fake) => fake.gauge.most) });
      return;
    }
    case 'close':
      await Promise.all(fakes.map((fake) => fake.close()));
      send({ id: command.id });
      process.exit(0);
  }
  send({ id: command.id });
});
// Their certificates are this process's own test CA: the caller must trust this one.
send({ type: 'ready', apiBases: fakes.map((fake) => fake.apiBase), caPem: testCertificates().caPem });
