import { describe, expect, it } from 'vitest';
import { diffLines } from './diff-lines.ts';

describe('a unified diff as coloured lines', () => {
  it('names each file of a sync target diff apart from its removed lines', () => {
    const diff = [
      '--- alertmanager.yml',
      '@@',
      ' route:',
      '-  receiver: old',
      '+  receiver: new',
      '--- rules/old.yml (removed)',
      '@@',
      '--- a line that was a YAML comment',
      '-groups: []',
      '',
    ].join('\n');
    expect(diffLines(diff)).toEqual([
      { op: 'file', text: '--- alertmanager.yml' },
      { op: 'hunk', text: '@@' },
      { op: 'same', text: ' route:' },
      { op: 'del', text: '-  receiver: old' },
      { op: 'add', text: '+  receiver: new' },
      { op: 'file', text: '--- rules/old.yml (removed)' },
      { op: 'hunk', text: '@@' },
      { op: 'del', text: '--- a line that was a YAML comment' },
      { op: 'del', text: '-groups: []' },
    ]);
  });

  it('reads a rule group revision diff, which names no file', () => {
    expect(diffLines('@@\n  - alert: Up\n-    for: 5m\n+    for: 10m\n').map((l) => l.op)).toEqual([
      'hunk',
      'same',
      'del',
      'add',
    ]);
  });
});
