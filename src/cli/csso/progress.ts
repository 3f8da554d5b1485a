/**
 * Progress of a long stream (the audit export): lines and bytes so far, with cli-progress on stderr —
 * only when stderr is a terminal, so logs and pipes get no control characters.
 */
import { Transform } from 'node:stream';
import cliProgress from 'cli-progress';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export interface Counter {
  /** Passes every chunk through unchanged, counting it. */
  readonly stream: Transform;
  readonly totals: () => { lines: number; bytes: number };
  /** Stops the bar (if any). */
  stop(): void;
}

/** A pass-through that counts lines and bytes, showing them on `terminal` when it is a TTY. */
export function countingProgress(label: string, terminal: NodeJS.WriteStream = process.stderr): Counter {
  let lines = 0;
  let bytes = 0;
  const bar = terminal.isTTY
    ? new cliProgress.SingleBar(
        {
          format: `${label} {lines} lines, {size} | {duration_formatted}`,
          stream: terminal,
          fps: 5,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(0, 0, { lines: 0, size: formatBytes(0) });
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      bar?.update(0, { lines, size: formatBytes(bytes) });
      done(null, chunk);
    },
  });
  return {
    stream,
    totals: () => ({ lines, bytes }),
    stop: () => bar?.stop(),
  };
}
