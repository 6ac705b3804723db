/**
 * Check output is kept small whatever the checked thing prints: the first `MAX_OUTPUT` bytes
 * are kept (the beginning of an error usually says what went wrong), the rest is counted and
 * noted on a last line. Consul caps check output at 4 KB the same way.
 */
export const MAX_OUTPUT = 4096;

/** Collects chunks of bytes, keeping the first `limit` and counting all of them. */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(readonly limit = MAX_OUTPUT) {}

  add(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.total += bytes.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  /** The kept bytes as text (a character cut at the limit becomes U+FFFD), plus a note when cut. */
  text(): string {
    return keptText(Buffer.concat(this.chunks), this.total);
  }
}

/** The first bytes of something `total` bytes long, as text, with a note when that was more. */
export function keptText(kept: Buffer, total: number): string {
  const body = kept.toString('utf8');
  return total > kept.length
    ? `${body}\n… output truncated: ${total} bytes, kept the first ${kept.length}`
    : body;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** `text` cut to `limit` bytes of UTF-8, with the same note as BoundedOutput when it was cut. */
export function boundText(text: string, limit = MAX_OUTPUT): string {
  // A UTF-16 code unit is at most 3 bytes of UTF-8, so a short text fits whole, and without
  // surrogates encoding and decoding it gives it back unchanged: most outputs need no copy.
  if (text.length * 3 <= limit && !SURROGATE.test(text)) return text;
  const out = new BoundedOutput(limit);
  out.add(text);
  return out.text();
}

/** The first non-empty line, for one-line summaries. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** An error as one short phrase: the cause of a wrapped error (a gRPC or network failure), else the message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message || err.name;
  }
  return String(err);
}
