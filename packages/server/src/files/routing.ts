import { z } from 'zod';

/**
 * Which actions an uploaded file gets: the first enabled route, by position, whose match holds.
 * Pure, so every rule is table-tested with a fixed clock; the runner feeds it the routes and the
 * file in the transaction that creates the tasks.
 */
const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00 to 23:59');
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const routeMatchSchema = z
  .object({
    /** `*` within a folder, `**` across folders, `?`, `{a,b}`; without `/` it matches the file name. */
    pathGlob: z.string().min(1).max(500).optional(),
    source: z.string().min(1).optional(),
    /** The agent's name or id. */
    agent: z.string().min(1).optional(),
    /** Every label given must be on the file with this value. */
    labels: z.record(z.string(), z.string()).optional(),
    minSize: z.number().int().nonnegative().optional(),
    maxSize: z.number().int().nonnegative().optional(),
    /**
     * Local time of day the route applies, in `tz` (default UTC). `from` after `to` spans
     * midnight; `days` are the days a window opens on, so Friday 22:00–06:00 includes Saturday 03:00.
     */
    window: z
      .object({
        days: z.array(z.enum(DAYS)).min(1).optional(),
        from: HHMM,
        to: HHMM,
        tz: z
          .string()
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat('en-US', { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, 'an IANA time zone such as Europe/Berlin')
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((m) => m.minSize === undefined || m.maxSize === undefined || m.minSize <= m.maxSize, {
    message: 'minSize is above maxSize',
    path: ['minSize'],
  });
export type RouteMatch = z.infer<typeof routeMatchSchema>;

export interface Route {
  id: string;
  position: number;
  enabled: boolean;
  match: RouteMatch;
  actionIds: string[];
  mode: 'sequence' | 'parallel';
}

export interface RoutedFile {
  path: string;
  source: string;
  agentId: string;
  agentName: string;
  labels: Record<string, string>;
  size: number;
}

const special = /[.+^$()|[\]\\]/g;

/** A glob as a regular expression over the whole path. */
export function globRegExp(glob: string): RegExp {
  let out = '';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` is any number of folders, none included; a trailing `**` is anything.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{' && !inGroup) {
      inGroup = true;
      out += '(?:';
    } else if (c === '}' && inGroup) {
      inGroup = false;
      out += ')';
    } else if (c === ',' && inGroup) out += '|';
    else out += c.replace(special, '\\$&');
  }
  return new RegExp(`^${out}${inGroup ? ')' : ''}$`);
}

function globMatches(glob: string, path: string): boolean {
  const subject = glob.includes('/') ? path : (path.split('/').pop() ?? path);
  return globRegExp(glob).test(subject);
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The weekday and minute of the day at `now` in `tz`. */
function localTime(now: Date, tz: string): { day: number; minute: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  return {
    day: DAYS.indexOf(String(parts.weekday).toLowerCase().slice(0, 3) as (typeof DAYS)[number]),
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

export function inWindow(w: NonNullable<RouteMatch['window']>, now: Date): boolean {
  const { day, minute } = localTime(now, w.tz ?? 'UTC');
  const from = minutes(w.from);
  const to = minutes(w.to);
  const opensOn = (d: number) => !w.days || w.days.includes(DAYS[(d + 7) % 7]!);
  if (from === to) return opensOn(day);
  if (from < to) return minute >= from && minute < to && opensOn(day);
  // Spanning midnight: the evening part opened today, the morning part yesterday.
  if (minute >= from) return opensOn(day);
  return minute < to && opensOn(day - 1);
}

export function matches(m: RouteMatch, f: RoutedFile, now: Date): boolean {
  if (m.pathGlob !== undefined && !globMatches(m.pathGlob, f.path)) return false;
  if (m.source !== undefined && m.source !== f.source) return false;
  if (m.agent !== undefined && m.agent !== f.agentName && m.agent !== f.agentId) return false;
  for (const [k, v] of Object.entries(m.labels ?? {})) if (f.labels[k] !== v) return false;
  if (m.minSize !== undefined && f.size < m.minSize) return false;
  if (m.maxSize !== undefined && f.size > m.maxSize) return false;
  if (m.window && !inWindow(m.window, now)) return false;
  return true;
}

/** The route the file takes, or undefined when none applies (the file gets no tasks). */
export function routeFor<R extends Route>(routes: readonly R[], f: RoutedFile, now: Date): R | undefined {
  return [...routes]
    .filter((r) => r.enabled)
    .sort((a, b) => a.position - b.position)
    .find((r) => matches(r.match, f, now));
}
