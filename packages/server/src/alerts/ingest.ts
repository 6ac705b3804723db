/**
 * The three inbound alert formats, normalised to one shape.
 *
 * Alertmanager: the webhook message, version "4" (`{version, groupKey, status, receiver,
 * groupLabels, commonLabels, commonAnnotations, externalURL, truncatedAlerts, alerts: [...]}`).
 * vmalert: the bare JSON list it posts to its notifier URL; it carries no status and no
 * fingerprint, so an alert whose `endsAt` has passed is resolved.
 *
 * Generic, for the host agent, scripts and anything else: one alert object, or `{"alerts": [...]}`.
 *
 *   {
 *     "name": "DiskFull",                   required; becomes the label `alertname`
 *     "severity": "critical",               optional; becomes the label `severity`
 *     "status": "firing",                   optional, "firing" or "resolved"; when left out,
 *                                           "resolved" if endsAt has passed, else "firing"
 *     "labels": {"host": "db-1"},           optional; string values only; with the name and
 *                                           severity at most 2,048 bytes (MAX_LABEL_BYTES)
 *     "annotations": {"runbook": "..."},    optional; string values only
 *     "summary": "/var is 97% full",        optional; becomes the annotation `summary`
 *     "startsAt": "2024-05-01T12:00:00Z",   optional RFC 3339 time; when left out, the report
 *                                           belongs to the alert's open episode, or starts
 *                                           one at the time of receipt
 *     "endsAt": "2024-05-01T13:00:00Z",     optional RFC 3339 time
 *     "generatorURL": "https://...",        optional link back to the sender
 *     "fingerprint": "..."                  optional, at most 128 characters; kept as the
 *                                           annotation `source_fingerprint` (see below)
 *   }
 *
 * The alert is always the one its labels name: the fingerprint is computed from them. A sender's
 * own `fingerprint` that differs is kept as the annotation `source_fingerprint` and identifies
 * nothing, or any holder of an ingest key could rewrite or resolve an alert another sender owns
 * by quoting its fingerprint with labels of its own. Alertmanager's always equals the computed one.
 *
 * `name`, `severity` and `summary` win over the same keys in `labels` and `annotations`.
 * Every format accepts fields it does not know, so a newer sender never breaks an older server.
 */
import { zodIssuesToProblems } from '@opsfleet/core';
import { z } from 'zod';
import { fingerprintOf } from './fingerprint.ts';

export type AlertSource = 'alertmanager' | 'vmalert' | 'generic';

export interface InboundAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Null for a generic report without one: it belongs to the alert's open episode, or starts one now. */
  startsAt: Date | null;
  endsAt: Date | null;
  generatorURL: string | null;
  source: AlertSource;
}

export interface IngestProblem {
  path: string;
  message: string;
}

// A batch of thousands of broken alerts must not turn into a megabyte of error response.
const MAX_PROBLEMS = 20;

/** The payload could not be read; `problems` name each bad field (`alerts[2].startsAt`). */
export class IngestError extends Error {
  readonly problems: IngestProblem[];

  constructor(
    readonly source: AlertSource,
    problems: IngestProblem[],
  ) {
    const kept = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS)
      kept.push({ path: '(body)', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
    super(`invalid ${source} payload: ${kept.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'IngestError';
    this.problems = kept;
  }
}

export function parseAlertmanager(body: unknown): InboundAlert[] {
  return parseWith(alertmanagerMessage, body, 'alertmanager').alerts.map((a) => ({
    ...identity(a.labels, a.annotations ?? {}, a.fingerprint),
    status: a.status,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL || null,
    source: 'alertmanager',
  }));
}

export function parseVmalert(body: unknown, now: Date): InboundAlert[] {
  return parseWith(vmalertList, body, 'vmalert').map((a) => ({
    fingerprint: fingerprintOf(a.labels),
    status: statusFromEnd(a.endsAt, now),
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL || null,
    source: 'vmalert',
  }));
}

export function parseGeneric(body: unknown, now: Date): InboundAlert[] {
  const alerts = isEnvelope(body)
    ? parseWith(genericEnvelope, body, 'generic').alerts
    : [parseWith(genericAlert, body, 'generic')];
  return alerts.map((a) => fromGeneric(a, now));
}

export type Severity = 'critical' | 'high' | 'warning' | 'info' | 'low';

const SEVERITY_SPELLINGS: Record<Severity, readonly string[]> = {
  critical: ['critical', 'crit', 'fatal', 'page', 'emergency', 'sev1', 'p1'],
  high: ['error', 'err', 'high', 'major', 'sev2', 'p2'],
  warning: ['warning', 'warn', 'medium', 'sev3', 'p3'],
  info: ['info', 'notice', 'informational', 'sev4', 'p4'],
  low: ['low', 'minor', 'debug', 'none', 'sev5', 'p5'],
};

const SEVERITY_BY_SPELLING = new Map(
  Object.entries(SEVERITY_SPELLINGS).flatMap(([severity, spellings]) =>
    spellings.map((spelling) => [spelling, severity as Severity] as const),
  ),
);

/**
 * One severity scale whatever the sender calls it. An unknown or missing severity is `warning`:
 * loud enough to be looked at, not loud enough to page anyone.
 */
export function normaliseSeverity(raw: string | undefined): Severity {
  const key = (raw ?? '').toLowerCase().replace(/[\s_-]/g, '');
  return SEVERITY_BY_SPELLING.get(key) ?? 'warning';
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown, source: AlertSource): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new IngestError(source, zodIssuesToProblems(result.error.issues));
  return result.data;
}

function identity(
  labels: Record<string, string>,
  annotations: Record<string, string>,
  sent: string | null | undefined,
): Pick<InboundAlert, 'fingerprint' | 'labels' | 'annotations'> {
  const fingerprint = fingerprintOf(labels);
  return {
    fingerprint,
    labels,
    annotations: sent && sent !== fingerprint ? { ...annotations, source_fingerprint: sent } : annotations,
  };
}

function statusFromEnd(endsAt: Date | null, now: Date): InboundAlert['status'] {
  return endsAt !== null && endsAt.getTime() <= now.getTime() ? 'resolved' : 'firing';
}

function isEnvelope(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'alerts' in body;
}

function fromGeneric(a: z.output<typeof genericAlert>, now: Date): InboundAlert {
  const labels = {
    ...a.labels,
    alertname: a.name,
    ...(a.severity === undefined ? {} : { severity: a.severity }),
  };
  const annotations = { ...a.annotations, ...(a.summary === undefined ? {} : { summary: a.summary }) };
  return {
    ...identity(labels, annotations, a.fingerprint),
    status: a.status ?? statusFromEnd(a.endsAt, now),
    startsAt: a.startsAt ?? null,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL || null,
    source: 'generic',
  };
}

/** A zod message that says what belongs in the field, whether it was missing or wrong. */
function expecting(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `is required: ${what}` : `must be ${what}, got ${kindOf(issue.input)}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${typeof value === 'string' ? quote(value) : String(value)}`;
}

// Messages echo what was sent so the sender can find it, but never a whole oversized field.
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function parseRfc3339(text: string): Date | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, day, clock, fraction = '', sign, offsetHours = '0', offsetMinutes = '0'] = m;
  const wall = new Date(`${day}T${clock}.${fraction.padEnd(3, '0').slice(0, 3)}Z`);
  // Date quietly turns 2024-02-30 into March 1st and 24:00 into the next day; a sender writing
  // those has a bug we should report rather than guess around.
  if (Number.isNaN(wall.getTime()) || wall.toISOString().slice(0, 19) !== `${day}T${clock}`) return null;
  if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return null;
  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  return new Date(wall.getTime() + (sign === '-' ? offsetMs : -offsetMs));
}

const EXAMPLE_TIME = '"2024-05-01T12:00:00Z" or "2024-05-01T20:00:00+08:00"';

const time = z
  .string({ error: expecting(`an RFC 3339 time such as ${EXAMPLE_TIME}`) })
  .transform((text, ctx) => {
    const at = parseRfc3339(text);
    if (at) return at;
    ctx.issues.push({
      code: 'custom',
      input: text,
      message: `${quote(text)} is not a valid RFC 3339 time; write it like ${EXAMPLE_TIME}`,
    });
    return z.NEVER;
  });

// Go marshals an unset time.Time as year 1; Alertmanager sends it as endsAt of every firing alert.
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

const endTime = time.nullish().transform((at) => (at && at.getTime() !== GO_ZERO_TIME ? at : null));

function stringMap(kind: 'label' | 'annotation') {
  return z.record(
    z.string(),
    z.string({
      error: expecting(`a string (${kind} values are text: quote numbers and booleans, e.g. "5")`),
    }),
    { error: expecting(`an object of ${kind} names to string values, e.g. {"alertname": "DiskFull"}`) },
  );
}

/**
 * The labels are the alert's identity and are carried in the index of open alerts, whose entries
 * PostgreSQL caps at about 2.7 kB; a bound here answers 400 where the index would fail the batch.
 */
export const MAX_LABEL_BYTES = 2048;

function labelSizeProblem(labels: Record<string, string>): string | undefined {
  let bytes = 0;
  for (const [name, value] of Object.entries(labels))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes > MAX_LABEL_BYTES
    ? `the labels take ${bytes} bytes (names and values together), at most ${MAX_LABEL_BYTES}: labels identify the alert; put long text in annotations`
    : undefined;
}

const labelSet = stringMap('label')
  .refine((labels) => Object.keys(labels).length > 0, {
    message: 'must have at least one label, e.g. {"alertname": "DiskFull"}: the labels identify the alert',
  })
  .superRefine((labels, ctx) => {
    const problem = labelSizeProblem(labels);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const status = z.enum(['firing', 'resolved'], { error: expecting('"firing" or "resolved"') });
const link = z.string({ error: expecting('a URL') }).nullish();
// Alertmanager's is 16 hex characters; the bound keeps a sender's own scheme but not a megabyte.
const fingerprint = z
  .string({ error: expecting('a string') })
  .max(128, 'must be at most 128 characters: it is kept as the annotation source_fingerprint')
  .nullish();

const alertmanagerAlert = z.looseObject(
  {
    status,
    labels: labelSet,
    annotations: stringMap('annotation').nullish(),
    startsAt: time,
    endsAt: endTime,
    generatorURL: link,
    fingerprint,
  },
  { error: expecting('an alert object') },
);

const alertmanagerMessage = z.looseObject(
  {
    version: z.literal('4', {
      error: (issue) =>
        issue.input === undefined
          ? 'is required: "4", the Alertmanager webhook message version'
          : `must be "4": only Alertmanager webhook version 4 is understood, got ${kindOf(issue.input)}`,
    }),
    alerts: z.array(alertmanagerAlert, { error: expecting('the list of alerts') }),
  },
  { error: expecting('an Alertmanager webhook message (an object with "version": "4" and "alerts")') },
);

const vmalertList = z.array(
  z.looseObject(
    {
      labels: labelSet,
      annotations: stringMap('annotation').nullish(),
      startsAt: time,
      endsAt: endTime,
      generatorURL: link,
    },
    { error: expecting('an alert object') },
  ),
  { error: expecting('the JSON list of alerts vmalert posts to its notifier URL') },
);

const genericAlert = z
  .looseObject(
    {
      name: z
        .string({ error: expecting('the alert name, e.g. "DiskFull"') })
        .min(1, 'must not be empty: give the alert a name, e.g. "DiskFull"'),
      severity: z.string({ error: expecting('a string such as "critical" or "warning"') }).optional(),
      status: status.optional(),
      labels: stringMap('label').optional(),
      annotations: stringMap('annotation').optional(),
      summary: z.string({ error: expecting('a string') }).optional(),
      startsAt: time.optional(),
      endsAt: endTime,
      generatorURL: link,
      fingerprint,
    },
    { error: expecting('one alert object, or {"alerts": [...]}') },
  )
  .superRefine((a, ctx) => {
    const problem = labelSizeProblem({
      ...a.labels,
      alertname: a.name,
      ...(a.severity === undefined ? {} : { severity: a.severity }),
    });
    if (problem) ctx.addIssue({ code: 'custom', path: ['labels'], message: problem });
  });

const genericEnvelope = z.looseObject({
  alerts: z.array(genericAlert, { error: expecting('a list of alert objects') }),
});
