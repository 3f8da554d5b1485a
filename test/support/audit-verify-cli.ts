/** Runs `npm run audit:verify` (its source, through tsx) against a test database; its JSON log lines parsed. */
import { spawnSync } from 'node:child_process';

export interface AuditVerifyLine {
  readonly msg: string;
  readonly chain?: string;
  readonly checked?: number;
  readonly firstMismatch?: { seq: number };
  readonly [field: string]: unknown;
}

export function runAuditVerifyCli(databaseUrl: string, args: readonly string[] = []) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/audit-verify.ts', ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      DATA_DIR: '/nonexistent',
    },
    timeout: 60_000,
  });
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditVerifyLine);
  return { status: result.status, lines, stderr: result.stderr };
}
