import { describe, expect, it } from 'vitest';
import { DiffTooLong, lineDiff, unifiedDiff } from './line-diff.ts';

const ops = (a: string, b: string) => lineDiff(a, b).map((l) => `${l.op}${l.line}`);

describe('lineDiff', () => {
  it.each([
    ['same text', 'a\nb\n', 'a\nb\n', [' a', ' b']],
    ['a line changed', 'a\nb\nc\n', 'a\nB\nc\n', [' a', '-b', '+B', ' c']],
    ['added at the end', 'a\n', 'a\nb\n', [' a', '+b']],
    ['removed at the start', 'a\nb\n', 'b\n', ['-a', ' b']],
    ['from nothing', '', 'x\n', ['+x']],
    ['to nothing', 'x\n', '', ['-x']],
  ])('%s', (_n, a, b, want) => expect(ops(a, b)).toEqual(want));

  it('rebuilds both sides from its lines', () => {
    const a = 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n';
    const b = 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 1\n  - alert: B\n    expr: x\n';
    const d = lineDiff(a, b);
    expect(
      d
        .filter((l) => l.op !== '+')
        .map((l) => l.line)
        .join('\n'),
    ).toBe(a.trimEnd());
    expect(
      d
        .filter((l) => l.op !== '-')
        .map((l) => l.line)
        .join('\n'),
    ).toBe(b.trimEnd());
  });

  it('refuses a changed middle too long to diff in bounded memory', () => {
    expect(() => lineDiff('x\n'.repeat(6000), '')).toThrow(DiffTooLong);
  });

  it('diffs a small edit to a file far longer than the limit', () => {
    const big = Array.from({ length: 20_000 }, (_, k) => `line ${k}`);
    const edited = [...big];
    edited[10_000] = 'changed';
    const d = lineDiff(big.join('\n'), edited.join('\n'));
    expect(d).toHaveLength(20_001);
    expect(d.filter((l) => l.op !== ' ')).toEqual([
      { op: '-', line: 'line 10000' },
      { op: '+', line: 'changed' },
    ]);
    expect(d[9_999]).toEqual({ op: ' ', line: 'line 9999' });
    expect(d.at(-1)).toEqual({ op: ' ', line: 'line 19999' });
  });
});

describe('unifiedDiff', () => {
  it('keeps three lines of context around each change and marks the gaps', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const b = a.replace('l2\n', 'L2\n').replace('l17', 'L17');
    expect(unifiedDiff(lineDiff(a, b))).toBe(
      [
        '@@',
        ' l0',
        ' l1',
        '-l2',
        '+L2',
        ' l3',
        ' l4',
        ' l5',
        '@@',
        ' l14',
        ' l15',
        ' l16',
        '-l17',
        '+L17',
        ' l18',
        ' l19',
        '',
      ].join('\n'),
    );
    expect(unifiedDiff(lineDiff(a, a))).toBe('');
  });
});
