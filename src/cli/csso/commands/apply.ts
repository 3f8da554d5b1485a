/**
 * `csso apply <plan id>` or `csso apply -f sso.yaml`: shows the plan, asks for a `yes` (unless
 * `--yes`), and has the service create exactly the planned drafts (approved too with `--approve`).
 * Exits 0 only when every org of the plan is where the document wants it: each draft created (and
 * approved when asked), no org blocked or in error.
 */
import type { Command } from 'commander';
import type { ApiClient } from '../api.js';
import type { Context } from '../context.js';
import type { LoadedDocument } from '../document.js';
import { CliError } from '../errors.js';
import { appliedExitCode, planHasErrors, renderApplied, renderPlan } from '../plan-render.js';
import type { Plan } from '../plan-types.js';
import { applyPlan, getPlan } from '../plans-api.js';
import { confirm } from '../prompt.js';
import { planFile } from './plan.js';

interface ApplyOptions {
  file?: string;
  yes?: boolean;
  approve?: boolean;
  comment?: string;
  json?: boolean;
}

function notApplied(plan: Plan): string | undefined {
  const { blocked, error } = plan.totals;
  const documentErrors = plan.errors?.length ?? 0;
  if (!planHasErrors(plan)) return undefined;
  const parts = [
    blocked > 0 && `${blocked} blocked`,
    error > 0 && `${error} with errors`,
    documentErrors > 0 && `${documentErrors} document ${documentErrors === 1 ? 'error' : 'errors'}`,
  ].filter(Boolean);
  return `Not applied: ${parts.join(', ')} (see the plan); fix the document and plan again.`;
}

export function registerApply(program: Command, context: Context): void {
  program
    .command('apply')
    .description('apply a plan (by its id, or planned now from a file): create exactly its drafts')
    .argument('[plan]', 'the plan id that `csso plan` printed')
    .option('-f, --file <file>', 'plan this document (- for stdin) and apply it')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--approve', 'approve each draft in the same call (an approver other than the plan’s author)')
    .option('--comment <comment>', 'a comment recorded with the approvals')
    .option('--json', 'print the applied plan as the service answers it')
    .action(async (id: string | undefined, options: ApplyOptions) => {
      const { output } = context;
      if ((id === undefined) === (options.file === undefined)) {
        throw new CliError('name a plan id or a file (-f), one of the two');
      }
      if (options.file === '-' && !options.yes) {
        throw new CliError(
          'a document read from stdin leaves no stdin to answer the confirmation: add --yes',
        );
      }
      let plan: Plan;
      let client: ApiClient;
      let locate: LoadedDocument['locate'] | undefined;
      if (options.file) {
        const planned = await planFile(context, options.file);
        ({ plan, client } = planned);
        locate = planned.loaded.locate;
      } else {
        client = await context.client();
        plan = await getPlan(client, id as string);
      }

      const approve = options.approve ?? false;
      if (plan.state === 'applied') {
        output.note(`Plan ${plan.id} was applied already; its results:`);
        output.print(options.json ? JSON.stringify(plan, null, 2) : renderApplied(plan, approve));
        context.exitCode = appliedExitCode(plan, approve);
        return;
      }
      // With --json, stdout is for the applied plan only: the plan to confirm goes to stderr.
      const rendered = renderPlan(plan, locate ? { locate } : {});
      if (options.json) output.note(rendered);
      else output.print(rendered);
      const skipped = notApplied(plan);
      if (plan.totals.draft === 0) {
        output.note(`\nNo changes to apply.${skipped ? ` ${skipped}` : ''}`);
        context.exitCode = skipped ? 1 : 0;
        return;
      }
      if (!options.yes) {
        const what = `${plan.totals.draft} ${plan.totals.draft === 1 ? 'draft' : 'drafts'}${options.approve ? ', each approved at once' : ''}`;
        output.note('');
        if (!(await confirm(`Apply this plan (${what})?`))) {
          output.note('\nApply cancelled (only yes applies; --yes applies without asking).');
          context.exitCode = 1;
          return;
        }
      }
      const applied = await applyPlan(client, plan.id, options);
      output.print(options.json ? JSON.stringify(applied, null, 2) : `\n${renderApplied(applied, approve)}`);
      if (skipped) output.note(skipped);
      context.exitCode = appliedExitCode(applied, approve);
    });
}
