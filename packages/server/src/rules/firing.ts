/** A range query's series: labels and [unix seconds, value] samples, as Prometheus answers. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A stretch of time the expression returned the series; it fires from `firingAt` if it lasted `for`. */
export interface Episode {
  start: number;
  end: number;
  firingAt: number | null;
}

/**
 * When a rule would have been pending and firing, from its expression's range query: an alerting
 * expression returns a series exactly while its condition holds, so each run of consecutive
 * samples (a gap longer than one step ends it) is an episode; it fires once it has lasted `for`,
 * evaluated at the query's step — as Prometheus would have seen it at that resolution.
 */
export function episodes(values: [number, string][], stepSeconds: number, forSeconds: number): Episode[] {
  const out: Episode[] = [];
  let current: Episode | undefined;
  for (const [t] of values) {
    if (current && t - current.end <= stepSeconds * 1.5) current.end = t;
    else {
      current = { start: t, end: t, firingAt: null };
      out.push(current);
    }
    if (current.firingAt === null && t - current.start >= forSeconds) current.firingAt = t;
  }
  return out;
}

/** A step that keeps a preview to about `points` samples per series, at least 15 s. */
export function previewStep(rangeSeconds: number, points = 300): number {
  return Math.max(15, Math.ceil(rangeSeconds / points / 15) * 15);
}

/** Prometheus durations (`1h30m`, `90s`) in seconds; 0 for empty. */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = {
    ms: 0.001,
    s: 1,
    m: 60,
    h: 3600,
    d: 86_400,
    w: 604_800,
    y: 31_536_000,
  };
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}
