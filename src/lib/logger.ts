/**
 * pino options shared by the server and the CLIs: JSON lines, request ids, and redaction of every
 * place a secret could travel through a log call. Secrets must never be logged in the first place;
 * redaction is the second line of defence.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '../config/config.js';

/** Field names that hold secrets wherever they appear (two levels deep, plus request headers). */
const SECRET_FIELDS = [
  'apiKey',
  'api_key',
  'key',
  'secret',
  'password',
  'token',
  'clientSecret',
  'idpClientSecret',
  'decryptionPrivateKey',
  'authorization',
  'plaintext',
  'BOOTSTRAP_ADMIN_KEY',
  'ENCRYPTION_KEYS',
];

export const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
];

interface LoggedRequest {
  method: string;
  url: string;
  ip?: string;
  headers?: Record<string, unknown>;
  routeOptions?: { url?: string };
}

/**
 * The URL is logged without query values: a query can carry anything a user pasted (a search for a
 * key, a Cognigy-style `?api_key=`), and the path plus the parameter names are enough to debug.
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const names = [...new URLSearchParams(url.slice(at + 1)).keys()];
  return `${url.slice(0, at)}?${names.map((n) => `${encodeURIComponent(n)}=…`).join('&')}`;
}

export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactQuery(req.url),
        route: req.routeOptions?.url,
        remoteAddress: req.ip,
        userAgent: req.headers?.['user-agent'],
      }),
    },
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'cognigy-sso' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * Without a destination: stdout, written asynchronously — lines that arrive while a write is in
 * flight go out together in the next one, instead of one blocking write(2) per line (under load
 * that was a fifth of the process's CPU time). pino flushes what is pending when the process exits.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: false }));
}

/**
 * Resolves once the lines given to `logger` so far are written (at most `timeoutMs`). The async
 * destination above has one write in flight at a time; pino's flush() does not wait for it, and the
 * synchronous flush at process exit can overtake it: a line logged just before the exit came out
 * after the last one (seen on shutdown). The in-flight state is the destination's own
 * (sonic-boom's `_writing` and its 'drain' event).
 */
export function logsWritten(logger: Logger, timeoutMs = 1_000): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | { _writing?: boolean; once(event: 'drain', listener: () => void): void }
    | undefined;
  if (!stream?._writing) return Promise.resolve();
  return new Promise((resolveWritten) => {
    const timer = setTimeout(resolveWritten, timeoutMs);
    stream.once('drain', () => {
      clearTimeout(timer);
      resolveWritten();
    });
  });
}
