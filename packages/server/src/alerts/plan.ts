import { randomUUID } from 'node:crypto';
import { type InboundAlert, normaliseSeverity, type Severity } from './ingest.ts';
import {
  type AlertEvent,
  type AlertState,
  type EndedBy,
  type EventKind,
  isOpen,
  type OpenState,
  transition,
} from './lifecycle.ts';

/** An instance (one episode of an alert) as stored. */
export interface Instance {
  id: string;
  fingerprint: string;
  startsAt: Date;
  /** The severity the episode fired with. */
  severity: Severity;
  state: AlertState;
  endedBy: EndedBy | null;
  stateBeforeSilence: OpenState | null;
  /** The source's endsAt: for a firing episode the newest it sent (it only moves forward). */
  endsAt: Date | null;
  resolvedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  closedAt: Date | null;
  generatorURL: string | null;
}

export interface HistoryEntry {
  instanceId: string;
  fingerprint: string;
  event: EventKind;
  from: AlertState | null;
  to: AlertState;
  /** Who caused it: the sender's key, a user, or `system` (expiry, silences, supersede). */
  actor: string;
}

/** What the store holds of a reported alert: its current (newest) instance and the reported episodes it has. */
export interface Stored {
  fingerprint: string;
  currentId: string | null;
  instances: Instance[];
}

export interface AlertRow {
  fingerprint: string;
  state: AlertState;
  instanceId: string;
  /** From the newest report of the current episode; null when the batch had none (only older episodes). */
  details: {
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    severity: Severity;
    source: string;
  } | null;
}

export interface IngestPlan {
  created: Instance[];
  /** Existing instances whose stored values change (state, times, link). */
  updated: Instance[];
  /** Instances reported in the batch: their last_seen moves to the time of receipt. */
  seen: string[];
  history: HistoryEntry[];
  /** One row per reported alert: its current instance and state after the batch. */
  alerts: AlertRow[];
  /** Alerts that got an episode older than their newest: superseded end times to recompute. */
  backfilled: string[];
  /** Per batch, in order: what it did as if stored on its own after the ones before it. */
  outcomes: BatchOutcome[];
}

/** Reports that arrived together (one webhook) and who sent them. */
export interface ReportBatch {
  reports: InboundAlert[];
  actor: string;
}

export interface BatchOutcome {
  /** New episodes stored. */
  created: number;
  /** State changes of episodes already stored. */
  changed: number;
  /** Episodes reported again with nothing to change. */
  refreshed: number;
}

/**
 * What time and silences ask of an alert's open current instance once its reports are
 * applied (expiry, silence, unsilence), if anything; `labels` are the alert's.
 */
export type Settle = (current: Instance, labels: Record<string, string>) => AlertEvent | undefined;

/** An event applied to an instance: the instance after it, and its history entry when the state changed. */
export interface Applied {
  instance: Instance;
  entry: HistoryEntry | null;
  rejected?: string;
}

/**
 * One event on one instance, through the lifecycle table, with the timestamps it sets. `endAt`
 * is when the episode ended for the events that end one: the source's endsAt, or the newer
 * episode's start; `at` (now) otherwise.
 */
export function applyEvent(
  inst: Instance,
  event: AlertEvent,
  at: Date,
  actor: string,
  endAt: Date = at,
): Applied {
  const outcome = transition(inst, event);
  if (outcome.kind === 'rejected') return { instance: inst, entry: null, rejected: outcome.reason };
  if (outcome.kind === 'noop') return { instance: inst, entry: null };
  if (outcome.kind === 'source_ended')
    return { instance: { ...inst, endedBy: 'source', resolvedAt: endAt, endsAt: endAt }, entry: null };
  const next: Instance = {
    ...inst,
    state: outcome.to,
    stateBeforeSilence: outcome.stateBeforeSilence ?? null,
  };
  if (event.kind === 'acknowledge') Object.assign(next, { acknowledgedAt: at, acknowledgedBy: actor });
  if (event.kind === 'unacknowledge') Object.assign(next, { acknowledgedAt: null, acknowledgedBy: null });
  if (outcome.to === 'resolved') {
    next.endedBy = outcome.endedBy ?? null;
    next.resolvedAt = endAt;
    if (outcome.endedBy === 'source') next.endsAt = endAt;
  }
  if (isOpen(outcome.to)) Object.assign(next, { endedBy: null, resolvedAt: null, closedAt: null });
  if (outcome.to === 'closed') next.closedAt = at;
  return {
    instance: next,
    entry: {
      instanceId: inst.id,
      fingerprint: inst.fingerprint,
      event: event.kind,
      from: inst.state,
      to: outcome.to,
      actor,
    },
  };
}

const time = (d: Date | null) => d?.getTime() ?? null;
const differs = (a: Instance, b: Instance) =>
  (Object.keys(a) as (keyof Instance)[]).some((k) => {
    const x = a[k];
    const y = b[k];
    return x instanceof Date || y instanceof Date
      ? time(x as Date | null) !== time(y as Date | null)
      : x !== y;
  });
const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a > b ? a : b);
const earlier = (a: Date | null, b: Date) => (a === null || b < a ? b : a);

/** One alert's episodes while a batch is planned. */
class Episodes {
  readonly byStart = new Map<number, Instance>();
  readonly before = new Map<string, Instance>();
  readonly entries: HistoryEntry[] = [];
  readonly seen = new Set<string>();
  readonly created = new Set<string>();
  backfilled = false;
  currentId: string | null;
  latest: InboundAlert | null = null;
  labels: Record<string, string> = {};

  constructor(stored: Stored | undefined) {
    this.currentId = stored?.currentId ?? null;
    for (const inst of stored?.instances ?? []) {
      this.byStart.set(inst.startsAt.getTime(), inst);
      this.before.set(inst.id, inst);
    }
  }

  get current(): Instance | null {
    for (const inst of this.byStart.values()) if (inst.id === this.currentId) return inst;
    return null;
  }

  put(inst: Instance, entry: HistoryEntry | null): void {
    this.byStart.set(inst.startsAt.getTime(), inst);
    if (entry) this.entries.push(entry);
  }
}

const blank = (fingerprint: string, startsAt: Date, id: string, severity: Severity): Instance => ({
  id,
  fingerprint,
  startsAt,
  severity,
  state: 'firing',
  endedBy: null,
  stateBeforeSilence: null,
  endsAt: null,
  resolvedAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  closedAt: null,
  generatorURL: null,
});

/**
 * What batches of reports do to the stored alerts, applied one after the other, so that
 * batches that arrived together are stored in one transaction with the outcome they would
 * have had one at a time. An episode is (fingerprint, startsAt),
 * and a report only ever touches its own: a resolve is final for its episode, endsAt of a
 * firing episode only moves forward, a newer episode becomes the alert's current one and ends
 * an older open one, an episode first heard of as resolved (or older than the current one) is
 * stored already ended. So the outcome is a function of which reports arrived, whatever their
 * order or repetition. Reports without a startsAt of their own (generic senders) belong to the
 * alert's open episode, or start one at the time of receipt.
 */
export function planIngest(
  stored: Map<string, Stored>,
  batches: ReportBatch[],
  now: Date,
  opts: { newId?: () => string; settle?: Settle } = {},
): IngestPlan {
  const newId = opts.newId ?? randomUUID;
  const alerts = new Map<string, Episodes>();
  const outcomes = batches.map(({ reports, actor }) => {
    const created = new Set<string>();
    const changed = new Set<string>();
    const seen = new Set<string>();
    let entries = 0;
    for (const report of reports) {
      const eps = alerts.get(report.fingerprint) ?? new Episodes(stored.get(report.fingerprint));
      alerts.set(report.fingerprint, eps);
      const before = { created: eps.created.size, entries: eps.entries.length };
      const id = applyReport(eps, report, now, actor, newId);
      seen.add(id);
      if (eps.created.size > before.created) created.add(id);
      for (const entry of eps.entries.slice(before.entries))
        if (!created.has(entry.instanceId)) {
          changed.add(entry.instanceId);
          entries += 1;
        }
    }
    return {
      created: created.size,
      changed: entries,
      refreshed: [...seen].filter((id) => !created.has(id) && !changed.has(id)).length,
    };
  });
  if (opts.settle) for (const eps of alerts.values()) settle(eps, opts.settle, now);
  const plan: IngestPlan = {
    created: [],
    updated: [],
    seen: [],
    history: [],
    alerts: [],
    backfilled: [],
    outcomes,
  };
  for (const [fingerprint, eps] of alerts) {
    for (const inst of eps.byStart.values()) {
      const before = eps.before.get(inst.id);
      if (eps.created.has(inst.id)) plan.created.push(inst);
      else if (before && differs(before, inst)) plan.updated.push(inst);
    }
    plan.seen.push(...eps.seen);
    plan.history.push(...eps.entries);
    if (eps.backfilled) plan.backfilled.push(fingerprint);
    const current = eps.current!;
    const latest = eps.latest;
    plan.alerts.push({
      fingerprint,
      state: current.state,
      instanceId: current.id,
      details: latest ? detailsOf(latest) : null,
    });
  }
  return plan;
}

function detailsOf(a: InboundAlert): NonNullable<AlertRow['details']> {
  return {
    name: a.labels.alertname ?? '',
    labels: a.labels,
    annotations: a.annotations,
    severity: normaliseSeverity(a.labels.severity),
    source: a.source,
  };
}

/** An alert whose reports changed something is settled against silences and time at once. */
function settle(eps: Episodes, decide: Settle, now: Date): void {
  const current = eps.current;
  if (!eps.entries.length || !current || !isOpen(current.state)) return;
  const event = decide(current, eps.labels);
  if (!event) return;
  const applied = applyEvent(current, event, now, 'system');
  if (applied.entry) eps.put(applied.instance, applied.entry);
}

type Step = [Instance, HistoryEntry | null] | null;

/** Applies one report to its episode; returns the id of the episode's instance. */
function applyReport(
  eps: Episodes,
  report: InboundAlert,
  now: Date,
  actor: string,
  newId: () => string,
): string {
  const current = eps.current;
  const startsAt = report.startsAt ?? (current && isOpen(current.state) ? current.startsAt : now);
  const existing = eps.byStart.get(startsAt.getTime()) ?? null;
  const inst =
    existing ??
    openEpisode(eps, blank(report.fingerprint, startsAt, newId(), detailsOf(report).severity), actor);
  eps.seen.add(inst.id);
  eps.labels = report.labels;
  const isCurrent = inst.id === eps.currentId;
  if (isCurrent) eps.latest = report;
  const step =
    report.status === 'resolved'
      ? resolveStep(inst, existing !== null, report, now, actor)
      : fireStep(eps, inst, existing !== null, isCurrent, report, now, actor);
  if (step) eps.put(...step);
  return inst.id;
}

const linked = (inst: Instance, report: InboundAlert): Instance =>
  report.generatorURL ? { ...inst, generatorURL: report.generatorURL } : inst;

function resolveStep(inst: Instance, existed: boolean, report: InboundAlert, now: Date, actor: string): Step {
  const endAt = report.endsAt ?? now;
  if (!existed) return endNew(linked(inst, report), 'source', endAt, 'source_resolve', actor);
  // Several resolves of one episode (an HA pair, a retry) agree on the earliest end they name.
  if (inst.endedBy === 'source')
    return [
      { ...inst, resolvedAt: earlier(inst.resolvedAt, endAt), endsAt: earlier(inst.endsAt, endAt) },
      null,
    ];
  const applied = applyEvent(linked(inst, report), { kind: 'source_resolve' }, now, actor, endAt);
  return [applied.instance, applied.entry];
}

function fireStep(
  eps: Episodes,
  inst: Instance,
  existed: boolean,
  isCurrent: boolean,
  report: InboundAlert,
  now: Date,
  actor: string,
): Step {
  if (!existed && !isCurrent) {
    const [ended, entry] = endNew(
      linked(inst, report),
      'superseded',
      nextStart(eps, inst.startsAt),
      'supersede',
      actor,
    );
    return [{ ...ended, endsAt: report.endsAt }, entry];
  }
  if (!existed) return [{ ...linked(inst, report), endsAt: report.endsAt }, created(inst, actor)];
  if (inst.endedBy === 'source') return null;
  const news = isCurrent && (report.endsAt === null || inst.endsAt === null || report.endsAt > inst.endsAt);
  const applied = applyEvent(linked(inst, report), { kind: 'fire', news }, now, actor);
  return [{ ...applied.instance, endsAt: later(applied.instance.endsAt, report.endsAt) }, applied.entry];
}

/**
 * A new episode's instance. It becomes the alert's current one when it is the newest; an open
 * episode it replaces is ended (superseded) at its start. An older one is marked for backfill:
 * the superseded end times around it are recomputed from what is stored.
 */
function openEpisode(eps: Episodes, inst: Instance, actor: string): Instance {
  const { id, startsAt } = inst;
  eps.created.add(id);
  const current = eps.current;
  if (current && current.startsAt > startsAt) {
    eps.backfilled = true;
    return inst;
  }
  if (current) {
    const ended = applyEvent(current, { kind: 'supersede' }, startsAt, actor, startsAt);
    eps.put(ended.instance, ended.entry);
  }
  eps.currentId = id;
  return inst;
}

function endNew(
  inst: Instance,
  endedBy: EndedBy,
  endAt: Date,
  event: EventKind,
  actor: string,
): [Instance, HistoryEntry] {
  const ended: Instance = { ...inst, state: 'resolved', endedBy, resolvedAt: endAt };
  if (endedBy === 'source') ended.endsAt = endAt;
  return [
    ended,
    { instanceId: inst.id, fingerprint: inst.fingerprint, event, from: null, to: 'resolved', actor },
  ];
}

const created = (inst: Instance, actor: string): HistoryEntry => ({
  instanceId: inst.id,
  fingerprint: inst.fingerprint,
  event: 'fire',
  from: null,
  to: 'firing',
  actor,
});

/** The start of the next newer episode known in the batch: a superseded episode ended when it began. */
function nextStart(eps: Episodes, startsAt: Date): Date {
  let next: Date | null = null;
  for (const inst of eps.byStart.values())
    if (inst.startsAt > startsAt && (next === null || inst.startsAt < next)) next = inst.startsAt;
  return next ?? startsAt;
}
