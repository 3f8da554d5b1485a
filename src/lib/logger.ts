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

export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'cognigy-sso' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
