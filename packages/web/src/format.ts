/** How times, durations, states and severities look in the console. */

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'short' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** `3 min. ago`, `in 2 hr.`, `now`: the distance from `now` in its largest whole unit. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 5) return 'now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second')
      return relative.format(Math.trunc(seconds / size), unit);
  }
  return relative.format(seconds, 'second');
}

/** `2025-01-31 14:05:09` in the browser's time zone. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `45s`, `4m 12s`, `2h 5m`, `3d 4h`: two units at most. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (unit === 's' && parts.length === 0)) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** Reads `30m`, `2h`, `1d`, `1w`, `90s` (and combinations like `1h30m`) as milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(trimmed)) return undefined;
  const size: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
  };
  let total = 0;
  for (const m of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * (size[m[2] ?? ''] ?? 0);
  return total > 0 ? total : undefined;
}

export const STATE_COLORS: Record<string, string> = {
  firing: 'red',
  acknowledged: 'gold',
  silenced: 'purple',
  resolved: 'green',
  closed: 'default',
};

export const SEVERITY_COLORS: Record<string, string> = {
  critical: 'magenta',
  high: 'volcano',
  warning: 'orange',
  info: 'blue',
  low: 'default',
};

export const ROLE_COLORS: Record<string, string> = {
  admin: 'red',
  operator: 'blue',
  viewer: 'default',
  ingest: 'cyan',
  agent: 'purple',
};

export const DELIVERY_STATUS_COLORS: Record<string, string> = {
  ok: 'green',
  failed: 'red',
  sending: 'blue',
  interrupted: 'orange',
};

export const OUTBOX_STATE_COLORS: Record<string, string> = {
  pending: 'blue',
  delivered: 'green',
  dead: 'red',
  discarded: 'default',
};
