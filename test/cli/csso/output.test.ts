/** Whatever csso prints passes one redactor: a secret read from the environment never reaches the terminal. */
import { describe, expect, test } from 'vitest';
import { Output, REDACTED } from '../../../src/cli/csso/output.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const output = new Output({ write: (t: string) => out.push(t) }, { write: (t: string) => err.push(t) });
  return { output, out, err };
}

describe('Output', () => {
  test('replaces every occurrence of a hidden value, on stdout and on stderr', () => {
    const { output, out, err } = capture();
    output.hide('s3cr3t-value');
    output.print('idpClientSecret: s3cr3t-value (twice: s3cr3t-value)');
    output.note('csso: Bad request: s3cr3t-value is too short');
    expect(out).toEqual([`idpClientSecret: ${REDACTED} (twice: ${REDACTED})\n`]);
    expect(err).toEqual([`csso: Bad request: ${REDACTED} is too short\n`]);
  });

  test('prints everything else unchanged, and ignores values too short to hide', () => {
    const { output, out } = capture();
    output.hide('abc');
    output.hide('');
    output.print('a plan about abc and its cabbages');
    expect(out).toEqual(['a plan about abc and its cabbages\n']);
  });
});
