import { type Matcher, matches } from '../alerts/matchers.ts';

/**
 * Which notification rules an alert falls under: label matchers, severities and time windows
 * (weekdays and hours in the rule's time zone). Pure functions; the outbox calls them.
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

export function ruleMatches(
  rule: RouteRule,
  alert: { labels: Record<string, string>; severity: string },
  now: Date,
): boolean {
  if (!matches(rule.matchers, alert.labels)) return false;
  if (rule.severities.length && !rule.severities.includes(alert.severity)) return false;
  return !rule.windows.length || rule.windows.some((w) => inWindow(w, now));
}

/** The notification group of an alert under a rule: its values of the group-by labels. */
export function groupKeyOf(rule: RouteRule, labels: Record<string, string>): string {
  return `${rule.id}:${JSON.stringify(rule.groupBy.map((l) => labels[l] ?? ''))}`;
}
