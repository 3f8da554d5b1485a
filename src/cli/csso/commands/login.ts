/** `csso login` and `csso logout`: the service's URL and an API key, checked, kept in the user's config file. */
import type { Command } from 'commander';
import { connect, expectOk } from '../api.js';
import { configPath, normaliseUrl, removeCredentials, saveCredentials } from '../config.js';
import type { Context } from '../context.js';
import { ask } from '../prompt.js';

export function registerLogin(program: Command, context: Context): void {
  program
    .command('login')
    .description(
      'check a service URL and API key (GET /v1/me) and keep them in the user config file (mode 0600)',
    )
    .option('--url <url>', 'the service URL (asked when not given; default $CSSO_URL)')
    .option(
      '--api-key <key>',
      'the API key (asked without echo when not given; default $CSSO_API_KEY). On the command line it stays in the shell history',
    )
    .action(async (options: { url?: string; apiKey?: string }) => {
      const { env, output } = context;
      const url = normaliseUrl(options.url ?? env.CSSO_URL ?? (await ask('Service URL: ')));
      const apiKey = options.apiKey ?? env.CSSO_API_KEY ?? (await ask('API key: ', { hidden: true }));
      output.hide(apiKey);
      const me = expectOk(await connect({ url, apiKey }).GET('/v1/me'));
      const path = configPath(env);
      await saveCredentials(path, { url, apiKey });
      output.note(
        `Logged in to ${url} as "${me.name}" (${me.roles.join(', ')}). Saved in ${path} (mode 0600).`,
      );
    });

  program
    .command('logout')
    .description('remove the user config file that `csso login` wrote')
    .action(async () => {
      const path = configPath(context.env);
      const removed = await removeCredentials(path);
      context.output.note(removed ? `Logged out: removed ${path}.` : `Not logged in (no ${path}).`);
    });
}
