import { describe, expect, it } from 'vitest';
import { coalesced } from '../../src/lib/coalesce.js';

describe('coalesced', () => {
  it('runs the calls of one tick as one batch and answers each with its own result', async () => {
    const batches: number[][] = [];
    const double = coalesced(async (keys: readonly number[]) => {
      batches.push([...keys]);
      return keys.map((k) => k * 2);
    });
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('gathers the calls made while a batch runs into the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const echo = coalesced(async (keys: readonly number[]) => {
      batches.push([...keys]);
      if (batches.length === 1) await gate;
      return keys;
    });
    const first = echo(1);
    await new Promise((r) => setImmediate(r));
    const later = [echo(2), echo(3), echo(4)];
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('fails every call of a failing batch, and the next batch runs again', async () => {
    let calls = 0;
    const flaky = coalesced(async (keys: readonly string[]) => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
      return keys;
    });
    const results = await Promise.allSettled([flaky('a'), flaky('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await flaky('c')).toBe('c');
  });

  it('splits batches at max', async () => {
    const sizes: number[] = [];
    const id = coalesced(async (keys: readonly number[]) => {
      sizes.push(keys.length);
      return keys;
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map(id));
    expect(sizes).toEqual([2, 2, 1]);
  });
});
