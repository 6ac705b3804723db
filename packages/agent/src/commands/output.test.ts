import { describe, expect, it } from 'vitest';
import { OutputStream, type WireLine } from './output.ts';

/** A stream whose batches land in `sent`; `answers` says what the server answers, in turn. */
function stream(answers: (string | Error)[] = [], opts: { maxHeld?: number } = {}) {
  const sent: WireLine[][] = [];
  const over: string[] = [];
  const out = new OutputStream({
    send: async (lines) => {
      const a = answers.shift() ?? 'running';
      if (a instanceof Error) throw a;
      sent.push(lines);
      return { state: a };
    },
    onOver: (state) => over.push(state),
    firstSeq: 1_000_001,
    // Only explicit flushes in these tests.
    flushMs: 3_600_000,
    ...opts,
  });
  return { out, sent, over };
}

describe('command output stream', () => {
  it('numbers lines from the first seq and sends them in one batch; an empty flush changes nothing after', async () => {
    const { out, sent } = stream();
    await out.flush();
    out.print('one', 'fetch', 'info');
    out.print('two', 'script', 'warn');
    await out.flush();
    await out.flush();
    out.print('three', 'script', 'info');
    await out.flush();
    await out.close();
    expect(sent.map((b) => b.map((l) => [l.seq, l.stage, l.level, l.line]))).toEqual([
      [
        [1_000_001, 'fetch', 'info', 'one'],
        [1_000_002, 'script', 'warn', 'two'],
      ],
      [[1_000_003, 'script', 'info', 'three']],
    ]);
  });

  it('keeps a batch the server did not take and sends it again with the same numbers', async () => {
    const { out, sent } = stream([new Error('unreachable')]);
    out.print('one', 'run', 'info');
    await expect(out.flush()).rejects.toThrow('unreachable');
    await out.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((l) => [l.seq, l.line])).toEqual([[1_000_001, 'one']]);
  });

  it.each(['cancelled', 'expired'])(
    'tells the runner when the server answers %s, also to an empty ask',
    async (state) => {
      const { out, over } = stream(['running', state]);
      out.print('one', 'run', 'info');
      await out.flush();
      expect(over).toEqual([]);
      await out.flush(true);
      expect(over).toEqual([state]);
    },
  );

  it('holds at most maxHeld lines while the server is away, dropping the oldest and saying how many', async () => {
    const { out, sent } = stream([new Error('down')], { maxHeld: 3 });
    for (const n of [1, 2, 3, 4, 5]) out.print(`line ${n}`, 'run', 'info');
    await expect(out.flush()).rejects.toThrow('down');
    await out.flush();
    expect(sent.flat().map((l) => l.line)).toEqual([
      'line 3',
      'line 4',
      'line 5',
      '2 line(s) of output dropped while the server could not be reached',
    ]);
  });

  it('cuts a line longer than 8 KiB', async () => {
    const { out, sent } = stream();
    out.print('x'.repeat(10_000), 'run', 'info');
    await out.flush();
    expect(sent[0]![0]!.line.length).toBeLessThanOrEqual(8192);
    expect(sent[0]![0]!.line).toMatch(/… \(line cut\)$/);
  });
});
