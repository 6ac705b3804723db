import { Liquid, type Template as Parsed } from 'liquidjs';
import Mustache from 'mustache';
import type { AlertSummary } from '../alerts/service.ts';
import type { Message } from './channels/channel.ts';

/**
 * Notification text from Liquid templates (liquidjs), written by users and so treated as hostile:
 * a template reads only the fields of the view below (own properties, never prototypes or
 * globals), includes no files, calls only the built-in filters, and is bounded in size, render
 * time and memory. A render that fails (a limit, a filter on the wrong type) is an error the
 * caller turns into a fallback to the default template or a 400, never a stalled job.
 * docs/security/templates.md gives the threat and the limits.
 */
export const EVENTS = ['firing', 'resolved', 'acknowledged', 'escalated'] as const;
export type NotifyEvent = (typeof EVENTS)[number];

export interface Template {
  title: string;
  body: string;
}

export const LIMITS = {
  titleChars: 500,
  bodyChars: 20_000,
  /**
   * Per part, wall-clock: the defaults take well under a millisecond, and a busy machine's pauses
   * must not fail a sound template; a hostile one holds the event loop at most this long.
   */
  renderMs: 500,
  /** Characters built while rendering (strings from filters, ranges, output). */
  memoryChars: 1_000_000,
  /** Rendered text kept; chat channels refuse much less anyway. */
  outputChars: 100_000,
} as const;

/** Parsed templates kept for the notifications they render, by source text. */
const CACHE = { entries: 500, chars: 2_000_000 };
/** How long a template that hit a limit is skipped for its default, without trying it again. */
const FAILED_TEMPLATE_PAUSE_MS = 10 * 60_000;

const engine = new Liquid({
  ownPropertyOnly: true,
  strictFilters: true,
  // Unknown fields render empty, as a label an alert lacks must not fail its whole message.
  strictVariables: false,
  // An in-memory file system with no files: include/render could otherwise read the server's.
  templates: {},
  parseLimit: LIMITS.bodyChars,
  renderLimit: LIMITS.renderMs,
  memoryLimit: LIMITS.memoryChars,
  cache: false,
});
for (const tag of ['include', 'render', 'layout', 'block'])
  delete (engine.tags as Record<string, unknown>)[tag];

const LIST = `{% for alert in alerts %}
- **{{ alert.severity }}** {{ alert.name }}{% if alert.summary != blank %}: {{ alert.summary }}{% endif %} ([open]({{ alert.link }}))
{%- endfor %}`;
const OTHERS = `{% if othersFiring > 0 %}
{{ othersFiring }} other alert(s) of the group still firing{% endif %}`;

/**
 * The built-in templates; a rule or channel may override any of them. A message lists what
 * changed (or, for a repeat or an escalation, a sample) and counts the group's other firing
 * alerts, so a group of thousands does not list them all again each time one changes.
 */
export const DEFAULT_TEMPLATES: Record<NotifyEvent, Template> = {
  firing: {
    title: '[FIRING:{{ firingCount }}] {{ groupName }}',
    body: `### {% if repeat %}Still firing: {{ firingCount }} alert(s){% else %}{{ count }} alert(s) started firing{% endif %}${LIST}${OTHERS}`,
  },
  resolved: {
    title: '[RESOLVED:{{ count }}] {{ groupName }}',
    body: `### {{ count }} alert(s) resolved${LIST}${OTHERS}`,
  },
  acknowledged: {
    title: '[ACK] {{ groupName }} by {{ actor }}',
    body: `### Acknowledged by {{ actor }}{% if note != blank %}\n> {{ note }}{% endif %}${LIST}${OTHERS}`,
  },
  escalated: {
    title: '[ESCALATED:{{ firingCount }}] {{ groupName }}',
    body: `### Not acknowledged within {{ waitedMinutes }} minutes: {{ firingCount }} alert(s)${LIST}${OTHERS}`,
  },
};

export interface RenderContext {
  event: NotifyEvent;
  /** The alerts the message lists. */
  alerts: AlertSummary[];
  /** The group's firing alerts, listed or not; without it, the listed ones that fire. */
  firingCount?: number;
  /** The message repeats a group that has not changed. */
  repeat?: boolean;
  consoleUrl: string;
  actor?: string;
  note?: string;
  waitedMinutes?: number;
  idempotencyKey: string;
}

type Part = keyof Template;

/** A template that cannot be used: which part, and why, in words for the one who wrote it. */
export class TemplateError extends Error {
  constructor(
    readonly part: Part,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

function counts(ctx: RenderContext) {
  const listedFiring = ctx.alerts.filter((a) => a.state === 'firing').length;
  const firingCount = ctx.firingCount ?? listedFiring;
  return { firingCount, othersFiring: Math.max(0, firingCount - listedFiring), repeat: ctx.repeat ?? false };
}

function view(ctx: RenderContext) {
  return {
    event: ctx.event,
    count: ctx.alerts.length,
    ...counts(ctx),
    groupName: [...new Set(ctx.alerts.map((a) => a.name))].join(', '),
    actor: ctx.actor ?? '',
    note: ctx.note ?? '',
    waitedMinutes: ctx.waitedMinutes ?? 0,
    consoleUrl: ctx.consoleUrl,
    alerts: ctx.alerts.map((a) => ({
      ...a,
      summary: a.annotations.summary ?? '',
      labelList: Object.entries(a.labels).map(([name, value]) => ({ name, value })),
      link: `${ctx.consoleUrl.replace(/\/$/, '')}/alerts/${a.fingerprint}`,
    })),
  };
}

const MAX_CHARS: Record<Part, number> = { title: LIMITS.titleChars, body: LIMITS.bodyChars };

// liquidjs messages end with the position and, for some, the source line; the position is enough.
const why = (err: unknown) => (err as Error).message.split('\n')[0]!;

function parse(part: Part, source: string): Parsed[] {
  if (source.length > MAX_CHARS[part])
    throw new TemplateError(
      part,
      `is ${source.length} characters long; at most ${MAX_CHARS[part]} are allowed`,
    );
  try {
    return engine.parse(source);
  } catch (err) {
    throw new TemplateError(part, `does not parse: ${why(err)}`);
  }
}

/**
 * The parse cache: least recently used first, bounded in entries and in source characters, so
 * distinct templates (every keystroke of a preview is one) cannot grow the heap.
 */
interface Cached {
  parsed: Parsed[];
  failure?: { at: number; message: string };
}
const cache = new Map<string, Cached>();
let cachedChars = 0;

function cached(part: Part, source: string): Cached {
  const hit = cache.get(source);
  if (hit) {
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const entry: Cached = { parsed: parse(part, source) };
  cache.set(source, entry);
  cachedChars += source.length;
  for (const [oldest] of cache) {
    if (cache.size <= CACHE.entries && cachedChars <= CACHE.chars) break;
    cache.delete(oldest);
    cachedChars -= oldest.length;
  }
  return entry;
}

/** Checks a template before it is saved; each problem names the part. */
export function checkTemplate(t: Template): { path: Part; message: string }[] {
  const problems: { path: Part; message: string }[] = [];
  for (const part of ['title', 'body'] as const) {
    try {
      parse(part, t[part]);
    } catch (err) {
      problems.push({ path: part, message: (err as TemplateError).message });
    }
  }
  return problems;
}

function renderPart(part: Part, parsed: Parsed[], scope: object): string {
  let out: string;
  try {
    out = engine.renderSync(parsed, scope);
  } catch (err) {
    throw new TemplateError(part, `failed to render: ${why(err)}`);
  }
  if (out.length > LIMITS.outputChars)
    throw new TemplateError(
      part,
      `renders ${out.length} characters; at most ${LIMITS.outputChars} are allowed`,
    );
  return out;
}

function message(title: string, markdown: string, ctx: RenderContext): Message {
  return {
    title: title.replace(/\s+/g, ' ').trim(),
    markdown: markdown.trim(),
    payload: {
      event: ctx.event,
      alerts: ctx.alerts,
      ...counts(ctx),
      actor: ctx.actor ?? null,
      note: ctx.note ?? null,
    },
    idempotencyKey: ctx.idempotencyKey,
  };
}

/** Renders one template that is not kept (a preview); throws a TemplateError naming the part. */
export function renderOnce(template: Template, ctx: RenderContext): Message {
  const scope = view(ctx);
  const title = renderPart('title', parse('title', template.title), scope);
  return message(title, renderPart('body', parse('body', template.body), scope), ctx);
}

/**
 * Renders a notification, its parse kept in the cache; throws a TemplateError naming the part.
 * A template that failed to render is not tried again for a while, so a hostile one costs its
 * render limit once, not once per notification.
 */
export function render(template: Template, ctx: RenderContext): Message {
  const scope = view(ctx);
  const now = Date.now();
  const [title, body] = (['title', 'body'] as const).map((part) => {
    const entry = cached(part, template[part]);
    if (entry.failure && now - entry.failure.at < FAILED_TEMPLATE_PAUSE_MS)
      throw new TemplateError(part, entry.failure.message);
    try {
      return renderPart(part, entry.parsed, scope);
    } catch (err) {
      entry.failure = { at: now, message: (err as Error).message };
      throw err;
    }
  });
  return message(title!, body!, ctx);
}

/**
 * A notification in `template`, or in the default for its event when `template` cannot be used;
 * `problem` then says why, so the one notification is degraded rather than lost or blocking.
 */
export function renderOrDefault(
  template: Template,
  ctx: RenderContext,
): { message: Message; problem?: string } {
  const fallback = DEFAULT_TEMPLATES[ctx.event];
  try {
    return { message: render(template, ctx) };
  } catch (err) {
    if (!(err instanceof TemplateError) || template === fallback) throw err;
    return { message: render(fallback, ctx), problem: `${err.part} ${err.message}` };
  }
}

type Kind = 'text' | 'number' | 'flag' | 'object' | 'alerts' | 'labelList' | 'unknown';
const FIELDS: Record<string, Record<string, Kind>> = {
  top: {
    event: 'text',
    count: 'number',
    firingCount: 'number',
    othersFiring: 'number',
    repeat: 'flag',
    groupName: 'text',
    actor: 'text',
    note: 'text',
    waitedMinutes: 'number',
    consoleUrl: 'text',
    alerts: 'alerts',
  },
  alerts: {
    fingerprint: 'text',
    name: 'text',
    state: 'text',
    severity: 'text',
    source: 'text',
    labels: 'object',
    annotations: 'object',
    startsAt: 'text',
    lastSeen: 'text',
    instanceId: 'text',
    summary: 'text',
    labelList: 'labelList',
    link: 'text',
  },
  labelList: { name: 'text', value: 'text' },
};
const ITEM: Record<string, string> = { alerts: 'alert', labelList: 'label' };

interface Scope {
  /** Field kinds of the context; undefined for a labels or annotations object (any name). */
  fields?: Record<string, Kind>;
  /** How the context is reached in Liquid: '' at the top, `alert.` in a loop. */
  prefix: string;
}

type Token = [string, string, number, number, Token[]?];

/**
 * A template written for the Mustache engine used before, in Liquid with the same output: the
 * view's shape says which sections are loops (`{{#alerts}}`) and which are conditions, and how a
 * name inside a loop is reached (`{{name}}` → `{{ alert.name }}`). Stored sets from before are
 * read through it (docs/server.md, Templates).
 */
export function fromMustache(t: Template): Template {
  return { title: convert(t.title), body: convert(t.body) };
}

function convert(source: string): string {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(source) as Token[];
  } catch {
    // Kept as it was, it fails to parse as Liquid too, and renders the default with a reason.
    return source;
  }
  return emit(tokens, [{ fields: FIELDS.top, prefix: '' }]);
}

function resolve(name: string, scopes: Scope[]): { path: string; kind: Kind } {
  const inner = scopes[scopes.length - 1]!;
  if (name === '.') return { path: inner.prefix.replace(/\.$/, '') || 'nil', kind: 'unknown' };
  const [head, ...rest] = name.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    if (scope.fields && !Object.hasOwn(scope.fields, head!)) continue;
    const kind = scope.fields?.[head!] ?? 'unknown';
    return { path: `${scope.prefix}${name}`, kind: rest.length ? 'unknown' : kind };
  }
  return { path: name, kind: 'unknown' };
}

const TRUTHY: Record<Kind, (p: string) => string> = {
  flag: (p) => p,
  number: (p) => `${p} != 0`,
  text: (p) => `${p} != blank`,
  object: (p) => `${p} != blank`,
  alerts: (p) => `${p} != blank`,
  labelList: (p) => `${p} != blank`,
  unknown: (p) => `${p} != blank and ${p} != 0`,
};

function emit(tokens: Token[], scopes: Scope[]): string {
  let out = '';
  for (const [type, value, , , children = []] of tokens) {
    if (type === 'text') out += /\{[{%]/.test(value) ? `{% raw %}${value}{% endraw %}` : value;
    else if (type === 'name' || type === '&' || type === '{') out += `{{ ${resolve(value, scopes).path} }}`;
    else if (type === '#' || type === '^') {
      const { path, kind } = resolve(value, scopes);
      if (type === '^') out += `{% unless ${TRUTHY[kind](path)} %}${emit(children, scopes)}{% endunless %}`;
      else if (kind === 'alerts' || kind === 'labelList') {
        const depth = scopes.filter((s) => s.prefix.startsWith(ITEM[kind]!)).length;
        const item = `${ITEM[kind]}${depth ? depth + 1 : ''}`;
        const inner = emit(children, [...scopes, { fields: FIELDS[kind], prefix: `${item}.` }]);
        out += `{% for ${item} in ${path} %}${inner}{% endfor %}`;
      } else {
        const inner = kind === 'object' ? [...scopes, { prefix: `${path}.` }] : scopes;
        out += `{% if ${TRUTHY[kind](path)} %}${emit(children, inner)}{% endif %}`;
      }
    }
    // Comments, partials (never available) and delimiter changes leave no text.
  }
  return out;
}
