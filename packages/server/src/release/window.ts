/**
 * Release windows: when an environment lets deploys start. A window is a local time range on
 * some weekdays in an IANA zone; an `end` at or before `start` runs past midnight into the next
 * day, and belongs to the day it starts on. `start` equal to `end` is the whole day.
 */
export interface ReleaseWindow {
  timezone: string;
  days: string[];
  start: string;
  end: string;
}

export type WindowState = { open: true } | { open: false; opensAt: Date | null };

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const formats = new Map<string, Intl.DateTimeFormat>();

/** Whether `zone` is a time zone this runtime knows, e.g. Europe/Berlin. */
export function knownZone(zone: string): boolean {
  try {
    formatIn(zone);
    return true;
  } catch {
    return false;
  }
}

function formatIn(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  return f;
}

interface Local {
  day: number;
  minute: number;
  /** The wall-clock time read as if it were UTC, in ms: the zone's offset is this minus the instant. */
  wallMs: number;
}

function local(zone: string, at: Date): Local {
  const p: Record<string, string> = {};
  for (const part of formatIn(zone).formatToParts(at)) p[part.type] = part.value;
  const [h, m] = [Number(p.hour), Number(p.minute)];
  const wallMs = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), h, m, Number(p.second));
  return { day: DAYS.indexOf(p.weekday!.toLowerCase()), minute: h * 60 + m, wallMs };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function inside(w: ReleaseWindow, l: Local): boolean {
  const [start, end] = [minutesOf(w.start), minutesOf(w.end)];
  const on = (d: number) => w.days.includes(DAYS[(d + 7) % 7]!);
  if (start === end) return on(l.day);
  if (start < end) return on(l.day) && l.minute >= start && l.minute < end;
  return (on(l.day) && l.minute >= start) || (on(l.day - 1) && l.minute < end);
}

/**
 * Open now, or closed with the instant it next opens. The next opening is found by checking
 * the start of each of the next eight local days, converting local time to an instant with the
 * zone's offset at that time (so a daylight-saving change in between is taken into account).
 */
export function windowState(w: ReleaseWindow | null, now: Date): WindowState {
  if (!w) return { open: true };
  const here = local(w.timezone, now);
  if (inside(w, here)) return { open: true };
  const start = minutesOf(w.start);
  const midnight = here.wallMs - here.minute * 60_000 - (here.wallMs % 60_000);
  for (let d = 0; d <= 8; d++) {
    const wall = midnight + d * 86_400_000 + start * 60_000;
    let at = wall - (here.wallMs - now.getTime());
    at = wall - (local(w.timezone, new Date(at)).wallMs - at);
    if (at > now.getTime() && inside(w, local(w.timezone, new Date(at))))
      return { open: false, opensAt: new Date(at) };
  }
  return { open: false, opensAt: null };
}

/** `mon,tue 09:00–17:00 Europe/Berlin`, for messages. */
export const describeWindow = (w: ReleaseWindow) => `${w.days.join(',')} ${w.start}–${w.end} ${w.timezone}`;
