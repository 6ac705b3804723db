import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyMerge, type FileReport, type MergeState, mergeReports, ReportBatchSchema } from './reports.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const STATES = ['detected', 'uploading', 'uploading', 'uploaded'] as const;

/** The agent's report of `file` at `seq`: what it sends again on a retry is the same report. */
function report(file: string, seq: number): FileReport {
  return {
    id: file,
    source: 'dumps',
    path: `${file}.hprof`,
    size: 1000,
    mtime: new Date(T0).toISOString(),
    labels: {},
    state: STATES[Math.min(seq - 1, STATES.length - 1)]!,
    seq,
    at: new Date(T0 + seq * 1000).toISOString(),
    bytesUploaded: seq * 100,
  };
}

const view = (s: MergeState) => ({
  files: Object.fromEntries(
    [...s.files].map(([id, f]) => [
      id,
      { seq: f.report.seq, state: f.report.state, detectedAt: f.detectedAt },
    ]),
  ),
  timeline: [...s.timeline.keys()].sort(),
});

describe('mergeReports', () => {
  it.each([
    {
      name: 'a higher seq replaces the file’s state',
      batches: [[report('a', 1)], [report('a', 4)]],
      want: { seq: 4, state: 'uploaded', timeline: 2 },
    },
    {
      name: 'a late lower seq keeps the state and joins the timeline',
      batches: [[report('a', 4)], [report('a', 2)]],
      want: { seq: 4, state: 'uploaded', timeline: 2 },
    },
    {
      name: 'a repeated report changes nothing',
      batches: [[report('a', 2), report('a', 2)], [report('a', 2)]],
      want: { seq: 2, state: 'uploading', timeline: 1 },
    },
    {
      name: 'the same seq with other content (a tie) keeps the first',
      batches: [[report('a', 2)], [{ ...report('a', 2), state: 'failed' as const }]],
      want: { seq: 2, state: 'uploading', timeline: 1 },
    },
  ])('$name', ({ batches, want }) => {
    const s = batches.reduce(mergeReports, emptyMerge());
    const a = s.files.get('a')!;
    expect({ seq: a.report.seq, state: a.report.state, timeline: s.timeline.size }).toEqual(want);
  });

  it('dates a file from the detectedAt a later report carries, when its own reports before were never sent', () => {
    const uploaded = { ...report('a', 4), detectedAt: '2026-12-07T09:00:00Z' };
    const s = [[report('a', 1)], [uploaded]].reduce(mergeReports, emptyMerge());
    expect(s.files.get('a')!.detectedAt).toBe('2026-12-07T09:00:00Z');
  });

  it('dates a file from its earliest report, even when the detected report came last', () => {
    const s = [[report('a', 4)], [report('a', 1)], [report('a', 2)]].reduce(mergeReports, emptyMerge());
    expect(s.files.get('a')!.detectedAt).toBe(report('a', 1).at);
  });

  it('any order, with repeats and in any batches, gives the state and timeline of the in-order stream', () => {
    const stream = fc
      .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 6 })), {
        minLength: 1,
        maxLength: 12,
      })
      .map((files) => {
        const max = new Map<string, number>();
        for (const [f, n] of files) max.set(f, Math.max(max.get(f) ?? 0, n));
        return [...max].flatMap(([f, n]) => Array.from({ length: n }, (_, i) => report(f, i + 1)));
      });
    const arrival = stream.chain((inOrder) =>
      fc.record({
        inOrder: fc.constant(inOrder),
        repeats: fc.array(fc.constantFrom(...inOrder), { maxLength: 10 }),
        cuts: fc.array(fc.nat(), { maxLength: 5 }),
        seed: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(arrival, ({ inOrder, repeats, cuts, seed }) => {
        // A deterministic shuffle of the stream with its repeats, cut into batches.
        let x = seed || 1;
        const shuffled = [...inOrder, ...repeats]
          .map((r) => {
            x = (x * 1103515245 + 12345) % 2 ** 31;
            return { r, k: x };
          })
          .sort((p, q) => p.k - q.k)
          .map((p) => p.r);
        const at = [...new Set(cuts.map((c) => c % (shuffled.length + 1)))].sort((p, q) => p - q);
        const batches = [0, ...at].map((start, i) => shuffled.slice(start, [...at, shuffled.length][i]));
        const merged = batches.reduce(mergeReports, emptyMerge());
        expect(view(merged)).toEqual(view(mergeReports(emptyMerge(), inOrder)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('ReportBatchSchema', () => {
  it('names every bad field of every bad event', () => {
    const good = report('a', 1);
    const r = ReportBatchSchema.safeParse({
      events: [good, { ...good, seq: 0 }, good, { ...good, state: 'gone', at: 'yesterday' }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'events.1.seq',
      'events.3.at',
      'events.3.state',
    ]);
  });

  it('cuts a long error to its start instead of refusing the batch', () => {
    const r = ReportBatchSchema.parse({
      events: [{ ...report('a', 1), error: `ECONNRESET ${'x'.repeat(9000)}` }],
    });
    expect(r.events[0]!.error).toHaveLength(4000);
    expect(r.events[0]!.error).toMatch(/^ECONNRESET x/);
  });

  it('refuses a batch of more than 500 with the way out', () => {
    const r = ReportBatchSchema.safeParse({
      events: Array.from({ length: 501 }, (_, i) => report(`f${i}`, 1)),
    });
    expect(r.error!.issues[0]!.message).toBe('at most 500 events a call: send the rest in another call');
    expect(
      ReportBatchSchema.safeParse({ events: Array.from({ length: 500 }, () => report('f', 1)) }).success,
    ).toBe(true);
  });
});
