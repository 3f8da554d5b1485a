/**
 * The fake Cognigy installation (test/support/fake-cognigy.ts) in a process of its own, driven over
 * IPC by remote-fake-cognigy.ts: Cognigy is an external service, so a benchmark must not spend the
 * service's own CPU on answering its calls.
 */
import { type Fault, startFakeCognigy } from '../../test/support/fake-cognigy.js';
import { testCertificates } from '../../test/support/tls.js';

type Command =
  | { id: number; type: 'addKeys'; keys: Array<[string, string]> }
  | { id: number; type: 'setLatency'; ms: number }
  | { id: number; type: 'setFaultRate'; rate: number; faults: Fault[] }
  | { id: number; type: 'stats' }
  | { id: number; type: 'close' };

const fake = await startFakeCognigy({ https: true });
const send = (message: object) => process.send?.(message);

process.on('message', async (command: Command) => {
  switch (command.type) {
    case 'addKeys':
      for (const [key, organisation] of command.keys) fake.addKey(key, organisation);
      break;
    case 'setLatency':
      fake.setLatency(command.ms);
      break;
    case 'setFaultRate':
      fake.setFaultRate(command.rate, command.faults);
      break;
    case 'stats': {
      const faults = fake.calls.filter((c) => c.fault !== null && c.fault !== 'slow').length;
      send({ id: command.id, calls: fake.calls.length, faults });
      return;
    }
    case 'close':
      await fake.close();
      send({ id: command.id });
      process.exit(0);
  }
  send({ id: command.id });
});
// Its certificates are this process's own test CA: the caller must trust this one.
send({ type: 'ready', apiBase: fake.apiBase, caPem: testCertificates().caPem });
