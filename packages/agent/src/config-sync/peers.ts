import type { ConfigTarget } from '../spec.ts';

export type PeerKind = ConfigTarget['kind'];

/** What the peer's /metrics says about its last reload. */
export interface ReloadFacts {
  successful?: number;
  /** Seconds since the epoch of the last successful reload. */
  successAt?: number;
  /** vmalert counts reload attempts; Prometheus and Alertmanager do not. */
  attempts?: number;
}

const PREFIX: Record<PeerKind, string> = {
  prometheus: 'prometheus_config_last_reload',
  alertmanager: 'alertmanager_config_last_reload',
  vmalert: 'vmalert_config_last_reload',
};

/** The reload facts out of a Prometheus text exposition (unlabelled gauges and counters only). */
export function reloadFacts(kind: PeerKind, text: string): ReloadFacts {
  const value = (name: string): number | undefined => {
    const m = new RegExp(`^${name}(?:\\{\\})? ([^ \\n]+)`, 'm').exec(text);
    const n = m ? Number(m[1]) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  const p = PREFIX[kind];
  const facts: ReloadFacts = {};
  const successful = value(`${p}_successful`);
  const successAt = value(`${p}_success_timestamp_seconds`);
  const attempts = kind === 'vmalert' ? value(`${p}_total`) : undefined;
  if (successful !== undefined) facts.successful = successful;
  if (successAt !== undefined) facts.successAt = successAt;
  if (attempts !== undefined) facts.attempts = attempts;
  return facts;
}

export type Verdict = 'ok' | 'failed' | 'waiting';

/**
 * Whether a reload asked for at `startedSec` (whole seconds, as the peers write their
 * timestamps) has happened and worked, from the facts before and after. vmalert answers its
 * reload endpoint 200 even when it rejects the rules and reloads in the background, so its
 * attempt counter must move first (and is the only evidence: its success timestamp stays at its
 * start); a `successful 0` left over from an earlier failure is not this reload's verdict.
 */
export function reloadVerdict(before: ReloadFacts, after: ReloadFacts, startedSec: number): Verdict {
  const attempted =
    after.attempts === undefined || before.attempts === undefined || after.attempts > before.attempts;
  if (!attempted) return 'waiting';
  const counted = after.attempts !== undefined && before.attempts !== undefined;
  // vmalert 1.79 leaves its success timestamp at its start time: its counter is the evidence.
  // Prometheus and Alertmanager write fractional seconds, so a reload in the same second as the
  // one before still moves the timestamp; "not older than the request" alone would pass it.
  const moved = (after.successAt ?? 0) > (before.successAt ?? -1) && (after.successAt ?? 0) >= startedSec;
  if (after.successful === 1 && (counted || moved)) return 'ok';
  if (after.successful === 0 && (counted || before.successful !== 0)) return 'failed';
  return 'waiting';
}

/** The command that checks a staged configuration: rule files, or an Alertmanager file. */
export function validateCommand(
  kind: PeerKind,
  tools: { promtool: string; amtool: string; vmalert: string },
  stagedFiles: string[],
): { cmd: string; args: string[] } {
  if (kind === 'prometheus') return { cmd: tools.promtool, args: ['check', 'rules', ...stagedFiles] };
  if (kind === 'vmalert')
    return {
      cmd: tools.vmalert,
      args: ['-dryRun', ...stagedFiles.map((f) => `-rule=${f}`), '-loggerLevel=ERROR'],
    };
  return { cmd: tools.amtool, args: ['check-config', ...stagedFiles] };
}
