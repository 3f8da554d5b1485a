/** A label selector as the document and the CLI write it: `env=prod,region=eu` (every pair must match). */
import { CliError } from './errors.js';

/**
 * The selector's `key=value` pairs, for `GET /v1/orgs?label=`.
 * @throws CliError when a part is not `key=value`.
 */
export function selectorLabels(selector: string): string[] {
  const parts = selector
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`not a label selector: "${selector}" (expected key=value[,key=value…])`);
  }
  if (parts.length === 0) throw new CliError('an empty label selector');
  return parts.map((part) => {
    const eq = part.indexOf('=');
    return `${part.slice(0, eq).trim()}=${part.slice(eq + 1).trim()}`;
  });
}
