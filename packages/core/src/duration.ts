const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `500ms`, `30s`, `5m`, `2h`, `1d` and compound forms such as `1h30m` into milliseconds.
 * A bare number is seconds, which is what the public exporter's config means by one.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') return input * 1000;
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw new Error(`invalid duration "${input}": use a number with a unit, e.g. 500ms, 30s, 5m, 2h, 1d`);
  }
  return total;
}

/** Renders milliseconds the way Go prints a duration (`1.5s`, `2m0s`), for status output. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3));
  if (minutes < 60) return `${minutes}m${seconds}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m${seconds}s`;
}
