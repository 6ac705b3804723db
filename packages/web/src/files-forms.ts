/**
 * The file action and routing rule forms: their fields, the bodies they become, and where a
 * server refusal belongs. Secrets are write-only: an edit shows whether one is set, and a field
 * left empty keeps it (the server's mask sent back means "the stored value").
 */
import type { FieldProblem } from './api/client.ts';
import {
  type FileAction,
  type FileActionBody,
  type FileRoute,
  type FileRouteBody,
  MASK,
} from './api/files.ts';

/** The kinds the server runs (packages/server/src/files/actions). */
export const ACTION_KINDS = ['webhook', 'jenkins', 'nats', 'rabbitmq', 'script'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

type TextSecret = 'apiToken' | 'password' | 'secret' | 'token';
export type SecretField = TextSecret | 'headers';
type TextField = 'url' | 'job' | 'user' | 'subject' | 'exchange' | 'routingKey' | 'program';

/** Per kind, its write-only fields. */
export const SECRET_FIELDS: Record<ActionKind, readonly SecretField[]> = {
  jenkins: ['apiToken', 'password'],
  webhook: ['secret', 'headers'],
  nats: ['password', 'token'],
  rabbitmq: ['password'],
  script: [],
};

/** Per kind, its plain text fields besides its secrets. */
const TEXT_FIELDS: Record<ActionKind, readonly TextField[]> = {
  jenkins: ['url', 'job', 'user'],
  webhook: ['url'],
  nats: ['url', 'subject', 'user'],
  rabbitmq: ['url', 'user', 'exchange', 'routingKey'],
  script: ['program'],
};

export interface ActionValues {
  name: string;
  kind: ActionKind;
  url: string;
  /** Jenkins: the job's full name, folders separated by `/`. */
  job: string;
  user: string;
  apiToken: string;
  password: string;
  /** Jenkins build parameters, `NAME=value` a line. */
  parameters: string;
  /** Webhook signing secret. */
  secret: string;
  /** Webhook extra headers, `Name: value` a line. */
  headers: string;
  /** NATS: the JetStream subject; with `{placeholders}`. */
  subject: string;
  /** NATS: a token instead of user and password. */
  token: string;
  /** RabbitMQ: the exchange ('' is the default one) and the routing key. */
  exchange: string;
  routingKey: string;
  /** Script: an allowed program's absolute path and its arguments, one a line. */
  program: string;
  args: string;
  timeoutSeconds: number | undefined;
  maxAttempts: number | undefined;
  maxConcurrency: number | undefined;
  fallbackActionId: string | undefined;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Whether a stored action has a value behind a secret field ("set" / "not set" in the form). */
export const secretIsSet = (a: FileAction | undefined, field: string) =>
  a !== undefined && a.config[field] !== undefined && a.config[field] !== null;

function lines(record: unknown, sep: string): string {
  if (!record || typeof record !== 'object') return '';
  return Object.entries(record as Record<string, unknown>)
    .map(([k, v]) => `${k}${sep}${str(v)}`)
    .join('\n');
}

/** `NAME=value` (or `Name: value`) lines as a record; blank lines skipped, the first separator splits. */
export function parseLines(text: string, sep: '=' | ':'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf(sep);
    const key = (at < 0 ? line : line.slice(0, at)).trim();
    out[key] = at < 0 ? '' : line.slice(at + 1).trim();
  }
  return out;
}

export function actionValues(a: FileAction | undefined): ActionValues {
  const c = a?.config ?? {};
  return {
    name: a?.name ?? '',
    kind: (ACTION_KINDS as readonly string[]).includes(a?.kind ?? '') ? (a?.kind as ActionKind) : 'webhook',
    url: str(c.url),
    job: str(c.job),
    user: str(c.user),
    subject: str(c.subject),
    exchange: str(c.exchange),
    routingKey: str(c.routingKey),
    program: str(c.program),
    args: Array.isArray(c.args) ? c.args.map(str).join('\n') : '',
    // Secrets are never shown: empty keeps what is stored.
    apiToken: '',
    password: '',
    secret: '',
    headers: '',
    token: '',
    parameters: lines(c.parameters, '='),
    timeoutSeconds: a ? a.timeoutMs / 1000 : undefined,
    maxAttempts: a?.maxAttempts,
    maxConcurrency: a?.maxConcurrency,
    fallbackActionId: a?.fallbackActionId ?? undefined,
  };
}

/**
 * The body for a new action (`stored` undefined) or an edit: the kind's fields only. A secret
 * left empty is sent as the mask when one is stored, so the server keeps it, and left out
 * otherwise; headers are one secret: typed ones replace the stored set.
 */
export function actionBody(v: ActionValues, stored: FileAction | undefined): FileActionBody {
  const config: Record<string, unknown> = {};
  const same = stored?.kind === v.kind;
  for (const field of TEXT_FIELDS[v.kind]) {
    // RabbitMQ's default exchange is the empty name, so an empty exchange is sent as it is.
    const value = (v[field] ?? '').trim();
    if (value || field === 'exchange' || field === 'url') config[field] = value;
  }
  for (const field of SECRET_FIELDS[v.kind]) {
    if (field === 'headers') {
      if (v.headers?.trim()) config.headers = parseLines(v.headers, ':');
      else if (same && secretIsSet(stored, 'headers')) config.headers = stored?.config.headers;
      continue;
    }
    const typed = v[field as TextSecret] ?? '';
    if (typed) config[field] = typed;
    else if (same && secretIsSet(stored, field)) config[field] = MASK;
  }
  if (v.kind === 'jenkins') {
    const params = parseLines(v.parameters ?? '', '=');
    if (Object.keys(params).length) config.parameters = params;
  }
  if (v.kind === 'script') config.args = (v.args ?? '').split('\n').filter((a) => a.trim() !== '');
  return {
    name: (v.name ?? '').trim(),
    ...(stored ? {} : { kind: v.kind }),
    config,
    ...(v.timeoutSeconds ? { timeoutMs: Math.round(v.timeoutSeconds * 1000) } : {}),
    ...(v.maxAttempts ? { maxAttempts: v.maxAttempts } : {}),
    ...(v.maxConcurrency ? { maxConcurrency: v.maxConcurrency } : {}),
    fallbackActionId: v.fallbackActionId ?? null,
  };
}

const ACTION_FIELDS: Record<string, keyof ActionValues> = {
  name: 'name',
  kind: 'kind',
  timeoutMs: 'timeoutSeconds',
  maxAttempts: 'maxAttempts',
  maxConcurrency: 'maxConcurrency',
  fallbackActionId: 'fallbackActionId',
  'config.url': 'url',
  'config.job': 'job',
  'config.user': 'user',
  'config.apiToken': 'apiToken',
  'config.password': 'password',
  'config.parameters': 'parameters',
  'config.secret': 'secret',
  'config.headers': 'headers',
  'config.subject': 'subject',
  'config.token': 'token',
  'config.exchange': 'exchange',
  'config.routingKey': 'routingKey',
  'config.program': 'program',
  'config.args': 'args',
};

const ROUTE_FIELDS: Record<string, keyof RouteValues> = {
  name: 'name',
  position: 'position',
  enabled: 'enabled',
  mode: 'mode',
  actionIds: 'actionIds',
  'match.pathGlob': 'pathGlob',
  'match.source': 'source',
  'match.agent': 'agent',
  'match.labels': 'labels',
  'match.minSize': 'minSize',
  'match.maxSize': 'maxSize',
  'match.window.days': 'days',
  'match.window.from': 'from',
  'match.window.to': 'to',
  'match.window.tz': 'tz',
};

/**
 * The server's field problems as errors on the form's fields: `body.config.parameters.FILE` is
 * the parameters field, `body.match.window.from` the window's start. Problems of no field are
 * left out (the form's alert shows them).
 */
function fieldErrors<V>(
  problems: FieldProblem[],
  fields: Record<string, keyof V>,
): { name: keyof V; errors: string[] }[] {
  const byField = new Map<keyof V, string[]>();
  for (const p of problems) {
    const parts = p.path.replace(/^body\./, '').split('.');
    let field: keyof V | undefined;
    for (let n = parts.length; n > 0 && !field; n--) field = fields[parts.slice(0, n).join('.')];
    if (field) byField.set(field, [...(byField.get(field) ?? []), p.message]);
  }
  return [...byField].map(([name, errors]) => ({ name, errors }));
}

export const actionFieldErrors = (problems: FieldProblem[]) => fieldErrors(problems, ACTION_FIELDS);
export const routeFieldErrors = (problems: FieldProblem[]) => fieldErrors(problems, ROUTE_FIELDS);

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface RouteValues {
  name: string;
  position: number;
  enabled: boolean;
  mode: 'sequence' | 'parallel';
  actionIds: string[];
  pathGlob: string;
  source: string;
  agent: string;
  /** `key=value` a line; every one must be on the file. */
  labels: string;
  minSize: number | undefined;
  maxSize: number | undefined;
  days: string[];
  from: string;
  to: string;
  tz: string;
}

/** A stored rule's fields, or a new one's placed after the last (`nextPosition`). */
export function routeValues(r: FileRoute | undefined, nextPosition: number): RouteValues {
  const m = (r?.match ?? {}) as Record<string, unknown>;
  const w = (m.window ?? {}) as Record<string, unknown>;
  return {
    name: r?.name ?? '',
    position: r?.position ?? nextPosition,
    enabled: r?.enabled ?? true,
    mode: r?.mode ?? 'sequence',
    actionIds: r?.actionIds ?? [],
    pathGlob: str(m.pathGlob),
    source: str(m.source),
    agent: str(m.agent),
    labels: lines(m.labels, '='),
    minSize: typeof m.minSize === 'number' ? m.minSize : undefined,
    maxSize: typeof m.maxSize === 'number' ? m.maxSize : undefined,
    days: Array.isArray(w.days) ? (w.days as string[]) : [],
    from: str(w.from),
    to: str(w.to),
    tz: str(w.tz),
  };
}

/** The body: empty match fields are left out (no condition); a time window needs its start and end. */
export function routeBody(v: RouteValues): FileRouteBody {
  const match: Record<string, unknown> = {};
  const t = (s: string | undefined) => (s ?? '').trim();
  if (t(v.pathGlob)) match.pathGlob = t(v.pathGlob);
  if (t(v.source)) match.source = t(v.source);
  if (t(v.agent)) match.agent = t(v.agent);
  const labels = parseLines(v.labels ?? '', '=');
  if (Object.keys(labels).length) match.labels = labels;
  if (typeof v.minSize === 'number') match.minSize = v.minSize;
  if (typeof v.maxSize === 'number') match.maxSize = v.maxSize;
  if (t(v.from) || t(v.to) || v.days?.length || t(v.tz))
    match.window = {
      from: t(v.from),
      to: t(v.to),
      ...(v.days?.length ? { days: v.days } : {}),
      ...(t(v.tz) ? { tz: t(v.tz) } : {}),
    };
  return {
    name: t(v.name),
    position: v.position ?? 0,
    enabled: v.enabled ?? true,
    mode: v.mode ?? 'sequence',
    actionIds: v.actionIds ?? [],
    match,
  };
}

/** One line saying what a rule matches, for the list. */
export function matchSummary(match: Record<string, unknown>): string {
  const m = match as Partial<Record<string, unknown>>;
  const parts: string[] = [];
  if (m.pathGlob) parts.push(`path ${m.pathGlob}`);
  if (m.source) parts.push(`source ${m.source}`);
  if (m.agent) parts.push(`agent ${m.agent}`);
  if (m.labels && typeof m.labels === 'object')
    parts.push(...Object.entries(m.labels as Record<string, string>).map(([k, val]) => `${k}=${val}`));
  if (typeof m.minSize === 'number') parts.push(`≥ ${m.minSize} B`);
  if (typeof m.maxSize === 'number') parts.push(`≤ ${m.maxSize} B`);
  const w = m.window as { from?: string; to?: string; days?: string[]; tz?: string } | undefined;
  if (w) parts.push(`${w.days?.join(',') ?? 'daily'} ${w.from}–${w.to}${w.tz ? ` ${w.tz}` : ''}`);
  return parts.length ? parts.join(', ') : 'every uploaded file';
}

/** Where an action sends a file, for the list: the URL and what names the job, subject or queue. */
export function actionTarget(a: Pick<FileAction, 'kind' | 'config'>): string {
  const c = a.config;
  switch (a.kind) {
    case 'jenkins':
      return `${str(c.url)} · ${str(c.job)}`;
    case 'nats':
      return `${str(c.url)} · ${str(c.subject)}`;
    case 'rabbitmq':
      return `${str(c.url)} · ${str(c.exchange) || '(default exchange)'} → ${str(c.routingKey)}`;
    case 'script':
      return [str(c.program), ...(Array.isArray(c.args) ? c.args.map(str) : [])].join(' ');
    default:
      return str(c.url);
  }
}
