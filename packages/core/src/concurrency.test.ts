import { describe, expect, it } from 'vitest';
import { chunk, mapLimit } from './concurrency.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('keeps the input order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([30, 10, 20, 5, 15, 1], 2, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await wait(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:10', '2:20', '3:5', '4:15', '5:1']);
    expect(peak).toBe(2);
  });

  it('handles no items, and a limit larger than the list, zero or NaN', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    expect(await mapLimit([1, 2], 100, async (x) => x * 2)).toEqual([2, 4]);
    expect(await mapLimit([1, 2], 0, async (x) => x)).toEqual([1, 2]);
    expect(await mapLimit([1, 2], Number.NaN, async (x) => x)).toEqual([1, 2]);
  });

  it('runs every item even when one fails, then throws the first error once all have settled', async () => {
    const finished: number[] = [];
    let settled = false;
    const run = mapLimit([0, 1, 2, 3, 4, 5], 2, async (i) => {
      if (i === 1) throw new Error('first');
      await wait(i === 3 ? 5 : 20);
      if (i === 3) throw new Error('second');
      finished.push(i);
      return i;
    }).finally(() => {
      settled = true;
    });
    await wait(10);
    expect(settled).toBe(false);
    await expect(run).rejects.toThrow('first');
    expect(finished.sort()).toEqual([0, 2, 4, 5]);
  });

  it('treats a synchronous throw like a rejection', async () => {
    await expect(
      mapLimit([1], 1, (() => {
        throw new Error('sync');
      }) as () => Promise<never>),
    ).rejects.toThrow('sync');
  });
});

describe('chunk', () => {
  it.each([
    [[1, 2, 3, 4, 5], 2, [[1, 2], [3, 4], [5]]],
    [[1, 2, 3], 3, [[1, 2, 3]]],
    [[1, 2], 10, [[1, 2]]],
    [[], 3, []],
  ])('%j by %i → %j', (items, size, want) => expect(chunk(items, size)).toEqual(want));

  it('refuses a size below 1 instead of looping forever', () => {
    expect(() => chunk([1], 0)).toThrow(/chunk size must be at least 1/);
    expect(() => chunk([1], Number.NaN)).toThrow(RangeError);
  });
});
