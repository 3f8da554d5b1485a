/**
 * What a signed checkpoint is, its canonical bytes, and what a chain must agree with it. Pure: no I/O.
 * The reference for README.md ("Signed checkpoints"); re-implemented, with nothing but Node.js, by
 * scripts/verify-audit-export.mjs.
 *
 * The signed bytes are the UTF-8 of one JSON object with its keys in code-point order and no white
 * space: {"chain":…,"hash":…,"keyId":…,"seq":…,"signedAt":…,"type":"audit-checkpoint","v":1}.
 * `type` and `v` make a checkpoint's signature useless as a signature of anything else.
 */
import { type SigningKey, verifySignature } from '../crypto/signing-key.js';

/** A checkpoint as stored, listed, exported (one NDJSON line each) and sent to webhooks. */
export interface Checkpoint {
  readonly id: string;
  /** The tenant's id, or "platform". */
  readonly chain: string;
  readonly seq: number;
  /** The hash of the chain's event at `seq` (its head when signed). */
  readonly hash: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly signedAt: string;
  readonly keyId: string;
  /** Ed25519 over `checkpointMessage`, base64url. */
  readonly signature: string;
}

export type SignedFields = Pick<Checkpoint, 'chain' | 'seq' | 'hash' | 'signedAt' | 'keyId'>;

/** The bytes a checkpoint's signature covers. */
export function checkpointMessage(c: SignedFields): Buffer {
  const text = JSON.stringify({
    chain: c.chain,
    hash: c.hash,
    keyId: c.keyId,
    seq: c.seq,
    signedAt: c.signedAt,
    type: 'audit-checkpoint',
    v: 1,
  });
  return Buffer.from(text, 'utf8');
}

/** Signs a chain's head with `key`. */
export function signCheckpoint(
  id: string,
  head: { chain: string; seq: number; hash: string },
  signedAt: Date,
  key: SigningKey,
): Checkpoint {
  const fields: SignedFields = { ...head, signedAt: signedAt.toISOString(), keyId: key.kid };
  return { id, ...fields, signature: key.sign(checkpointMessage(fields)) };
}

export type CheckpointProblemKind = 'truncated' | 'rewritten' | 'forged';

export interface CheckpointProblem {
  readonly kind: CheckpointProblemKind;
  readonly checkpointId: string;
  readonly seq: number;
  readonly detail: string;
}

export interface CheckpointReport {
  /** Checkpoints of the chain looked at. */
  readonly checked: number;
  /** The newest checkpoint whose signature holds (by seq), or null. */
  readonly newestSigned: Pick<Checkpoint, 'seq' | 'signedAt' | 'keyId'> | null;
  /** Every problem, at most `MAX_PROBLEMS` of them (`problemCount` says how many there were). */
  readonly problems: CheckpointProblem[];
  readonly problemCount: number;
}

export const MAX_PROBLEMS = 20;

/** The chain as checkpoints see it: its newest seq, and the hash at each seq a checkpoint names. */
export interface ChainView {
  readonly chain: string;
  /** The highest seq the chain holds (0: none). */
  readonly headSeq: number;
  readonly hashAt: ReadonlyMap<number, string>;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;
const range = (from: number, to: number) => (from === to ? `seq ${from}` : `seq ${from}..${to}`);

/**
 * Checks a chain against its checkpoints with the public keys `keys` (kid → `x`): a checkpoint whose
 * signature does not hold is forged (and proves nothing else); a good one beyond the chain's head
 * says the newest events were removed; one whose hash is not the chain's hash at its seq says the
 * chain no longer contains the signed head (rewritten, or removed and written anew).
 */
export function checkChain(
  view: ChainView,
  checkpoints: readonly Checkpoint[],
  keys: ReadonlyMap<string, string>,
): CheckpointReport {
  const problems: CheckpointProblem[] = [];
  let newest: Checkpoint | null = null;
  let beyond: Checkpoint | null = null;
  for (const c of checkpoints) {
    if (c.chain !== view.chain) continue;
    const x = keys.get(c.keyId);
    if (x === undefined || !verifySignature(x, checkpointMessage(c), c.signature)) {
      const why =
        x === undefined
          ? `names key ${c.keyId}, which is not one of the signing keys`
          : `its signature does not verify with key ${c.keyId}`;
      problems.push({
        kind: 'forged',
        checkpointId: c.id,
        seq: c.seq,
        detail: `chain ${view.chain}: the checkpoint ${c.id} at seq ${c.seq} is forged: ${why}`,
      });
      continue;
    }
    if (!newest || c.seq > newest.seq) newest = c;
    if (c.seq > view.headSeq) {
      if (!beyond || c.seq > beyond.seq) beyond = c;
      continue;
    }
    const now = view.hashAt.get(c.seq);
    if (now !== c.hash) {
      problems.push({
        kind: 'rewritten',
        checkpointId: c.id,
        seq: c.seq,
        detail:
          `chain ${view.chain}: the signed head at seq ${c.seq} (checkpoint of ${c.signedAt}) is no longer in ` +
          `the chain: ${now === undefined ? 'the event is missing' : `its hash is ${short(now)}, signed ${short(c.hash)}`}`,
      });
    }
  }
  if (beyond) {
    problems.unshift({
      kind: 'truncated',
      checkpointId: beyond.id,
      seq: beyond.seq,
      detail:
        `chain ${view.chain}: the newest events were removed: ${range(view.headSeq + 1, beyond.seq)} missing ` +
        `(the chain ends at seq ${view.headSeq}; a checkpoint signed at ${beyond.signedAt} covers seq ${beyond.seq})`,
    });
  }
  return {
    checked: checkpoints.filter((c) => c.chain === view.chain).length,
    newestSigned: newest ? { seq: newest.seq, signedAt: newest.signedAt, keyId: newest.keyId } : null,
    problems: problems.slice(0, MAX_PROBLEMS),
    problemCount: problems.length,
  };
}

/**
 * The Ed25519 keys (kid → x) of a JWKS document (`{"keys":[…]}`) or of one JWK; other keys are
 * ignored. For the CLI, which trusts the keys it is given rather than the database's.
 */
export function keysOfJwks(document: unknown): Map<string, string> {
  const list = (document as { keys?: unknown })?.keys;
  const jwks = Array.isArray(list) ? list : [document];
  const keys = new Map<string, string>();
  for (const jwk of jwks as Array<Record<string, unknown>>) {
    if (
      jwk?.kty === 'OKP' &&
      jwk.crv === 'Ed25519' &&
      typeof jwk.x === 'string' &&
      typeof jwk.kid === 'string'
    )
      keys.set(jwk.kid, jwk.x);
  }
  return keys;
}

/** The checkpoints of an NDJSON file (`GET /v1/audit-events/checkpoints?format=ndjson`). */
export function checkpointsOfNdjson(text: string): Checkpoint[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const c = JSON.parse(line) as Checkpoint;
      if (typeof c.chain !== 'string' || !Number.isInteger(c.seq) || typeof c.signature !== 'string')
        throw new Error(`line ${index + 1} is not a checkpoint`);
      return c;
    });
}
