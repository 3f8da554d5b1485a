/**
 * What an audit event is, and how its hash is computed. Pure: no I/O. This file is the reference
 * for the canonical serialisation documented in README.md ("Verifying an export offline").
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.js';
import type { Actor } from '../../lib/request-context.js';

export type { AuditAction, AuditEntry, AuditEntryOf } from './audit-actions.js';

export const PLATFORM_CHAIN = 'platform';
export const GENESIS_HASH = '0'.repeat(64);

/** `person` only for a person (issue 20); events of keys and the system have none. */
export type AuditActor = Actor;

/** An event as stored and exported. */
export interface AuditRecord {
  readonly id: string;
  readonly chain: string;
  readonly seq: number;
  readonly tenantId: string | null;
  readonly occurredAt: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly orgId: string | null;
  readonly requestId: string | null;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  readonly outcome: string;
  readonly diff: { readonly before?: unknown; readonly after?: unknown };
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * SHA-256 (hex) of the canonical JSON of every field of the event except `hash` itself, with
 * `v: 1` added. Canonical JSON: keys sorted by code point, no white space, strings JSON-escaped,
 * `occurredAt` as ISO 8601 UTC with milliseconds.
 */
export function hashOf(event: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(hashMaterial(event), 'utf8').digest('hex');
}

/**
 * The bytes `hashOf` hashes: `canonicalJson` of the event's fields plus `v: 1`. Verify hashes every
 * event of a chain, and sorting the same sixteen keys for each was most of its time, so the fixed
 * fields are written by `JSON.stringify` with their keys already in canonical order (for strings,
 * numbers and null it writes what `canonicalJson` writes, and it too leaves out undefined); only
 * `diff`, which is free-form, goes through `canonicalJson`. A test pins this to the generic form.
 * A person's identity (`actor.person`) is in the material only when the actor is a person, so the
 * material of every other event is byte for byte what it was before people existed.
 */
export function hashMaterial(event: Omit<AuditRecord, 'hash'>): string {
  const { actor, target, diff } = event;
  const actorJson =
    actor.type === 'person' && actor.person !== undefined
      ? `{"id":${JSON.stringify(actor.id)},"name":${JSON.stringify(actor.name)},"person":${canonicalJson(actor.person)},"type":"person"}`
      : JSON.stringify({ id: actor.id, name: actor.name, type: actor.type });
  const head = `{"action":${JSON.stringify(event.action)},"actor":${actorJson},"chain":${JSON.stringify(event.chain)}}`;
  const tail = JSON.stringify({
    id: event.id,
    occurredAt: event.occurredAt,
    orgId: event.orgId,
    outcome: event.outcome,
    prevHash: event.prevHash,
    requestId: event.requestId,
    seq: event.seq,
    sourceIp: event.sourceIp,
    target: { id: target.id, type: target.type },
    tenantId: event.tenantId,
    userAgent: event.userAgent,
    v: 1,
  });
  const diffMember = diff === undefined ? '' : `,"diff":${canonicalJson(diff)}`;
  return `${head.slice(0, -1)}${diffMember},${tail.slice(1)}`;
}

export interface ChainMismatch {
  readonly seq: number;
  readonly id: string;
  readonly reason: 'hash' | 'link' | 'gap';
  readonly detail: string;
}

/**
 * Checks one event against its predecessor's (seq, hash). Returns the first problem, if any.
 * Used by the API, the CLI and, re-implemented, by the offline script.
 */
export function checkLink(
  event: AuditRecord,
  previous: { seq: number; hash: string } | undefined,
): ChainMismatch | undefined {
  const expectedSeq = previous ? previous.seq + 1 : 1;
  if (event.seq !== expectedSeq) {
    return {
      seq: event.seq,
      id: event.id,
      reason: 'gap',
      detail: `expected sequence ${expectedSeq}, found ${event.seq}`,
    };
  }
  const expectedPrev = previous ? previous.hash : GENESIS_HASH;
  if (event.prevHash !== expectedPrev) {
    return { seq: event.seq, id: event.id, reason: 'link', detail: "prevHash is not the predecessor's hash" };
  }
  if (hashOf(event) !== event.hash) {
    return {
      seq: event.seq,
      id: event.id,
      reason: 'hash',
      detail: 'the content does not match its hash (altered)',
    };
  }
  return undefined;
}
