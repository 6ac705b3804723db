import Mustache from 'mustache';
import type { AlertSummary } from '../alerts/service.ts';
import type { Message } from './channels/channel.ts';

/**
 * Notification text from logic-less Mustache templates: `{{field}}`, `{{#alerts}}…{{/alerts}}`,
 * `{{^x}}…{{/x}}`. Templates cannot run code. Values go into the markdown as they are (chat
 * clients do not interpret HTML); the email channel escapes the whole text for its HTML part.
 */
export const EVENTS = ['firing', 'resolved', 'acknowledged', 'escalated'] as const;
export type NotifyEvent = (typeof EVENTS)[number];

export interface Template {
  title: string;
  body: string;
}

const LIST = `{{#alerts}}
- **{{severity}}** {{name}}{{#summary}}: {{summary}}{{/summary}} ([open]({{link}}))
{{/alerts}}`;
const OTHERS = `{{#othersFiring}}
{{othersFiring}} other alert(s) of the group still firing
{{/othersFiring}}`;

/**
 * The built-in templates; a rule or channel may override any of them. A message lists what
 * changed (or, for a repeat or an escalation, a sample) and counts the group's other firing
 * alerts, so a group of thousands does not list them all again each time one changes.
 */
export const DEFAULT_TEMPLATES: Record<NotifyEvent, Template> = {
  firing: {
    title: '[FIRING:{{firingCount}}] {{groupName}}',
    body: `### {{#repeat}}Still firing: {{firingCount}} alert(s){{/repeat}}{{^repeat}}{{count}} alert(s) started firing{{/repeat}}\n${LIST}${OTHERS}`,
  },
  resolved: {
    title: '[RESOLVED:{{count}}] {{groupName}}',
    body: `### {{count}} alert(s) resolved\n${LIST}${OTHERS}`,
  },
  acknowledged: {
    title: '[ACK] {{groupName}} by {{actor}}',
    body: `### Acknowledged by {{actor}}\n{{#note}}> {{note}}\n{{/note}}${LIST}${OTHERS}`,
  },
  escalated: {
    title: '[ESCALATED:{{firingCount}}] {{groupName}}',
    body: `### Not acknowledged within {{waitedMinutes}} minutes: {{firingCount}} alert(s)\n${LIST}${OTHERS}`,
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

/** Checks a template before it is saved; the error names the part and the problem. */
export function checkTemplate(t: Template): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const part of ['title', 'body'] as const) {
    try {
      Mustache.parse(t[part]);
    } catch (err) {
      problems.push({ path: part, message: (err as Error).message });
    }
  }
  return problems;
}

const verbatim = { escape: (s: string) => s };

/** Renders one notification. */
export function render(template: Template, ctx: RenderContext): Message {
  const v = view(ctx);
  return {
    title: Mustache.render(template.title, v, {}, verbatim).replace(/\s+/g, ' ').trim(),
    markdown: Mustache.render(template.body, v, {}, verbatim).trim(),
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
