import { randomUUID } from 'node:crypto';
import { type InboundAlert, normaliseSeverity, type Severity } from './ingest.ts';
import { type AlertEvent, type AlertState, type Current, transition } from './lifecycle.ts';

/** An alert as stored, with its current instance (none for an alert whose first report was a resolve). */
export interface Stored {
  fingerprint: string;
  instanceId: string | null;
  current: Current | null;
}

/** One instance to create: a new firing episode, its id chosen here so later reports of the batch can refer to it. */
export interface NewInstance {
  id: string;
  fingerprint: string;
  startsAt: Date;
  endsAt: Date | null;
}

/** A state change of an existing instance. */
export interface Change {
  fingerprint: string;
  instanceId: string;
  from: AlertState;
  to: AlertState;
  stateBeforeSilence: string | null;
  event: AlertEvent['kind'];
  endsAt: Date | null;
}

/** An instance re-reported with nothing to change: only last_seen and endsAt move. */
export interface Refresh {
  instanceId: string;
  endsAt: Date | null;
}

export interface AlertRow {
  fingerprint: string;
  /** The alert's state after the batch: its current instance's. */
  state: AlertState;
  instanceId: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  severity: Severity;
  source: string;
}

export interface IngestPlan {
  created: NewInstance[];
  changed: Change[];
  refreshed: Refresh[];
  /** Label, annotation and severity updates for every alert reported. */
  alerts: AlertRow[];
}

const eventOf = (a: InboundAlert): AlertEvent =>
  a.status === 'firing' ? { kind: 'fire', startsAt: a.startsAt } : { kind: 'source_resolve' };

const rowOf = (a: InboundAlert, state: AlertState, instanceId: string): AlertRow => ({
  fingerprint: a.fingerprint,
  state,
  instanceId,
  name: a.labels.alertname ?? '',
  labels: a.labels,
  annotations: a.annotations,
  severity: normaliseSeverity(a.labels.severity),
  source: a.source,
});

/**
 * What one batch of reports does to the stored alerts, through the lifecycle table: new
 * episodes, state changes, refreshes. Reports of one fingerprint apply in order, each seeing
 * the state the previous one left, so a batch gives the same result as its reports one by one.
 */
export function planIngest(
  stored: Map<string, Stored>,
  batch: InboundAlert[],
  newId: () => string = randomUUID,
): IngestPlan {
  const plan: IngestPlan = { created: [], changed: [], refreshed: [], alerts: [] };
  const live = new Map(stored);
  const latest = new Map<string, InboundAlert>();
  for (const report of batch) {
    const now = live.get(report.fingerprint) ?? {
      fingerprint: report.fingerprint,
      instanceId: null,
      current: null,
    };
    // A resolve names no instance; one for an earlier episode (a late re-send) must not end the current one.
    if (
      report.status === 'resolved' &&
      now.current &&
      now.current.startsAt.getTime() !== report.startsAt.getTime()
    )
      continue;
    const outcome = transition(now.current, eventOf(report));
    if (outcome.kind === 'new_instance') {
      const id = newId();
      plan.created.push({
        id,
        fingerprint: report.fingerprint,
        startsAt: report.startsAt,
        endsAt: report.endsAt,
      });
      live.set(report.fingerprint, {
        fingerprint: report.fingerprint,
        instanceId: id,
        current: { state: 'firing', startsAt: report.startsAt },
      });
    } else if (outcome.kind === 'change' && now.current && now.instanceId) {
      plan.changed.push({
        fingerprint: report.fingerprint,
        instanceId: now.instanceId,
        from: now.current.state,
        to: outcome.to,
        stateBeforeSilence: outcome.stateBeforeSilence ?? null,
        event: eventOf(report).kind,
        endsAt: report.endsAt,
      });
      live.set(report.fingerprint, {
        ...now,
        current: { ...now.current, state: outcome.to, stateBeforeSilence: outcome.stateBeforeSilence },
      });
    } else if (now.instanceId) {
      plan.refreshed.push({ instanceId: now.instanceId, endsAt: report.endsAt });
    }
    latest.set(report.fingerprint, report);
  }
  for (const [fingerprint, report] of latest) {
    const end = live.get(fingerprint);
    if (end?.current && end.instanceId) plan.alerts.push(rowOf(report, end.current.state, end.instanceId));
  }
  return plan;
}
