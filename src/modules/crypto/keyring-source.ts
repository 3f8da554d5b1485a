/**
 * Where the keyring comes from: ENCRYPTION_KEYS, or (outside production only) a key generated once
 * into `<DATA_DIR>/encryption-keys`, so that `npm start` works on a fresh clone.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { generateKeySpecEntry, type Keyring, parseKeyringSpec } from './keyring.js';

export const generatedKeyringFile = (dataDir: string) => join(resolve(dataDir), 'encryption-keys');

export async function loadKeyring(config: Config, logger: Pick<Logger, 'warn'>): Promise<Keyring> {
  if (config.encryptionKeys) return parseKeyringSpec(config.encryptionKeys);
  if (config.isProduction) throw new Error('ENCRYPTION_KEYS is required in production');
  const file = generatedKeyringFile(config.dataDir);
  if (!existsSync(file)) {
    await mkdir(resolve(config.dataDir), { recursive: true, mode: 0o755 });
    const id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
    await writeFile(file, `${generateKeySpecEntry(id)}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn(
      { file },
      'ENCRYPTION_KEYS is not set: generated a master key into the data folder. Back it up (losing it loses every ' +
        'stored secret) and set ENCRYPTION_KEYS in production.',
    );
  }
  try {
    return parseKeyringSpec((await readFile(file, 'utf8')).trim());
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
