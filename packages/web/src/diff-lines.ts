/** The server's unified diffs (rule group revisions, sync target versions) as lines to colour. */

export type DiffOp = 'file' | 'hunk' | 'add' | 'del' | 'same';

export interface DiffLine {
  op: DiffOp;
  text: string;
}

/**
 * Each line with what it is. A hunk starts with a bare `@@`; a sync target's diff puts
 * `--- <file>` before each changed file's first hunk, which tells it from a removed line that
 * happens to start with `-- `.
 */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.endsWith('\n') ? diff.slice(0, -1).split('\n') : diff.split('\n');
  return lines.map((text, i) => {
    if (text.startsWith('@@')) return { op: 'hunk', text };
    if (text.startsWith('--- ') && lines[i + 1]?.startsWith('@@')) return { op: 'file', text };
    if (text[0] === '+') return { op: 'add', text };
    if (text[0] === '-') return { op: 'del', text };
    return { op: 'same', text };
  });
}
