/**
 * `csso plan -f sso.yaml`: what the desired-state document would change, org by org, without changing
 * anything. Exit codes as Terraform's: 0 (no changes), 1 (an error: the document, an org, a blocked
 * validation, the API), and with `--detailed-exitcode` 2 when there are changes.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { loadDesiredState } from '../document.js';
import { planExitCode, planHasErrors, renderPlan } from '../plan-render.js';
import { createPlan } from '../plans-api.js';

/** Reads a document (hiding its environment secrets from all output) and plans it. */
export async function planFile(context: Context, file: string) {
  const loaded = await loadDesiredState(file, context.env);
  for (const secret of loaded.secrets) context.output.hide(secret);
  const client = await context.client();
  return { loaded, client, plan: await createPlan(client, loaded) };
}

export function registerPlan(program: Command, context: Context): void {
  program
    .command('plan')
    .description('plan a desired-state document (YAML or JSON): per org no change, draft, blocked or error')
    .requiredOption('-f, --file <file>', 'the document (- for stdin)')
    .option('--json', 'print the plan as the service answers it')
    .option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes, 1 on errors (as Terraform)')
    .action(async (options: { file: string; json?: boolean; detailedExitcode?: boolean }) => {
      const { loaded, plan } = await planFile(context, options.file);
      if (options.json) context.output.print(JSON.stringify(plan, null, 2));
      else {
        context.output.print(renderPlan(plan, { locate: loaded.locate }));
        if (plan.totals.draft > 0 && !planHasErrors(plan))
          context.output.note(`\nTo apply exactly this plan: csso apply ${plan.id}`);
      }
      context.exitCode = planExitCode(plan, options.detailedExitcode ?? false);
    });
}
