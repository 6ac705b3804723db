/** How a sync target stands, in the words and colours the console shows. */
import type { SyncTarget } from './api/sync-targets.ts';

export type SyncState = 'empty' | 'unassigned' | 'pending' | 'failed' | 'behind' | 'in-sync';

export interface SyncSummary {
  state: SyncState;
  /** A badge's text. */
  label: string;
  /** An antd Tag colour. */
  color: string;
  /** One sentence saying why. */
  detail: string;
}

type Status = Pick<
  SyncTarget,
  'agentId' | 'desiredVersion' | 'pinnedVersion' | 'appliedVersion' | 'inSync' | 'lastAttemptAt' | 'lastError'
>;

/**
 * The target's state. A failure outranks being in sync: a peer that reverted a bad version to
 * the one it should load is in sync, yet the operator has to see the tool's refusal.
 */
export function syncSummary(t: Status): SyncSummary {
  const desired = t.desiredVersion;
  const applied = t.appliedVersion;
  const want = desired === null ? '' : `version ${desired}${t.pinnedVersion === desired ? ' (pinned)' : ''}`;
  if (desired === null)
    return { state: 'empty', label: 'no version', color: 'default', detail: 'Nothing rendered yet.' };
  if (t.lastError !== null)
    return {
      state: 'failed',
      label: 'failed',
      color: 'red',
      detail: `The last attempt failed; the peer ${applied === null ? 'has loaded nothing from opsfleet' : `keeps version ${applied}`}, it should load ${want}.`,
    };
  if (t.inSync)
    return { state: 'in-sync', label: 'in sync', color: 'green', detail: `The peer loads ${want}.` };
  if (t.agentId === null)
    return {
      state: 'unassigned',
      label: 'no agent',
      color: 'default',
      detail: `No host agent applies it: pick the agent on the peer's host to have ${want} loaded.`,
    };
  if (applied === null && t.lastAttemptAt === null)
    return {
      state: 'pending',
      label: 'not applied yet',
      color: 'blue',
      detail: `Its ConfigAgent has not reported yet; it is to load ${want}.`,
    };
  return {
    state: 'behind',
    label: 'behind',
    color: 'orange',
    detail: `The peer loads ${applied === null ? 'nothing from opsfleet' : `version ${applied}`}; it should load ${want}.`,
  };
}

/** `desired / applied`, a dash for a version there is none of. */
export const versionsText = (t: Pick<SyncTarget, 'desiredVersion' | 'appliedVersion'>): string =>
  `${t.desiredVersion ?? '—'} / ${t.appliedVersion ?? '—'}`;

/** The first line with text in it: a tool's output starts with what went wrong. */
export function firstLine(text: string | null): string {
  if (text === null) return '';
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** The peer as its ConfigAgent last saw it, in a few words and a colour. */
export function peerSummary(peer: SyncTarget['peer']): { label: string; color: string; detail: string } {
  if (!peer)
    return { label: 'not reported', color: 'default', detail: 'Its ConfigAgent has not looked at it yet.' };
  if (!peer.up)
    return { label: 'unreachable', color: 'red', detail: peer.error ?? 'Its /metrics did not answer.' };
  if (peer.reloadSuccessful === false)
    return {
      label: 'last reload failed',
      color: 'red',
      detail:
        'The peer says its last configuration reload failed; it keeps running the configuration before it.',
    };
  return { label: 'up', color: 'green', detail: 'It answers, and its last reload worked.' };
}
