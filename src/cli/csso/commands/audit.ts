/**
 * `csso audit export`: the tenant's audit trail as NDJSON or CSV, streamed from the service to stdout
 * or a file in constant memory (the body is piped, never held), with progress on a terminal.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type Command, Option } from 'commander';
import { ApiError } from '../api.js';
import type { Context } from '../context.js';
import { countingProgress, formatBytes } from '../progress.js';

interface ExportOptions {
  format: 'ndjson' | 'csv';
  output?: string;
  org?: string;
  action?: string;
  from?: string;
  to?: string;
}

export function registerAudit(program: Command, context: Context): void {
  const audit = program.command('audit').description('the tenant’s audit trail');
  audit
    .command('export')
    .description('stream the audit trail (oldest first) to stdout or a file; the export is itself audited')
    .addOption(new Option('--format <format>', 'ndjson or csv').choices(['ndjson', 'csv']).default('ndjson'))
    .option('-o, --output <file>', 'write to this file (complete or not at all) instead of stdout')
    .option('--org <org>', 'only the events of this org (slug or id)')
    .option('--action <action>', 'only this action, or a prefix such as "org."')
    .option('--from <time>', 'events at or after this time (RFC 3339)')
    .option('--to <time>', 'events before this time (RFC 3339)')
    .action(async (options: ExportOptions) => {
      const client = await context.client();
      const { data, error, response } = await client.GET('/v1/audit-events/export', {
        params: {
          query: {
            format: options.format,
            ...(options.org ? { org: options.org } : {}),
            ...(options.action ? { action: options.action } : {}),
            ...(options.from ? { from: options.from } : {}),
            ...(options.to ? { to: options.to } : {}),
          },
        },
        parseAs: 'stream',
      });
      if (!response.ok || !data) throw new ApiError(response.status, error);

      const progress = countingProgress('Exporting audit events:');
      const source = Readable.fromWeb(data as WebReadableStream<Uint8Array>);
      const partial = options.output
        ? `${options.output}.${randomBytes(4).toString('hex')}.partial`
        : undefined;
      const sink: Writable = partial ? createWriteStream(partial, { flags: 'wx' }) : process.stdout;
      try {
        await pipeline(source, progress.stream, sink);
        if (partial && options.output) await rename(partial, options.output);
      } catch (failure) {
        if (partial) await rm(partial, { force: true });
        // A reader that stops early (`csso audit export | head`) is not an error.
        if ((failure as NodeJS.ErrnoException).code === 'EPIPE') return;
        throw failure;
      } finally {
        progress.stop();
      }
      const { lines, bytes } = progress.totals();
      context.output.note(
        `Exported ${lines} lines (${formatBytes(bytes)}, ${options.format})${options.output ? ` to ${options.output}` : ''}.`,
      );
    });
}
