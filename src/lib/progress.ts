/**
 * Progress of long work in the log: a line every `every` items (or five seconds) and at the end,
 * with how many are done, of how many, and how many failed.
 */
import type { Logger } from 'pino';

const EVERY_MS = 5_000;

export function progressLog(
  logger: Pick<Logger, 'info'>,
  message: string,
  context: Record<string, unknown>,
  total: number,
  every = 100,
): (failed?: boolean) => void {
  let done = 0;
  let failed = 0;
  let lastLog = Date.now();
  return (itemFailed = false) => {
    done += 1;
    if (itemFailed) failed += 1;
    if (done % every === 0 || done === total || Date.now() - lastLog > EVERY_MS) {
      lastLog = Date.now();
      logger.info({ ...context, done, total, failed }, message);
    }
  };
}
