/** A label selector as documents and queries write it: `env=prod,region=eu` (every label must match). */
import type { Labels } from '../../lib/schemas.js';

export function parseSelector(selector: string): Labels {
  const labels: Record<string, string> = {};
  for (const pair of selector.split(',')) {
    const at = pair.indexOf('=');
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return labels;
}
