/**
 * Where csso keeps the service's URL and API key: a user config file,
 * `$XDG_CONFIG_HOME/csso/config.json` (or `~/.config/csso/config.json`), readable by its owner only
 * (file 0600, folder 0700, as ssh keeps its keys). `CSSO_URL` and `CSSO_API_KEY` override it, each on
 * its own, so CI needs no file at all.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

export interface Credentials {
  /** The service's origin, e.g. `https://sso.example.com`. */
  readonly url: string;
  readonly apiKey: string;
}

/** The config file's path for this environment. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME?.trim() ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'csso', 'config.json');
}

/**
 * Writes the credentials so that only the owner can read them: the folder is made (or narrowed to)
 * 0700, the file is created 0600 under a temporary name and renamed over the old one, so it is never
 * readable by others, not even for a moment, and never half-written.
 */
export async function saveCredentials(path: string, credentials: Credentials): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.writeFile(
      `${JSON.stringify({ url: credentials.url, apiKey: credentials.apiKey }, null, 2)}\n`,
    );
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

/** Removes the config file; false when there was none. */
export async function removeCredentials(path: string): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  await rm(path, { force: true });
  return true;
}

export interface StoredCredentials {
  readonly url?: string;
  readonly apiKey?: string;
  /** Set when others than the owner may read the file (it holds an API key). */
  readonly warning?: string;
}

/** The file's content, or nothing when there is no file. A file that is not csso's JSON is an error. */
export async function readStoredCredentials(path: string): Promise<StoredCredentials> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mode)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON: run \`csso login\` again or remove it`);
  }
  const { url, apiKey } = (parsed ?? {}) as { url?: unknown; apiKey?: unknown };
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
    ...((mode & 0o077) !== 0
      ? { warning: `${path} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it` }
      : {}),
  };
}

/**
 * The credentials to use: `CSSO_URL` and `CSSO_API_KEY` where set, the config file for the rest.
 * @throws CliError when either is missing, saying how to provide it.
 */
export function resolveCredentials(env: NodeJS.ProcessEnv, stored: StoredCredentials): Credentials {
  const url = env.CSSO_URL?.trim() || stored.url;
  const apiKey = env.CSSO_API_KEY?.trim() || stored.apiKey;
  if (!url || !apiKey) {
    const missing = [!url && 'service URL', !apiKey && 'API key'].filter(Boolean).join(' and ');
    throw new CliError(`not logged in (no ${missing}): run \`csso login\`, or set CSSO_URL and CSSO_API_KEY`);
  }
  return { url: normaliseUrl(url), apiKey };
}

/**
 * The service's origin as given (`https://sso.example.com`, a trailing slash removed).
 * @throws CliError when it is not an http(s) URL.
 */
export function normaliseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CliError(`not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`the service URL must be http(s): ${raw}`);
  }
  return url.toString().replace(/\/+$/, '');
}
