/**
 * What an audit event is, and how its hash is computed. Pure: no I/O. This file is the reference
 * for the canonical serialisation documented in README.md ("Verifying an export offline").
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.js';

/** Every action the trail knows, `noun.past_tense`. */
export type AuditAction =
  | 'tenant.created'
  | 'tenant.updated'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'org.created'
  | 'org.updated'
  | 'org.archived'
  | 'org.secrets_shredded'
  | 'cognigy_target.updated'
  | 'sso_version.created'
  | 'sso_version.rollback_created'
  | 'sso_version.validated'
  | 'sso_version.approved'
  | 'sso_version.rejected'
  | 'sso_version.superseded'
  | 'deployment.enqueued'
  | 'deployment.succeeded'
  | 'deployment.failed'
  | 'deployment.superseded'
  | 'deployment.retried'
  | 'sso_bulk.drafted'
  | 'sso_bulk.approved'
  | 'keys.rotated'
  | 'audit.exported';

export const PLATFORM_CHAIN = 'platform';
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditActor {
  readonly type: 'api_key' | 'system';
  readonly id: string | null;
  readonly name: string;
}

/** What a change records; the trail adds chain, sequence, time and hashes. */
export interface AuditEntry {
  readonly tenantId: string | null;
  readonly action: AuditAction;
  readonly target: { readonly type: string; readonly id: string };
  readonly orgId?: string | null;
  readonly diff?: { readonly before?: unknown; readonly after?: unknown };
  readonly outcome?: 'success';
}

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
  const {
    id,
    chain,
    seq,
    tenantId,
    occurredAt,
    actor,
    action,
    target,
    orgId,
    requestId,
    sourceIp,
    userAgent,
  } = event;
  const material = {
    v: 1,
    id,
    chain,
    seq,
    tenantId,
    occurredAt,
    actor: { type: actor.type, id: actor.id, name: actor.name },
    action,
    target: { type: target.type, id: target.id },
    orgId,
    requestId,
    sourceIp,
    userAgent,
    outcome: event.outcome,
    diff: event.diff,
    prevHash: event.prevHash,
  };
  return createHash('sha256').update(canonicalJson(material), 'utf8').digest('hex');
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
