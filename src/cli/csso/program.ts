/**
 * csso's commands (commander), and the one place where a failure becomes a message and an exit code:
 * a CliError (an API problem, a bad file, a missing variable) prints its message on stderr and exits
 * 1 (or its own code); a usage error exits 1 with commander's message; anything else is a bug and
 * prints its stack.
 */
import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.js';
import { registerAudit } from './commands/audit.js';
import { registerExport } from './commands/export.js';
import { registerLogin } from './commands/login.js';
import { registerOrgs } from './commands/orgs.js';
import { registerPlan } from './commands/plan.js';
import { registerVersions } from './commands/versions.js';
import { type Context, createContext } from './context.js';
import { CliError } from './errors.js';
import { Output } from './output.js';
import { closePrompts } from './prompt.js';
import { CSSO_VERSION } from './version.js';

export function buildProgram(context: Context): Command {
  const program = new Command('csso')
    .description('SSO as code for the Cognigy SSO configuration service')
    .version(CSSO_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.output.stdout.write(text),
      writeErr: (text) => context.output.stderr.write(context.output.redact(text)),
    })
    .addHelpText(
      'after',
      '\nThe service URL and API key come from `csso login` or CSSO_URL and CSSO_API_KEY.\n' +
        'Exit codes: 0 success, 1 error; `plan --detailed-exitcode`: 2 when there are changes.',
    );
  registerLogin(program, context);
  registerPlan(program, context);
  registerApply(program, context);
  registerExport(program, context);
  registerOrgs(program, context);
  registerVersions(program, context);
  registerAudit(program, context);
  return program;
}

/** Runs csso with `argv` (as process.argv) and answers the exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const output = new Output(process.stdout, process.stderr);
  const context = createContext(env, output);
  try {
    await buildProgram(context).parseAsync([...argv]);
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    if (error instanceof CliError) {
      output.note(`csso: ${error.message}`);
      return error.exitCode;
    }
    output.note(`csso: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    closePrompts();
  }
}
