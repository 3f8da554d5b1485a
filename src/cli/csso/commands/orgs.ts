/** `csso orgs list`: every org of the tenant (all pages), optionally selected by labels. */
import type { Command } from 'commander';
import { expectOk } from '../api.js';
import type { Context } from '../context.js';
import { selectorLabels } from '../selector.js';
import { renderTable } from '../table.js';

export function registerOrgs(program: Command, context: Context): void {
  const orgs = program.command('orgs').description('the tenant’s orgs');
  orgs
    .command('list')
    .description('list the orgs (every page), optionally selected by labels')
    .option('-l, --selector <selector>', 'labels every listed org has, e.g. env=prod,region=eu')
    .option('--archived', 'list the archived orgs instead')
    .option('--json', 'print the orgs as a JSON array')
    .action(async (options: { selector?: string; archived?: boolean; json?: boolean }) => {
      const label = options.selector ? selectorLabels(options.selector) : undefined;
      const client = await context.client();
      const items = [];
      let cursor: string | undefined;
      do {
        const page = expectOk(
          await client.GET('/v1/orgs', {
            params: {
              query: {
                limit: 200,
                ...(cursor ? { cursor } : {}),
                ...(label ? { label } : {}),
                ...(options.archived ? { archived: true } : {}),
              },
            },
          }),
        );
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);

      if (options.json) {
        context.output.print(JSON.stringify(items, null, 2));
        return;
      }
      const rows = items.map((org) => [
        org.slug,
        org.name,
        Object.entries(org.labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(','),
      ]);
      context.output.print(renderTable(['SLUG', 'NAME', 'LABELS'], rows));
      context.output.note(`${items.length} ${items.length === 1 ? 'org' : 'orgs'}`);
    });
}
