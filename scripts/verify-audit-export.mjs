#!/usr/bin/env node
// Verifies an NDJSON export of the audit trail offline, with nothing but Node.js:
//   node scripts/verify-audit-export.mjs audit.ndjson      (or read from stdin)
// For every event it recomputes the hash from the canonical serialisation (README, "Verifying an
// export offline"); where two exported events are consecutive (seq n, n+1 of one chain) it also
// checks that the second names the first's hash as prevHash. An unfiltered export of a chain is
// therefore checked completely. Exits 0 when everything matches, 1 naming the first event that
// does not.
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
    actor: { type: e.actor.type, id: e.actor.id, name: e.actor.name },
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

const input = process.argv[2] ? createReadStream(process.argv[2]) : process.stdin;
const last = new Map(); // chain → { seq, hash }
let checked = 0;
let linked = 0;
for await (const line of createInterface({ input, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const event = JSON.parse(line);
  const fail = (why) => {
    console.error(`MISMATCH at chain ${event.chain} seq ${event.seq} (event ${event.id}): ${why}`);
    process.exit(1);
  };
  if (hashOf(event) !== event.hash) fail('the content does not match its hash (altered)');
  const previous = last.get(event.chain);
  if (previous && event.seq === previous.seq + 1) {
    if (event.prevHash !== previous.hash) fail("prevHash is not the predecessor's hash");
    linked += 1;
  } else if (!previous && event.seq === 1 && event.prevHash !== '0'.repeat(64)) {
    fail('the first event of a chain must have 64 zeros as prevHash');
  }
  last.set(event.chain, { seq: event.seq, hash: event.hash });
  checked += 1;
}
console.log(`OK: ${checked} events, every hash matches; ${linked} links between consecutive events checked`);
