/**
 * `csso export`: the tenant's current SSO as a desired-state document (YAML, or JSON for a `.json`
 * file or `--json`) that plans to no change. Secrets are `{ keep: true }`, as the service answers
 * them; csso never writes a secret into a file, so anything else at a secret field is replaced by
 * `{ keep: true }` too.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { Context } from '../context.js';
import { type DesiredState, SECRET_FIELDS } from '../document.js';
import { exportDesiredState } from '../plans-api.js';

/**
 * The document with every secret field that holds a value replaced by `{ keep: true }` (and how many
 * were), each entry's keys in reading order: orgs or selector, note, sso.
 */
export function keepSecrets(document: DesiredState): { document: DesiredState; replaced: number } {
  let replaced = 0;
  const entries = document.entries.map((entry) => {
    const sso = (entry as { sso?: Record<string, unknown> }).sso;
    if (!sso || typeof sso !== 'object') return entry;
    const safe = { ...sso };
    for (const field of SECRET_FIELDS) {
      const value = safe[field];
      const isKeep =
        typeof value === 'object' && value !== null && (value as { keep?: unknown }).keep === true;
      if (value !== undefined && value !== null && !isKeep) {
        safe[field] = { keep: true };
        replaced += 1;
      }
    }
    // The selection first, then the note, then the content: the order a person reads an entry in.
    const { orgs, selector, note, sso: _sso, ...rest } = entry as Record<string, unknown>;
    return {
      ...(orgs !== undefined ? { orgs } : {}),
      ...(selector !== undefined ? { selector } : {}),
      ...(note !== undefined ? { note } : {}),
      ...rest,
      sso: safe,
    };
  });
  return { document: { ...document, entries }, replaced };
}

export function registerExport(program: Command, context: Context): void {
  program
    .command('export')
    .description(
      'write the current SSO of the tenant’s orgs as a desired-state document (secrets as { keep: true })',
    )
    .option('-l, --selector <selector>', 'only the orgs with these labels, e.g. env=prod,region=eu')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--json', 'JSON instead of YAML (the default for a .json file)')
    .action(async (options: { selector?: string; output?: string; json?: boolean }) => {
      const { output } = context;
      const credentials = await context.credentials();
      const client = await context.client();
      const { document, replaced } = keepSecrets(await exportDesiredState(client, options.selector));
      if (replaced > 0) output.note(`warning: ${replaced} secret values were written as { keep: true }`);
      const json = options.json ?? options.output?.endsWith('.json') ?? false;
      const text = json
        ? `${JSON.stringify(document, null, 2)}\n`
        : `# csso export from ${credentials.url}${options.selector ? ` (selector ${options.selector})` : ''}, ${new Date().toISOString()}\n` +
          '# Secrets are { keep: true } (the current one); to change one, give { env: VARIABLE } instead.\n' +
          stringify(document, { lineWidth: 0 });
      if (!options.output) {
        output.stdout.write(text);
        return;
      }
      const partial = `${options.output}.${randomBytes(4).toString('hex')}.partial`;
      try {
        await writeFile(partial, text, { flag: 'wx' });
        await rename(partial, options.output);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      const count = document.entries.length;
      output.note(`Exported ${count} ${count === 1 ? 'entry' : 'entries'} to ${options.output}.`);
    });
}
