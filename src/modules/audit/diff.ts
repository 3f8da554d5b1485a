/**
 * The before/after of an audit event: only the top-level fields whose value changed. Inputs are API
 * views, in which every secret is already a fingerprint, so a diff cannot carry a secret.
 */
import { canonicalJson } from '../../lib/canonical-json.js';
import type { Changes, Created } from './audit-actions.js';

type View = Record<string, unknown>;

/** Fields that change on every write and say nothing about what changed. */
const NOISE = new Set(['updatedAt']);

export function changes<B extends object, A extends object>(before: B, after: A): Changes<B & A> {
  const [from, to] = [before as View, after as View];
  const out = { before: {} as View, after: {} as View };
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (NOISE.has(key)) continue;
    if (canonicalJson(from[key] ?? null) !== canonicalJson(to[key] ?? null)) {
      out.before[key] = from[key] ?? null;
      out.after[key] = to[key] ?? null;
    }
  }
  return out as Changes<B & A>;
}

export const created = <V>(after: V): Created<V> => ({ after });
