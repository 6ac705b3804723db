import { type Matcher, matches } from '../alerts/matchers.ts';

/**
 * Which notification rules an alert falls under: label matchers, severities and time windows
 * (weekdays and hours in the rule's time zone). Pure functions; the router calls them.
 */
export interface TimeWindow {
  /** 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** `HH:MM`, inclusive start, exclusive end; an end before the start spans midnight. */
  from: string;
  to: string;
  /** IANA zone, e.g. `Asia/Shanghai`. */
  timeZone: string;
}

export interface RouteRule {
  id: string;
  matchers: Matcher[];
  /** Empty = every severity. */
  severities: string[];
  /** Empty = always. */
  windows: TimeWindow[];
  /** Labels that split alerts into separate notifications (Alertmanager's group_by). */
  groupBy: string[];
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
};

/** The weekday and minute of the day at `now` in a time zone. */
export function localTime(now: Date, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function inWindow(w: TimeWindow, now: Date): boolean {
  const { day, minute } = localTime(now, w.timeZone);
  const from = minutes(w.from);
  const to = minutes(w.to);
  if (from <= to) return w.days.includes(day) && minute >= from && minute < to;
  // Spans midnight: the evening part belongs to the listed day, the morning part to the next.
  return (w.days.includes(day) && minute >= from) || (w.days.includes((day + 6) % 7) && minute < to);
}

/**
 * The rules an alert falls under, from a table built once per routing pass: time windows are
 * read once for the pass (the route time is the pass's), and each rule is filed under one of
 * its `label="value"` matchers, so an alert is checked only against the rules that can match
 * it (those filed under its own label values, and those without such a matcher).
 */
export function routeTable<R extends RouteRule>(
  rules: readonly R[],
  now: Date,
): (alert: { labels: Record<string, string>; severity: string }) => R[] {
  const byLabel = new Map<string, Map<string, R[]>>();
  const unfiled: R[] = [];
  for (const rule of rules) {
    if (rule.windows.length && !rule.windows.some((w) => inWindow(w, now))) continue;
    // An empty value also matches a missing label, so it cannot be looked up by value.
    const key = rule.matchers.find((m) => m.type === '=' && m.value !== '');
    if (!key) {
      unfiled.push(rule);
      continue;
    }
    const byValue = byLabel.get(key.name) ?? new Map<string, R[]>();
    byValue.set(key.value, [...(byValue.get(key.value) ?? []), rule]);
    byLabel.set(key.name, byValue);
  }
  return (alert) => {
    const candidates = [...unfiled];
    for (const [name, byValue] of byLabel)
      if (Object.hasOwn(alert.labels, name)) candidates.push(...(byValue.get(alert.labels[name]!) ?? []));
    return candidates.filter(
      (r) =>
        matches(r.matchers, alert.labels) && (!r.severities.length || r.severities.includes(alert.severity)),
    );
  };
}

/** The notification group of an alert under a rule: its values of the group-by labels. */
export function groupKeyOf(rule: RouteRule, labels: Record<string, string>): string {
  return `${rule.id}:${JSON.stringify(rule.groupBy.map((l) => labels[l] ?? ''))}`;
}
