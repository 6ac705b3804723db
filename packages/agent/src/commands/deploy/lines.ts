/** Longer lines are cut here, so one line without a newline cannot fill the agent's heap. */
export const MAX_LINE = 8192;

/**
 * Splits a byte stream into lines as chunks arrive: a line is given out when its newline comes
 * (without the newline and a trailing `\r`), or in pieces of `max` characters when it is longer.
 */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly max = MAX_LINE) {}

  push(chunk: Uint8Array): string[] {
    return this.split(this.rest + this.decoder.decode(chunk, { stream: true }));
  }

  /** What is left after the stream ended: the last line, when it had no newline. */
  end(): string[] {
    const left = this.split(this.rest + this.decoder.decode());
    const last = this.rest;
    this.rest = '';
    return last === '' ? left : [...left, last.replace(/\r$/, '')];
  }

  private split(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      out.push(...this.cut(text.slice(start, nl).replace(/\r$/, '')));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length > this.max) {
      out.push(rest.slice(0, this.max));
      rest = rest.slice(this.max);
    }
    this.rest = rest;
    return out;
  }

  private cut(line: string): string[] {
    if (line.length <= this.max) return [line];
    const parts: string[] = [];
    for (let i = 0; i < line.length; i += this.max) parts.push(line.slice(i, i + this.max));
    return parts;
  }
}
