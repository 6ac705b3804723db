import { describe, expect, it } from 'vitest';
import type { LogLine } from './api/release.ts';
import { appendLog, EMPTY_LOG, keepPolling, LOG_KEEP } from './release-log.ts';

const line = (seq: number): LogLine => ({ seq, stage: 'script', level: 'info', line: `l${seq}`, at: '' });
const seqs = (lines: LogLine[]) => lines.map((l) => l.seq);

describe('a target log held in the browser', () => {
  it.each([
    ['empty + page', [], [1, 2], [1, 2]],
    ['appends after the last', [1, 2], [3, 4], [1, 2, 3, 4]],
    ['drops lines already held (a page asked twice)', [1, 2, 3], [2, 3, 4], [1, 2, 3, 4]],
    ['an empty page changes nothing', [1], [], [1]],
  ])('%s', (_, held, page, want) => {
    const before = { commandId: 'c1', lines: held.map(line), after: held.at(-1) ?? 0 };
    const next = page.at(-1) ?? before.after;
    const out = appendLog(before, { items: page.map(line), nextAfter: next, commandId: 'c1' });
    expect(seqs(out.held.lines)).toEqual(want);
    expect(out.held.after).toBe(Math.max(before.after, next));
    expect(out.restart).toBe(false);
  });

  it('waits with after=0 while the target has no command (nextAfter null)', () => {
    const out = appendLog(EMPTY_LOG, { items: [], nextAfter: null, commandId: null });
    expect(out).toEqual({ held: EMPTY_LOG, restart: false });
  });

  it("starts over at a retry's new command", () => {
    const before = { commandId: 'c1', lines: [line(1), line(2)], after: 2 };
    const out = appendLog(before, { items: [line(3)], nextAfter: 3, commandId: 'c2' });
    expect(out).toEqual({ held: { commandId: 'c2', lines: [], after: 0 }, restart: true });
  });

  it(`keeps the newest ${LOG_KEEP} lines`, () => {
    const lines = Array.from({ length: LOG_KEEP }, (_, i) => line(i + 1));
    const out = appendLog(
      { commandId: 'c1', lines, after: LOG_KEEP },
      { items: [line(LOG_KEEP + 1)], nextAfter: LOG_KEEP + 1, commandId: 'c1' },
    ).held.lines;
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
