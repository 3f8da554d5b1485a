/** csso's user config file: where it is, who may read it, and what overrides it. */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  configPath,
  normaliseUrl,
  readStoredCredentials,
  removeCredentials,
  resolveCredentials,
  saveCredentials,
} from '../../../src/cli/csso/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csso-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('configPath', () => {
  test('under $XDG_CONFIG_HOME when set, else ~/.config', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x/config', HOME: '/home/a' })).toBe('/x/config/csso/config.json');
    expect(configPath({ HOME: '/home/a' })).toBe('/home/a/.config/csso/config.json');
  });
});

describe('saveCredentials', () => {
  test('writes the file with mode 0600 in a folder of mode 0700, whatever the umask', async () => {
    const path = join(dir, 'a', 'csso', 'config.json');
    const umask = process.umask(0o000);
    try {
      await saveCredentials(path, { url: 'https://sso.example.com', apiKey: 'csso_key' });
    } finally {
      process.umask(umask);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a', 'csso'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      url: 'https://sso.example.com',
      apiKey: 'csso_key',
    });
  });

  test('replaces an existing file, and narrows a folder others could read to 0700', async () => {
    const folder = join(dir, 'b', 'csso');
    const path = join(folder, 'config.json');
    await saveCredentials(path, { url: 'https://one.example.com', apiKey: 'k1' });
    await chmod(folder, 0o755);
    await saveCredentials(path, { url: 'https://two.example.com', apiKey: 'k2' });
    expect(await readStoredCredentials(path)).toEqual({ url: 'https://two.example.com', apiKey: 'k2' });
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });
});

describe('readStoredCredentials and removeCredentials', () => {
  test('no file: nothing stored; removing it again says there was none', async () => {
    const path = join(dir, 'none', 'config.json');
    expect(await readStoredCredentials(path)).toEqual({});
    expect(await removeCredentials(path)).toBe(false);
  });

  test('warns about a file others may read', async () => {
    const path = join(dir, 'open.json');
    await writeFile(path, JSON.stringify({ url: 'https://x.example.com', apiKey: 'k' }), { mode: 0o644 });
    await chmod(path, 0o644);
    expect((await readStoredCredentials(path)).warning).toMatch(/readable by others \(mode 644\)/);
    expect(await removeCredentials(path)).toBe(true);
    expect(await readStoredCredentials(path)).toEqual({});
  });

  test('a file that is not JSON is an error saying what to do', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ url: ', { mode: 0o600 });
    await expect(readStoredCredentials(path)).rejects.toThrow(/not valid JSON: run `csso login` again/);
  });
});

describe('resolveCredentials', () => {
  const stored = { url: 'https://file.example.com', apiKey: 'file-key' };

  test('the file, when nothing overrides it', () => {
    expect(resolveCredentials({}, stored)).toEqual(stored);
  });

  test('CSSO_URL and CSSO_API_KEY override the file, each on its own', () => {
    expect(resolveCredentials({ CSSO_API_KEY: 'env-key' }, stored)).toEqual({
      url: 'https://file.example.com',
      apiKey: 'env-key',
    });
    expect(resolveCredentials({ CSSO_URL: 'http://127.0.0.1:3000/' }, stored)).toEqual({
      url: 'http://127.0.0.1:3000',
      apiKey: 'file-key',
    });
  });

  test('neither: an error that says how to log in', () => {
    expect(() => resolveCredentials({}, {})).toThrow(
      'not logged in (no service URL and API key): run `csso login`, or set CSSO_URL and CSSO_API_KEY',
    );
  });

  test('a URL must be http(s)', () => {
    expect(() => normaliseUrl('ftp://x')).toThrow(/must be http\(s\)/);
    expect(() => normaliseUrl('not a url')).toThrow(/not a URL/);
  });
});
