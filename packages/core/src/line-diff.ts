/** One line of a diff: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

/**
 * Beyond this many changed lines on a side (after the common head and tail are set aside) the
 * diff is refused rather than computed in quadratic memory.
 */
export const MAX_DIFF_LINES = 5000;

/** Two texts whose differing middle is too long to diff: callers answer it as a client error. */
export class DiffTooLong extends Error {
  override name = 'DiffTooLong';
  constructor(readonly lines: number) {
    super(`too long to diff: ${lines} changed lines (at most ${MAX_DIFF_LINES})`);
  }
}

/**
 * The lines of `after` against `before`, by longest common subsequence: every line of both, in
 * order, marked kept, removed or added. The lines both share at the start and at the end are
 * kept without entering the quadratic part, so a small edit to a large file is cheap; a middle
 * above MAX_DIFF_LINES lines throws DiffTooLong.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const kept = (lines: string[]): DiffLine[] => lines.map((line) => ({ op: ' ', line }));
  return [
    ...kept(a.slice(0, head)),
    ...middleDiff(a.slice(head, a.length - tail), b.slice(head, b.length - tail)),
    ...kept(a.slice(a.length - tail)),
  ];
}

function middleDiff(a: string[], b: string[]): DiffLine[] {
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES)
    throw new DiffTooLong(Math.max(a.length, b.length));
  const w = b.length + 1;
  // lcs[i * w + j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = new Uint16Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const out: DiffLine[] = [];
  let [i, j] = [0, 0];
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) out.push({ op: '-', line: a[i++]! });
    else out.push({ op: '+', line: b[j++]! });
  }
  while (i < a.length) out.push({ op: '-', line: a[i++]! });
  while (j < b.length) out.push({ op: '+', line: b[j++]! });
  return out;
}

/** The diff as unified-diff text with `context` kept lines around each change (no @@ headers' counts needed by people). */
export function unifiedDiff(lines: DiffLine[], context = 3): string {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, k) => {
    if (l.op === ' ') return;
    for (let x = Math.max(0, k - context); x <= Math.min(lines.length - 1, k + context); x++) keep[x] = true;
  });
  const out: string[] = [];
  let gap = false;
  lines.forEach((l, k) => {
    if (!keep[k]) {
      gap = true;
      return;
    }
    if (gap || out.length === 0) out.push('@@');
    gap = false;
    out.push(`${l.op}${l.line}`);
  });
  return out.length ? `${out.join('\n')}\n` : '';
}
