import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

/** A store whose groups finish when the test says so, recording what each group held. */
function gatedStore() {
  const groups: number[][] = [];
  const gates: (() => void)[] = [];
  const store = (items: number[]) =>
    new Promise<PromiseSettledResult<string>[]>((resolve) => {
      groups.push(items);
      gates.push(() =>
        resolve(
          items.map((i) =>
            i < 0
              ? { status: 'rejected', reason: new Error(`bad ${i}`) }
              : { status: 'fulfilled', value: `ok ${i}` },
          ),
        ),
      );
    });
  return { groups, store, open: () => gates.shift()!() };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('stores at once while a slot is free, and groups what queues behind busy slots', async () => {
    const s = gatedStore();
    const gc = new GroupCommit(s.store, { slots: 2, maxWeight: 100, weight: () => 1 });
    const answers = [1, 2, 3, 4, 5].map((i) => gc.submit(i));
    await flush();
    expect(s.groups).toEqual([[1], [2]]);
    s.open();
    await flush();
    expect(s.groups).toEqual([[1], [2], [3, 4, 5]]);
    s.open();
    s.open();
    expect(await Promise.all(answers)).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
  });

  it('keeps a group within its weight, and takes an item heavier than the limit alone', async () => {
    const s = gatedStore();
    const gc = new GroupCommit(s.store, { slots: 1, maxWeight: 10, weight: (i: number) => i });
    const answers = [1, 4, 5, 3, 20, 2].map((i) => gc.submit(i));
    for (let n = 0; n < 5; n++) {
      await flush();
      s.open();
    }
    await Promise.all(answers);
    expect(s.groups).toEqual([[1], [4, 5], [3], [20], [2]]);
  });

  it('answers each item with its own outcome', async () => {
    const s = gatedStore();
    const gc = new GroupCommit(s.store, { slots: 1, maxWeight: 100, weight: () => 1 });
    const outcomes = Promise.allSettled([1, -2, 3].map((i) => gc.submit(i)));
    await flush();
    s.open();
    await flush();
    s.open();
    expect((await outcomes).map((o) => (o.status === 'fulfilled' ? o.value : String(o.reason)))).toEqual([
      'ok 1',
      'Error: bad -2',
      'ok 3',
    ]);
  });
});
