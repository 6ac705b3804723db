import { describe, expect, it } from 'vitest';
import type { LogLine } from './api/release.ts';
import { appendLog, keepPolling, LOG_KEEP } from './release-log.ts';

const line = (seq: number): LogLine => ({ seq, stage: 'script', level: 'info', line: `l${seq}`, at: '' });
const seqs = (lines: LogLine[]) => lines.map((l) => l.seq);

describe('a target log held in the browser', () => {
  it.each([
    ['empty + page', [], [1, 2], [1, 2]],
    ['appends after the last', [1, 2], [3, 4], [1, 2, 3, 4]],
    ['drops lines already held (a page asked twice)', [1, 2, 3], [2, 3, 4], [1, 2, 3, 4]],
    ['an empty page changes nothing', [1], [], [1]],
  ])('%s', (_, held, page, want) => {
    expect(seqs(appendLog(held.map(line), { items: page.map(line), nextAfter: 0 }))).toEqual(want);
  });

  it(`keeps the newest ${LOG_KEEP} lines`, () => {
    const held = Array.from({ length: LOG_KEEP }, (_, i) => line(i + 1));
    const out = appendLog(held, { items: [line(LOG_KEEP + 1)], nextAfter: LOG_KEEP + 1 });
    expect(out).toHaveLength(LOG_KEEP);
    expect(out[0]?.seq).toBe(2);
    expect(out.at(-1)?.seq).toBe(LOG_KEEP + 1);
  });
});

describe('whether the log is asked again', () => {
  it.each([
    ['running', 10, 0, true],
    ['running', 0, 5, true],
    ['succeeded', 3, 0, true],
    ['succeeded', 3, 1, false],
    ['failed', 500, 3, true],
    ['pending', 0, 1, false],
    ['skipped', 0, 0, true],
  ] as const)('%s, last page %i lines, %i polls since: %s', (state, size, polls, want) => {
    expect(keepPolling(state, size, polls)).toBe(want);
  });
});
