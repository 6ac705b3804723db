import { describe, expect, it } from 'vitest';
import { type Observation, observe, type QuietTrack, type QuietVerdict } from './quiet.ts';

const Q = 1000;
type Look = [at: number, size: number | null, mtimeMs?: number, openForWrite?: boolean];

/** Feeds looks in order; returns each verdict's kind. */
function run(looks: Look[]): string[] {
  let track: QuietTrack | undefined;
  const kinds: string[] = [];
  for (const [at, size, mtimeMs = 0, openForWrite] of looks) {
    const obs: Observation = { at, ...(size === null ? {} : { stat: { size, mtimeMs } }), openForWrite };
    const v: QuietVerdict = observe(track, obs, Q);
    kinds.push(v.kind);
    track = v.kind === 'gone' ? undefined : v.track;
  }
  return kinds;
}

describe('observe', () => {
  it.each<[string, Look[], string[]]>([
    ['first look always waits', [[0, 10, 5]], ['waiting']],
    [
      'unchanged for the window',
      [
        [0, 10, 5],
        [1000, 10, 5],
      ],
      ['waiting', 'ready'],
    ],
    [
      'unchanged but the window is not over',
      [
        [0, 10, 5],
        [999, 10, 5],
      ],
      ['waiting', 'waiting'],
    ],
    [
      'a file that grows restarts the window each time',
      [
        [0, 10, 5],
        [1000, 20, 6],
        [2000, 30, 7],
        [3000, 30, 7],
      ],
      ['waiting', 'waiting', 'waiting', 'ready'],
    ],
    [
      'a truncated file restarts the window',
      [
        [0, 100, 5],
        [1000, 0, 6],
        [1500, 0, 6],
        [2000, 0, 6],
      ],
      ['waiting', 'waiting', 'waiting', 'ready'],
    ],
    [
      'mtime changes without a size change',
      [
        [0, 10, 5],
        [1000, 10, 9],
        [2000, 10, 9],
      ],
      ['waiting', 'waiting', 'ready'],
    ],
    [
      'a writer holding it open restarts the window',
      [
        [0, 10, 5],
        [1000, 10, 5, true],
        [2000, 10, 5, false],
      ],
      ['waiting', 'waiting', 'ready'],
    ],
    [
      'no writer once quiet: ready',
      [
        [0, 10, 5],
        [1000, 10, 5, false],
      ],
      ['waiting', 'ready'],
    ],
    [
      'gone while waiting',
      [
        [0, 10, 5],
        [500, null],
      ],
      ['waiting', 'gone'],
    ],
    [
      'gone then back starts over',
      [
        [0, 10, 5],
        [500, null],
        [1000, 10, 5],
        [1999, 10, 5],
      ],
      ['waiting', 'gone', 'waiting', 'waiting'],
    ],
  ])('%s', (_name, looks, want) => {
    expect(run(looks)).toEqual(want);
  });

  it('says when to look next: at the end of the window', () => {
    const first = observe(undefined, { at: 100, stat: { size: 1, mtimeMs: 1 } }, Q);
    expect(first).toMatchObject({ kind: 'waiting', checkAt: 1100 });
    if (first.kind !== 'waiting') throw new Error('unreachable');
    expect(observe(first.track, { at: 600, stat: { size: 1, mtimeMs: 1 } }, Q)).toMatchObject({
      checkAt: 1100,
    });
  });
});
