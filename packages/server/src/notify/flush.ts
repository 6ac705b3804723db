import type { AlertSummary } from '../alerts/service.ts';
import { decide, type Timing } from './batching.ts';
import type { NotifyEvent } from './templates.ts';

/**
 * What one notification group sends now, from its members' alerts as they are: new firing
 * alerts, resolutions and acknowledgements since the last message, repeats, and escalations.
 * Pure; the notifier loads the group, calls this, renders the messages and stores the result.
 */
export type Notified = 'firing' | 'acknowledged' | null;

export interface MemberView {
  alert: AlertSummary;
  /** The episode the member last heard about; another one means a new episode. */
  instanceId: string | null;
  notified: Notified;
  /** A silence covers it now. */
  muted: boolean;
  /** Who acknowledged the current episode, when it is acknowledged. */
  ack?: { actor: string; note: string | null };
}

export interface GroupView {
  createdAt: number;
  lastSentAt?: number;
  step: number;
  escalateAt?: number;
}

export interface Plan {
  timing: Timing;
  /** Minutes from the first message for each step; step 0 is 0. */
  stepMinutes: number[];
}

export interface Outgoing {
  event: NotifyEvent;
  alerts: AlertSummary[];
  /** Which rule steps' channels get it. */
  steps: number[];
  actor?: string;
  note?: string;
  waitedMinutes?: number;
}

export interface FlushResult {
  messages: Outgoing[];
  /** Members to keep, with what they have now been told; members not listed are dropped. */
  keep: { fingerprint: string; instanceId: string | null; notified: Notified }[];
  group: GroupView & { nextCheckAt?: number };
}

const ended = (s: string) => s === 'resolved' || s === 'closed';

export function planFlush(group: GroupView, members: MemberView[], plan: Plan, now: number): FlushResult {
  // A member from an earlier episode has told nothing about this one.
  const told = (m: MemberView): Notified => (m.instanceId === m.alert.instanceId ? m.notified : null);
  const live = members.filter((m) => !m.muted && m.alert.state !== 'silenced');
  const firing = live.filter((m) => m.alert.state === 'firing');
  const newFiring = firing.filter((m) => told(m) !== 'firing');
  const newAcked = live.filter((m) => m.alert.state === 'acknowledged' && told(m) === 'firing');
  const newResolved = members.filter((m) => ended(m.alert.state) && told(m) !== null);
  const pending = newFiring.length + newAcked.length + newResolved.length > 0;

  const decision = decide(
    { createdAt: group.createdAt, lastSentAt: group.lastSentAt, changed: pending, open: firing.length > 0 },
    now,
    plan.timing,
  );
  const messages: Outgoing[] = [];
  const reached = Array.from({ length: group.step + 1 }, (_, i) => i);
  if (decision.send) {
    if (newFiring.length || decision.reason === 'repeat')
      messages.push({ event: 'firing', alerts: firing.map((m) => m.alert), steps: [0] });
    if (decision.reason !== 'repeat' && newResolved.length)
      messages.push({ event: 'resolved', alerts: newResolved.map((m) => m.alert), steps: reached });
    if (decision.reason !== 'repeat' && newAcked.length) {
      const last = newAcked[newAcked.length - 1]!.ack;
      messages.push({
        event: 'acknowledged',
        alerts: newAcked.map((m) => m.alert),
        steps: reached,
        actor: last?.actor ?? 'someone',
        ...(last?.note ? { note: last.note } : {}),
      });
    }
  }
  const sent = messages.length > 0;
  const keep = members
    .filter((m) => !ended(m.alert.state) || (!sent && told(m) !== null))
    .map((m) => {
      let notified = told(m);
      if (sent && !m.muted && m.alert.state === 'firing') notified = 'firing';
      if (sent && newAcked.includes(m)) notified = 'acknowledged';
      return { fingerprint: m.alert.fingerprint, instanceId: m.alert.instanceId, notified };
    });

  const next: FlushResult['group'] = { ...group, ...(sent ? { lastSentAt: now } : {}) };
  const unacked = firing.filter((m) => sent || told(m) === 'firing');
  const deltaMs = (step: number) =>
    ((plan.stepMinutes[step + 1] ?? 0) - (plan.stepMinutes[step] ?? 0)) * 60_000;
  const more = () => next.step + 1 < plan.stepMinutes.length;
  if (!unacked.length || !more()) delete next.escalateAt;
  else if (next.escalateAt === undefined) {
    if (sent) next.escalateAt = now + deltaMs(next.step);
  } else if (next.escalateAt <= now) {
    next.step += 1;
    messages.push({
      event: 'escalated',
      alerts: unacked.map((m) => m.alert),
      steps: [next.step],
      waitedMinutes: plan.stepMinutes[next.step],
    });
    if (more()) next.escalateAt = now + deltaMs(next.step);
    else delete next.escalateAt;
  }

  const waiting = !sent && pending;
  const after = decide(
    { createdAt: group.createdAt, lastSentAt: next.lastSentAt, changed: waiting, open: firing.length > 0 },
    now,
    plan.timing,
  );
  const due = waiting || firing.length > 0 ? (after.send ? now : after.nextCheckAt) : undefined;
  const checks = [due, next.escalateAt].filter((t): t is number => t !== undefined);
  if (checks.length) next.nextCheckAt = Math.min(...checks);
  return { messages, keep, group: next };
}
