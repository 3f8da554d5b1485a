/** The audit export's progress: lines and bytes counted as they pass, a bar only on a terminal. */
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import { countingProgress, formatBytes } from '../../../src/cli/csso/progress.js';

/** A stand-in for stderr that records what is drawn on it. */
function terminal(isTTY: boolean) {
  let drawn = '';
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; columns: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  stream.on('data', (chunk: Buffer) => {
    drawn += chunk.toString('utf8');
  });
  return { stream: stream as unknown as NodeJS.WriteStream, drawn: () => drawn };
}

async function pass(counter: ReturnType<typeof countingProgress>, chunks: string[]) {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), counter.stream, sink);
  counter.stop();
  return out;
}

describe('countingProgress', () => {
  test('passes every byte through unchanged and counts lines and bytes, across chunk boundaries', async () => {
    const tty = terminal(false);
    const counter = countingProgress('Exporting:', tty.stream);
    const chunks = ['{"seq":1}\n{"se', 'q":2}\n', '{"seq":3}\n'];
    expect(await pass(counter, chunks)).toBe(chunks.join(''));
    expect(counter.totals()).toEqual({ lines: 3, bytes: Buffer.byteLength(chunks.join('')) });
  });

  test('draws nothing when stderr is not a terminal', async () => {
    const tty = terminal(false);
    await pass(countingProgress('Exporting:', tty.stream), ['a\n', 'b\n']);
    expect(tty.drawn()).toBe('');
  });

  test('draws the counts when stderr is a terminal', async () => {
    const tty = terminal(true);
    await pass(countingProgress('Exporting:', tty.stream), ['a\n', 'b\n']);
    expect(tty.drawn()).toContain('Exporting:');
    expect(tty.drawn()).toMatch(/\d+ lines, \d+ B/);
  });
});

describe('formatBytes', () => {
  test('bytes, then KiB, MiB and GiB with one decimal', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(70 * 1024 * 1024)).toBe('70.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
