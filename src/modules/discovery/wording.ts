/** Putting values from elsewhere (what a person typed, what an IdP published) into our sentences. */

/** Untrusted text, shortened: a 2 kB input must not make a 2 kB sentence. */
export function quote(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A sentence from elsewhere used inside one of ours: without its final full stop, shortened. */
export function clause(sentence: string): string {
  return quote(sentence.trim().replace(/[.\s]+$/, ''), 300);
}

/** "a", "a and b", "a, b and c" (at most 12 shown). */
export function listOf(values: readonly string[]): string {
  const shown = values.slice(0, 12).map((v) => quote(v, 80));
  if (values.length > shown.length) shown.push(`${values.length - shown.length} more`);
  if (shown.length <= 1) return shown[0] ?? 'nothing';
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}
