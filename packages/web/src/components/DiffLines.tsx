import { diffLines } from '../diff-lines.ts';

/** A unified diff in monospace: removed lines red, added ones green, each file's name in bold. */
export function DiffLines({ diff, testId }: { diff: string; testId?: string }) {
  return (
    <pre className="opsfleet-mono opsfleet-diff" data-testid={testId}>
      {diffLines(diff).map((line, i) => (
        <div
          // biome-ignore lint/suspicious/noArrayIndexKey: the diff's lines are fixed once drawn
          key={i}
          className={`opsfleet-diff-${line.op}`}
          data-op={line.op}
          style={line.op === 'file' ? { fontWeight: 600, marginTop: i > 0 ? 8 : 0 } : undefined}
        >
          {line.text || ' '}
        </div>
      ))}
    </pre>
  );
}
