import { describe, expect, it } from 'vitest';
import { fileSeries, fileStats, seriesStep } from './stats.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('seriesStep', () => {
  it.each([
    [5 * MIN, MIN],
    [HOUR, MIN],
    [HOUR + 1, 2 * MIN],
    [24 * HOUR, 24 * MIN],
    [7 * 24 * HOUR, 168 * MIN],
  ])('a window of %i ms steps by %i ms', (window, step) => {
    expect(seriesStep(window)).toBe(step);
    expect(window / step).toBeLessThanOrEqual(60);
  });
});

describe('fileSeries', () => {
  const from = new Date('2026-12-07T10:00:30Z');
  const to = new Date('2026-12-07T10:03:30Z');
  const sec = (iso: string) => Date.parse(iso) / 1000;

  it('has every bucket the window touches, empty ones as zeros, counts where they fell', () => {
    expect(
      fileSeries(
        [
          { bucket: sec('2026-12-07T10:00:00Z'), key: 'detected', n: '2' },
          { bucket: String(sec('2026-12-07T10:02:00Z')), key: 'uploaded', n: 1 },
          { bucket: sec('2026-12-07T10:02:00Z'), key: 'failed', n: 3 },
          // Outside the window: not a point.
          { bucket: sec('2026-12-07T09:59:00Z'), key: 'detected', n: 9 },
        ],
        from,
        to,
        MIN,
      ),
    ).toEqual([
      { at: '2026-12-07T10:00:00.000Z', detected: 2, uploaded: 0, failed: 0 },
      { at: '2026-12-07T10:01:00.000Z', detected: 0, uploaded: 0, failed: 0 },
      { at: '2026-12-07T10:02:00.000Z', detected: 0, uploaded: 1, failed: 3 },
      { at: '2026-12-07T10:03:00.000Z', detected: 0, uploaded: 0, failed: 0 },
    ]);
  });
});

describe('fileStats', () => {
  it('adds the sources up into the global figures and keeps each source apart', () => {
    const a = '00000000-0000-4000-8000-00000000000a';
    const b = '00000000-0000-4000-8000-00000000000b';
    const { global, sources } = fileStats(
      {
        detected: [
          { agent_id: a, source: 'dumps', key: 'detected', n: '6' },
          { agent_id: b, source: 'dumps', key: 'detected', n: 3 },
        ],
        failed: [
          { agent_id: a, source: 'dumps', key: 'SlowDown', n: 1 },
          { agent_id: b, source: 'dumps', key: 'SlowDown', n: 2 },
          { agent_id: b, source: 'dumps', key: 'AccessDenied', n: 1 },
        ],
        queuedFiles: [{ agent_id: a, source: 'dumps', key: 'uploading', n: 2 }],
        queuedTasks: [{ agent_id: b, source: 'dumps', key: 'retrying', n: 1 }],
        taskFailures: [],
        uploads: [
          { agent_id: a, source: 'dumps', n: 2, p50: 10, p95: 19 },
          { agent_id: null, source: null, n: 2, p50: 10, p95: 19 },
        ],
        taskRuns: [],
      },
      30 * MIN,
      (id) => (id === a ? 'web-1' : null),
    );
    expect(global).toMatchObject({
      files: { detected: 9, uploaded: 2, failed: 4 },
      perMinute: { detected: 0.3, uploaded: 0.067, failed: 0.133 },
      queue: { files: { detected: 0, uploading: 2 }, tasks: { pending: 0, retrying: 1, processing: 0 } },
      uploadSeconds: { p50: 10, p95: 19 },
      taskSeconds: { p50: null, p95: null },
      failures: {
        files: [
          { cause: 'SlowDown', count: 3 },
          { cause: 'AccessDenied', count: 1 },
        ],
        tasks: [],
      },
    });
    // Named agents first, then by id.
    expect(sources.map((s) => [s.agentName, s.files, s.failures.files])).toEqual([
      ['web-1', { detected: 6, uploaded: 2, failed: 1 }, [{ cause: 'SlowDown', count: 1 }]],
      [
        null,
        { detected: 3, uploaded: 0, failed: 3 },
        [
          { cause: 'SlowDown', count: 2 },
          { cause: 'AccessDenied', count: 1 },
        ],
      ],
    ]);
  });
});
