#!/usr/bin/env node
// Verifies an NDJSON export of the audit trail offline, with nothing but Node.js:
//   node scripts/verify-audit-export.mjs audit.ndjson               (or read from stdin)
//   node scripts/verify-audit-export.mjs --filtered audit.ndjson    (an export made with filters)
// For every event it recomputes the hash from the canonical serialisation (README, "Verifying an
// export offline"); where two exported events are consecutive (seq n, n+1 of one chain) it also
// checks that the second names the first's hash as prevHash. An unfiltered export (the default)
// must hold each chain whole, in order, from seq 1: a line removed, repeated or moved is named by
// its seq. A filtered export is checked for order and repeats, but a gap in it cannot be told from
// the filter. Neither can show that a chain's newest events were removed from its end: that needs
// a signed checkpoint of the chain's head. Exits 0 when everything matches, 1 naming the first
// event that does not.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

function canonical(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
}

function hashOf(e) {
  const material = {
    v: 1,
    id: e.id,
    chain: e.chain,
    seq: e.seq,
    tenantId: e.tenantId,
    occurredAt: e.occurredAt,
    // A person's identity is hashed only for a person (events of keys and the system never had it).
    actor:
      e.actor.type === 'person'
        ? { type: e.actor.type, id: e.actor.id, name: e.actor.name, person: e.actor.person }
        : { type: e.actor.type, id: e.actor.id, name: e.actor.name },
    action: e.action,
    target: { type: e.target.type, id: e.target.id },
    orgId: e.orgId,
    requestId: e.requestId,
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
    outcome: e.outcome,
    diff: e.diff,
    prevHash: e.prevHash,
  };
  return createHash('sha256').update(canonical(material), 'utf8').digest('hex');
}

const args = process.argv.slice(2);
const filtered = args.includes('--filtered');
const file = args.find((a) => !a.startsWith('--'));
const input = file ? createReadStream(file) : process.stdin;
const last = new Map(); // chain → { seq, hash }
let checked = 0;
let linked = 0;
let gaps = 0;
for await (const line of createInterface({ input, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const event = JSON.parse(line);
  const fail = (why) => {
    console.error(`MISMATCH at chain ${event.chain} seq ${event.seq} (event ${event.id}): ${why}`);
    process.exit(1);
  };
  if (hashOf(event) !== event.hash) fail('the content does not match its hash (altered)');
  const previous = last.get(event.chain);
  if (previous && event.seq === previous.seq) fail(`seq ${event.seq} appears twice (a repeated line)`);
  if (previous && event.seq < previous.seq) {
    fail(`seq ${event.seq} comes after seq ${previous.seq} (lines out of order)`);
  }
  if (!filtered) {
    const expected = previous ? previous.seq + 1 : 1;
    if (event.seq !== expected) {
      const missing =
        expected === event.seq - 1 ? `seq ${expected} is` : `seqs ${expected}–${event.seq - 1} are`;
      fail(`${missing} missing before it (a removed or moved line; with --filtered, gaps are allowed)`);
    }
  }
  if (previous && event.seq === previous.seq + 1) {
    if (event.prevHash !== previous.hash) fail("prevHash is not the predecessor's hash");
    linked += 1;
  } else if (previous) {
    gaps += 1;
  } else if (event.seq === 1 && event.prevHash !== '0'.repeat(64)) {
    fail('the first event of a chain must have 64 zeros as prevHash');
  }
  last.set(event.chain, { seq: event.seq, hash: event.hash });
  checked += 1;
}
const chains = last.size;
if (filtered) {
  console.log(
    `OK: ${checked} events in ${chains} chain(s), every hash matches, in order, none repeated; ` +
      `${linked} links between consecutive events checked. Filtered: ${gaps} gap(s) between exported events ` +
      'cannot be told from the filter, and events removed from a chain cannot be detected here.',
  );
} else {
  console.log(
    `OK: ${checked} events in ${chains} chain(s), every hash matches; ${linked} links between consecutive events ` +
      'checked; each chain whole from seq 1 to its last exported event. Events removed from the end of a chain ' +
      'cannot be seen without a signed checkpoint of its head.',
  );
}
