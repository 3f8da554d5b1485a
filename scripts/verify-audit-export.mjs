#!/usr/bin/env node
// Verifies an NDJSON export of the audit trail offline, with nothing but Node.js:
//   node scripts/verify-audit-export.mjs audit.ndjson               (or read from stdin)
//   node scripts/verify-audit-export.mjs --filtered audit.ndjson    (an export made with filters)
//   node scripts/verify-audit-export.mjs --checkpoints cps.ndjson --keys jwks.json audit.ndjson
//     (with the chain's signed checkpoints, GET /v1/audit-events/checkpoints?format=ndjson, and the
//     public keys you kept, GET /v1/audit-events/checkpoint-keys: see README, "Signed checkpoints")
// For every event it recomputes the hash from the canonical serialisation (README, "Verifying an
// export offline"); where two exported events are consecutive (seq n, n+1 of one chain) it also
// checks that the second names the first's hash as prevHash. An unfiltered export (the default)
// must hold each chain whole, in order, from seq 1: a line removed, repeated or moved is named by
// its seq. A filtered export is checked for order and repeats, but a gap in it cannot be told from
// the filter. Neither can show that a chain's newest events were removed from its end: that needs
// a signed checkpoint of the chain's head. With --checkpoints and --keys, each checkpoint's Ed25519
// signature is checked with the given keys (one that does not verify, or names another key, is
// forged), and an unfiltered export must reach every signed head with the signed hash: a chain
// that ends before one had its newest events removed, named with the missing range. Exits 0 when
// everything matches, 1 naming the first event or checkpoint that does not.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

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

// The bytes a checkpoint's signature covers: its fields in key order, no white space (README).
const checkpointMessage = (c) =>
  Buffer.from(
    JSON.stringify({
      chain: c.chain,
      hash: c.hash,
      keyId: c.keyId,
      seq: c.seq,
      signedAt: c.signedAt,
      type: 'audit-checkpoint',
      v: 1,
    }),
    'utf8',
  );

function signatureHolds(jwk, c) {
  if (!jwk) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    return verify(null, checkpointMessage(c), key, Buffer.from(c.signature, 'base64url'));
  } catch {
    return false;
  }
}

const { values: options, positionals } = parseArgs({
  options: { filtered: { type: 'boolean' }, checkpoints: { type: 'string' }, keys: { type: 'string' } },
  allowPositionals: true,
});
const filtered = options.filtered === true;
const checkpointsFile = options.checkpoints;
const keysFile = options.keys;
if (Boolean(checkpointsFile) !== Boolean(keysFile)) {
  console.error(
    '--checkpoints and --keys go together: the checkpoints, and the public keys that signed them',
  );
  process.exit(2);
}
const file = positionals[0];

// Checkpoints first: their signatures, and the seqs whose hashes the export must show.
const checkpoints = checkpointsFile
  ? readFileSync(checkpointsFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l))
  : [];
if (keysFile) {
  const document = JSON.parse(readFileSync(keysFile, 'utf8'));
  const keys = new Map((document.keys ?? [document]).map((k) => [k.kid, k]));
  for (const c of checkpoints) {
    if (!signatureHolds(keys.get(c.keyId), c)) {
      const why = keys.has(c.keyId)
        ? `its signature does not verify with key ${c.keyId}`
        : `key ${c.keyId} is not in ${keysFile}`;
      console.error(`FORGED checkpoint ${c.id} of chain ${c.chain} at seq ${c.seq}: ${why}`);
      process.exit(1);
    }
  }
}
const signedSeqs = new Map(); // chain → Set of seqs a checkpoint names
for (const c of checkpoints) signedSeqs.set(c.chain, (signedSeqs.get(c.chain) ?? new Set()).add(c.seq));
const hashesAtSigned = new Map(); // `${chain}:${seq}` → hash in the export
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
  if (signedSeqs.get(event.chain)?.has(event.seq))
    hashesAtSigned.set(`${event.chain}:${event.seq}`, event.hash);
  checked += 1;
}
const chains = last.size;
// Each signed head against the export: its hash where the export has its seq; and (unfiltered) the
// chain must reach it, or its newest events were removed.
const beyond = new Map(); // chain → the highest signed seq past the export's end
for (const c of checkpoints) {
  const end = last.get(c.chain)?.seq ?? 0;
  const hash = hashesAtSigned.get(`${c.chain}:${c.seq}`);
  if (hash !== undefined && hash !== c.hash) {
    console.error(
      `MISMATCH at chain ${c.chain} seq ${c.seq}: the signed head (checkpoint of ${c.signedAt}) is no longer in the chain: its hash differs`,
    );
    process.exit(1);
  }
  if (!filtered && c.seq > end && c.seq > (beyond.get(c.chain)?.seq ?? 0)) beyond.set(c.chain, { ...c, end });
}
for (const [chain, c] of beyond) {
  const missing = c.end + 1 === c.seq ? `seq ${c.seq}` : `seq ${c.end + 1}..${c.seq}`;
  console.error(
    `TRUNCATED chain ${chain}: the newest events were removed: ${missing} missing (the export ends at seq ${c.end}; ` +
      `a checkpoint signed at ${c.signedAt} covers seq ${c.seq})`,
  );
  process.exit(1);
}
const signedNote =
  checkpoints.length > 0
    ? ` ${checkpoints.length} signed checkpoint(s) verified with the given keys${filtered ? ' (signatures, and hashes at the seqs the export holds)' : ', each chain reaching its newest signed head'}; events after the newest checkpoint are covered by none.`
    : '';
if (filtered) {
  console.log(
    `OK: ${checked} events in ${chains} chain(s), every hash matches, in order, none repeated; ` +
      `${linked} links between consecutive events checked. Filtered: ${gaps} gap(s) between exported events ` +
      `cannot be told from the filter, and events removed from a chain cannot be detected here.${signedNote}`,
  );
} else {
  console.log(
    `OK: ${checked} events in ${chains} chain(s), every hash matches; ${linked} links between consecutive events ` +
      'checked; each chain whole from seq 1 to its last exported event.' +
      (signedNote ||
        ' Events removed from the end of a chain cannot be seen without a signed checkpoint of its head (--checkpoints).'),
  );
}
