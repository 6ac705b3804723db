/** One line of a diff: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

/** Beyond this many lines on a side the diff is refused rather than computed in quadratic memory. */
export const MAX_DIFF_LINES = 5000;

/**
 * The lines of `after` against `before`, by longest common subsequence: every line of both, in
 * order, marked kept, removed or added. Rule files and configurations are small; inputs above
 * MAX_DIFF_LINES lines throw.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES)
    throw new Error(`too long to diff: ${Math.max(a.length, b.length)} lines (at most ${MAX_DIFF_LINES})`);
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
