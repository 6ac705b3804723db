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
  return { groups, gates, store, open: () => gates.shift()!() };
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

  it('never stores two groups that share a key at once, so items on one key keep their order', async () => {
    const s = gatedStore();
    const key = (i: number) => [i % 2 ? 'odd' : 'even'];
    const gc = new GroupCommit(s.store, { slots: 2, maxWeight: 100, weight: () => 1, keys: key });
    const answers = [1, 3, 2, 5, 4].map((i) => gc.submit(i));
    await flush();
    // 3 shares a key with 1, which is being stored: it waits, and 2, 5, 4 behind it too.
    expect(s.groups).toEqual([[1]]);
    s.open();
    await flush();
    // 3 and 2 go together; 5 would share "odd" with 3's group only after it, so it joins it too,
    // while nothing else runs.
    expect(s.groups).toEqual([[1], [3, 2, 5, 4]]);
    s.open();
    expect(await Promise.all(answers)).toEqual(['ok 1', 'ok 3', 'ok 2', 'ok 5', 'ok 4']);
  });

  it('stores groups on different keys side by side, and holds back the first that overlaps', async () => {
    const s = gatedStore();
    const gc = new GroupCommit(s.store, {
      slots: 2,
      maxWeight: 100,
      weight: () => 1,
      keys: (i: number) => [String(i % 10)],
    });
    const answers = [1, 2, 11, 3].map((i) => gc.submit(i));
    await flush();
    expect(s.groups).toEqual([[1], [2]]);
    // 11 shares "1" with the first group: when 2 finishes, 11 must wait, and 3 with it.
    s.gates.at(-1)!();
    await flush();
    expect(s.groups).toEqual([[1], [2]]);
    s.gates[0]!();
    await flush();
    expect(s.groups).toEqual([[1], [2], [11, 3]]);
    s.gates.at(-1)!();
    expect(await Promise.all(answers)).toEqual(['ok 1', 'ok 2', 'ok 11', 'ok 3']);
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
