/** `csso versions diff` and `csso approve`: an org's SSO versions, compared and approved. */
import type { Command } from 'commander';
import { expectOk } from '../api.js';
import { versionNumber, versionOrLive } from '../arguments.js';
import type { Context } from '../context.js';
import { formatValue } from '../plan-render.js';

export function registerVersions(program: Command, context: Context): void {
  const versions = program.command('versions').description('an org’s SSO versions');
  versions
    .command('diff')
    .description(
      'field-level diff of version <n> against another version or the live one (secrets as fingerprints)',
    )
    .argument('<org>', 'the org’s slug or id')
    .argument('<n>', 'the version number', versionNumber)
    .option(
      '--against <m|live>',
      'a version number, or live (the newest approved version)',
      versionOrLive,
      'live',
    )
    .option('--json', 'print the diff as the service answers it')
    .action(async (org: string, number: number, options: { against: string; json?: boolean }) => {
      const client = await context.client();
      const diff = expectOk(
        await client.GET('/v1/orgs/{org}/sso/versions/{number}/diff', {
          params: { path: { org, number }, query: { against: options.against } },
        }),
      );
      if (options.json) {
        context.output.print(JSON.stringify(diff, null, 2));
        return;
      }
      const lines = [
        `${org}: v${diff.to} against v${diff.from}${options.against === 'live' ? ' (live)' : ''}`,
      ];
      if (diff.equal) lines.push('  no differences');
      for (const change of diff.changes) {
        const secret = change.secret ? ' (secret, as fingerprints)' : '';
        lines.push(
          `  ~ ${change.field}: ${formatValue(change.before)} → ${formatValue(change.after)}${secret}`,
        );
      }
      if (diff.summary.length > 0) lines.push('', ...diff.summary.map((sentence) => `  ${sentence}`));
      context.output.print(lines.join('\n'));
    });

  program
    .command('approve')
    .description('approve version <n> of an org (four eyes: not your own)')
    .argument('<org>', 'the org’s slug or id')
    .argument('<n>', 'the version number', versionNumber)
    .option('--override-reason <reason>', 'required to approve a version whose validation failed; recorded')
    .option('--comment <comment>', 'a comment recorded with the approval')
    .option(
      '--expected-hash <hash>',
      'the contentHash you reviewed: refused (409) if the version is not that',
    )
    .option('--json', 'print the approved version as the service answers it')
    .action(
      async (
        org: string,
        number: number,
        options: { overrideReason?: string; comment?: string; expectedHash?: string; json?: boolean },
      ) => {
        const client = await context.client();
        const version = expectOk(
          await client.POST('/v1/orgs/{org}/sso/versions/{number}/approve', {
            params: { path: { org, number } },
            body: {
              ...(options.overrideReason ? { overrideReason: options.overrideReason } : {}),
              ...(options.comment ? { comment: options.comment } : {}),
              ...(options.expectedHash ? { expectedHash: options.expectedHash } : {}),
            },
          }),
        );
        if (options.json) context.output.print(JSON.stringify(version, null, 2));
        else context.output.print(`Approved ${org} v${version.number} (${version.contentHash}).`);
      },
    );
}
