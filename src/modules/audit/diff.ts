/**
 * The before/after of an audit event: only the top-level fields whose value changed. Inputs are API
 * views, in which every secret is already a fingerprint, so a diff cannot carry a secret.
 */
import { canonicalJson } from '../../lib/canonical-json.js';

type View = Record<string, unknown>;

/** Fields that change on every write and say nothing about what changed. */
const NOISE = new Set(['updatedAt']);

export function changes(before: View, after: View): { before: View; after: View } {
  const out = { before: {} as View, after: {} as View };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (NOISE.has(key)) continue;
    if (canonicalJson(before[key] ?? null) !== canonicalJson(after[key] ?? null)) {
      out.before[key] = before[key] ?? null;
      out.after[key] = after[key] ?? null;
    }
  }
  return out;
}

export const created = (after: object) => ({ after });
