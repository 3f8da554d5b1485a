/**
 * Field-level difference between two versions (§3.2 diff), with every secret as its fingerprint,
 * and the same difference as sentences. Pure. `diffVersions(a, b).changes` is empty exactly when the
 * two configure the same (same kind, same fields, same secrets) and record the same about their
 * secrets (a client secret's expiry, `idpClientSecret.expiresAt`: ours, never sent to Cognigy).
 */
import { canonicalJson } from '../../lib/canonical-json.js';
import { SECRET_FIELDS, type SecretField } from './sso-content.js';

export interface Comparable {
  readonly number: number;
  readonly kind: string;
  readonly content: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<SecretField, SecretRef | null>>;
}

/** A secret as its fingerprint, and (a client secret) the expiry recorded with it. */
export interface SecretRef {
  readonly fingerprint: string;
  readonly changedIn: number;
  readonly expiresAt?: string | null;
}

/** The field of a secret's recorded expiry; metadata of ours, never part of what Cognigy receives. */
const expiryField = (field: SecretField) => `${field}.expiresAt`;

export interface FieldChange {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly secret: boolean;
}

export interface VersionDiff {
  readonly from: number;
  readonly to: number;
  readonly equal: boolean;
  readonly changes: FieldChange[];
  readonly summary: string[];
}

function flatten(v: Comparable): Map<string, { value: unknown; secret: boolean }> {
  const fields = new Map<string, { value: unknown; secret: boolean }>();
  fields.set('kind', { value: v.kind, secret: false });
  for (const [key, value] of Object.entries(v.content)) fields.set(key, { value, secret: false });
  for (const key of SECRET_FIELDS) {
    const ref = v.secrets[key];
    if (ref) fields.set(key, { value: ref.fingerprint, secret: true });
    if (ref?.expiresAt) fields.set(expiryField(key), { value: ref.expiresAt, secret: false });
  }
  return fields;
}

const MAX_SHOWN = 120;
function shown(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function sentence(change: FieldChange, to: Comparable): string {
  const { field, before, after } = change;
  if (change.secret) {
    if (before === null) return `${field} set (fingerprint ${shown(after)}).`;
    if (after === null) return `${field} removed (was ${shown(before)}).`;
    const since = to.secrets[field as SecretField]?.changedIn;
    return `${field} changed from fingerprint ${shown(before)} to ${shown(after)}${since ? ` (changed in v${since})` : ''}.`;
  }
  if (before === null || before === undefined) return `${field} set to ${shown(after)}.`;
  if (after === null || after === undefined) return `${field} removed (was ${shown(before)}).`;
  return `${field} changed from ${shown(before)} to ${shown(after)}.`;
}

/** How `to` differs from `from`. */
export function diffVersions(from: Comparable, to: Comparable): VersionDiff {
  const a = flatten(from);
  const b = flatten(to);
  const changes: FieldChange[] = [];
  // Stable order: kind first, then the fields of `to`, then those only `from` had.
  const order = [...new Set([...b.keys(), ...a.keys()])];
  for (const field of order) {
    const before = a.get(field);
    const after = b.get(field);
    const beforeValue = before?.value ?? null;
    const afterValue = after?.value ?? null;
    if (canonicalJson(beforeValue) === canonicalJson(afterValue)) continue;
    changes.push({
      field,
      before: beforeValue,
      after: afterValue,
      secret: Boolean(before?.secret || after?.secret),
    });
  }
  const summary = changes.map((c) => sentence(c, to));
  for (const field of SECRET_FIELDS) {
    const before = from.secrets[field];
    const after = to.secrets[field];
    if (before && after && before.fingerprint === after.fingerprint) {
      summary.push(
        `${field} unchanged (fingerprint ${after.fingerprint}, last changed in v${after.changedIn}).`,
      );
    }
  }
  if (changes.length === 0)
    summary.unshift(`v${to.number} configures exactly what v${from.number} configures.`);
  else if (changes.every((c) => SECRET_FIELDS.some((f) => c.field === expiryField(f))))
    summary.push(
      `v${to.number} configures Cognigy exactly as v${from.number} does: only the recorded expiry of a secret differs.`,
    );
  return { from: from.number, to: to.number, equal: changes.length === 0, changes, summary };
}
