/**
 * Where the audit signing key comes from: AUDIT_SIGNING_KEY, or (outside production only) a key
 * generated once into `<DATA_DIR>/audit-signing-key` (mode 0600), like the master key, so that
 * `npm start` works on a fresh clone. `rotateGeneratedSigningKey` replaces that file's key (the
 * public key of the old one stays in the database, so its checkpoints stay verifiable).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { generateSigningKey, parseSigningKey, type SigningKey } from './signing-key.js';

export const generatedSigningKeyFile = (dataDir: string) => join(resolve(dataDir), 'audit-signing-key');

export async function loadSigningKey(config: Config, logger: Pick<Logger, 'warn'>): Promise<SigningKey> {
  if (config.auditSigningKey) return parseSigningKey(config.auditSigningKey);
  if (config.isProduction) throw new Error('AUDIT_SIGNING_KEY is required in production');
  const file = generatedSigningKeyFile(config.dataDir);
  if (!existsSync(file)) {
    await mkdir(resolve(config.dataDir), { recursive: true, mode: 0o755 });
    const { seed } = generateSigningKey();
    await writeFile(file, `${seed}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // another process generated it first: read theirs
    });
    logger.warn(
      { file },
      'AUDIT_SIGNING_KEY is not set: generated the key that signs audit checkpoints into the data folder. ' +
        'Set AUDIT_SIGNING_KEY in production.',
    );
  }
  try {
    return parseSigningKey((await readFile(file, 'utf8')).trim());
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** Only a generated key is rotated by the service; a configured one is replaced by its operator. */
export function assertGeneratedSigningKey(config: Config): void {
  if (config.auditSigningKey) {
    throw new Error(
      'AUDIT_SIGNING_KEY is set: put a new key into it on every process (e.g. `openssl rand -base64 32`) and ' +
        'restart; the service records the new key when it first signs with it',
    );
  }
}

/**
 * A new key in place of the generated one. `register` records its public key first (so that no
 * checkpoint can be signed by a key the database does not know); then the file is written anew and
 * renamed over the old (a reader sees the old key or the new, never half of one). Refused when
 * AUDIT_SIGNING_KEY is set: then the operator replaces that value instead.
 */
export async function rotateGeneratedSigningKey(
  config: Config,
  register: (key: SigningKey) => Promise<void>,
): Promise<SigningKey> {
  assertGeneratedSigningKey(config);
  const file = generatedSigningKeyFile(config.dataDir);
  await mkdir(resolve(config.dataDir), { recursive: true, mode: 0o755 });
  const { key, seed } = generateSigningKey();
  await register(key);
  const next = `${file}.next`;
  await writeFile(next, `${seed}\n`, { mode: 0o600 });
  await rename(next, file);
  return key;
}
