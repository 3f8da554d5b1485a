// Runs `prisma generate` (the Kysely table types, prisma-kysely) without network access. The Prisma
// CLI insists on a native schema engine before any command, and downloads one from a host that
// air-gapped installs cannot reach. `generate` never uses it, so any existing executable satisfies
// the check (see ../shared/NOTES.md). The generator's command is found in node_modules/.bin, which
// is on the PATH under `npm run` but not when this script is run by itself.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin');
const env = {
  ...process.env,
  PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
