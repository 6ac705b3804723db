import { describe, expect, it } from 'vitest';
import { durationSeconds, episodes, previewStep } from './firing.ts';

const at = (...ts: number[]) => ts.map((t) => [t, '1'] as [number, string]);

describe('episodes', () => {
  it.each([
    ['nothing returned: never pending', [], 60, 300, []],
    ['one short blip stays pending', at(0), 60, 300, [{ start: 0, end: 0, firingAt: null }]],
    [
      'fires once it has lasted for',
      at(0, 60, 120, 180, 240, 300, 360),
      60,
      300,
      [{ start: 0, end: 360, firingAt: 300 }],
    ],
    ['for 0 fires at once', at(120, 180), 60, 0, [{ start: 120, end: 180, firingAt: 120 }]],
    [
      'a gap longer than a step starts over, so the for clock resets',
      at(0, 60, 120, 240, 300, 360, 420, 480, 540),
      60,
      300,
      [
        { start: 0, end: 120, firingAt: null },
        { start: 240, end: 540, firingAt: 540 },
      ],
    ],
  ])('%s', (_n, values, step, forS, want) => expect(episodes(values, step, forS)).toEqual(want));
});

describe('previewStep and durationSeconds', () => {
  it.each([
    [3600, 15],
    [6 * 3600, 75],
    [24 * 3600, 300],
  ])('%i s of range → step %i s', (range, step) => expect(previewStep(range)).toBe(step));
  it.each([
    ['', 0],
    ['5m', 300],
    ['1h30m', 5400],
    ['90s', 90],
  ])('%s', (d, s) => expect(durationSeconds(d)).toBe(s));
});
