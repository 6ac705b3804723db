import type { AlertSummary } from '../alerts/service.ts';
import { decide, type Timing } from './batching.ts';
import type { NotifyEvent } from './templates.ts';

/**
 * What one notification group sends now, from the members whose alerts changed since the group
 * last looked and a count of its firing alerts: the alerts that started firing, were resolved or
 * acknowledged since the last message (each told once), reminders of an unchanged group at its
 * repeat interval, and escalations. A group of 10,000 alerts that gains one sends a message about
 * that one with the count of the others. Pure; the router loads the group, calls this, renders
 * the messages and stores the result.
 */
export type Notified = 'firing' | 'acknowledged' | null;

/** A member whose alert changed since its group last looked at it. */
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

export interface GroupMembers {
  changed: MemberView[];
  /** Members whose alert is firing now, changed or not, muted or not. */
  firing: number;
}

export interface Plan {
  timing: Timing;
  /** Minutes from the first message for each step; step 0 is 0. */
  stepMinutes: number[];
}

export interface Outgoing {
  event: NotifyEvent;
  /** The alerts the message is about; empty when it lists a sample (the caller looks it up). */
  alerts: AlertSummary[];
  /** A reminder (repeat or escalation): it lists a sample of the group's firing alerts, not changes. */
  sample?: true;
  /** A firing message that repeats an unchanged group. */
  repeat?: true;
  /** The group's firing alerts after this message, listed or not. */
  firingCount: number;
  /** Which rule steps' channels get it. */
  steps: number[];
  actor?: string;
  note?: string;
  waitedMinutes?: number;
}

export interface FlushResult {
  messages: Outgoing[];
  /**
   * What each changed member has now been told, and whether the group must look at it again
   * (news still to tell, or a muted alert nobody heard of); changed members not listed are
   * dropped, members that did not change are left as they are.
   */
  keep: { fingerprint: string; instanceId: string | null; notified: Notified; recheck: boolean }[];
  group: GroupView & { nextCheckAt?: number };
}

const ended = (s: string) => s === 'resolved' || s === 'closed';

export function planFlush(group: GroupView, members: GroupMembers, plan: Plan, now: number): FlushResult {
  const { changed } = members;
  // A member from an earlier episode has told nothing about this one.
  const told = (m: MemberView): Notified => (m.instanceId === m.alert.instanceId ? m.notified : null);
  const firingNow = (m: MemberView) => m.alert.state === 'firing';
  const live = changed.filter((m) => !m.muted && m.alert.state !== 'silenced');
  const changedFiring = live.filter(firingNow);
  const mutedFiring = changed.filter((m) => m.muted && firingNow(m)).length;
  // Counted in another statement than the changes were read in: never fewer than those seen.
  const firing = Math.max(members.firing - mutedFiring, changedFiring.length);
  const newFiring = changedFiring.filter((m) => told(m) !== 'firing');
  const newAcked = live.filter((m) => m.alert.state === 'acknowledged' && told(m) === 'firing');
  const newResolved = changed.filter((m) => ended(m.alert.state) && told(m) !== null);
  const news = new Set([...newFiring, ...newAcked, ...newResolved]);

  const decision = decide(
    { createdAt: group.createdAt, lastSentAt: group.lastSentAt, changed: news.size > 0, open: firing > 0 },
    now,
    plan.timing,
  );
  const messages: Outgoing[] = [];
  const reached = Array.from({ length: group.step + 1 }, (_, i) => i);
  const about = (event: NotifyEvent, list: MemberView[], steps: number[]): Outgoing => ({
    event,
    alerts: list.map((m) => m.alert),
    firingCount: firing,
    steps,
  });
  if (decision.send && decision.reason === 'repeat')
    messages.push({
      event: 'firing',
      alerts: [],
      sample: true,
      repeat: true,
      firingCount: firing,
      steps: [0],
    });
  else if (decision.send) {
    if (newFiring.length) messages.push(about('firing', newFiring, [0]));
    if (newResolved.length) messages.push(about('resolved', newResolved, reached));
    if (newAcked.length) {
      const last = newAcked[newAcked.length - 1]!.ack;
      messages.push({
        ...about('acknowledged', newAcked, reached),
        actor: last?.actor ?? 'someone',
        ...(last?.note ? { note: last.note } : {}),
      });
    }
  }
  const sent = messages.length > 0;
  const acked = new Set(newAcked);
  const keep = changed
    .filter((m) => !ended(m.alert.state) || (!sent && told(m) !== null))
    .map((m) => {
      let notified = told(m);
      if (sent && !m.muted && firingNow(m)) notified = 'firing';
      if (sent && acked.has(m)) notified = 'acknowledged';
      const unheardMuted = m.muted && firingNow(m) && notified !== 'firing';
      return {
        fingerprint: m.alert.fingerprint,
        instanceId: m.alert.instanceId,
        notified,
        recheck: (!sent && news.has(m)) || unheardMuted,
      };
    });

  const next: FlushResult['group'] = { ...group, ...(sent ? { lastSentAt: now } : {}) };
  // Firing members that did not change were told they fire: nothing else leaves them clean.
  const unacked =
    firing - changedFiring.length + changedFiring.filter((m) => sent || told(m) === 'firing').length;
  const deltaMs = (step: number) =>
    ((plan.stepMinutes[step + 1] ?? 0) - (plan.stepMinutes[step] ?? 0)) * 60_000;
  const more = () => next.step + 1 < plan.stepMinutes.length;
  if (unacked <= 0 || !more()) delete next.escalateAt;
  else if (next.escalateAt === undefined) {
    if (sent) next.escalateAt = now + deltaMs(next.step);
  } else if (next.escalateAt <= now) {
    next.step += 1;
    messages.push({
      event: 'escalated',
      alerts: [],
      sample: true,
      firingCount: firing,
      steps: [next.step],
      waitedMinutes: plan.stepMinutes[next.step],
    });
    if (more()) next.escalateAt = now + deltaMs(next.step);
    else delete next.escalateAt;
  }

  const waiting = !sent && news.size > 0;
  const after = decide(
    { createdAt: group.createdAt, lastSentAt: next.lastSentAt, changed: waiting, open: firing > 0 },
    now,
    plan.timing,
  );
  const due = waiting || firing > 0 ? (after.send ? now : after.nextCheckAt) : undefined;
  const checks = [due, next.escalateAt].filter((t): t is number => t !== undefined);
  if (checks.length) next.nextCheckAt = Math.min(...checks);
  return { messages, keep, group: next };
}
