/** What every command gets: the environment, the (redacting) output, and the way to the service. */
import { type ApiClient, connect } from './api.js';
import { type Credentials, configPath, readStoredCredentials, resolveCredentials } from './config.js';
import type { Output } from './output.js';

export interface Context {
  readonly env: NodeJS.ProcessEnv;
  readonly output: Output;
  /** What the process exits with once the command returns (commands that succeed may set 2). */
  exitCode: number;
  /** The URL and key to use: `CSSO_URL`/`CSSO_API_KEY`, else the config file of `csso login`. */
  credentials(): Promise<Credentials>;
  /** The typed client on {@link credentials}. */
  client(): Promise<ApiClient>;
}

export function createContext(env: NodeJS.ProcessEnv, output: Output): Context {
  const context: Context = {
    env,
    output,
    exitCode: 0,
    async credentials() {
      const stored = await readStoredCredentials(configPath(env));
      if (stored.warning) output.note(`warning: ${stored.warning}`);
      return resolveCredentials(env, stored);
    },
    async client() {
      return connect(await context.credentials());
    },
  };
  return context;
}
