import { parseDuration } from '@opsfleet/core';

/** How long each kind of record is kept after it stops mattering; 0 keeps it forever. */
export interface RetentionSettings {
  /** `RETENTION_ALERTS`: closed alerts, with their instances and history. */
  alertsMs: number;
  /** `RETENTION_NOTIFY`: delivered and discarded notifications, with their delivery attempts. */
  notifyMs: number;
  /** `RETENTION_AUDIT`: audit log entries. */
  auditMs: number;
  /** `RETENTION_COMMANDS`: finished agent commands, with their output lines. */
  commandsMs: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: RetentionSettings = {
  alertsMs: 90 * DAY,
  notifyMs: 30 * DAY,
  auditMs: 365 * DAY,
  commandsMs: 30 * DAY,
};

const VARIABLES: Record<keyof RetentionSettings, string> = {
  alertsMs: 'RETENTION_ALERTS',
  notifyMs: 'RETENTION_NOTIFY',
  auditMs: 'RETENTION_AUDIT',
  commandsMs: 'RETENTION_COMMANDS',
};

/** Shorter than this is a typo rather than a policy: it would delete what is still being looked at. */
const LEAST_MS = 3_600_000;

function keepFor(name: string, raw: string): number {
  const text = raw.trim();
  if (text === '0') return 0;
  // A bare number is seconds to parseDuration: RETENTION_AUDIT=365 would keep six minutes.
  if (/^\d+(\.\d+)?$/.test(text))
    throw new Error(`${name} needs a unit: write ${text}d for days, or 0 to keep forever (got "${raw}")`);
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new Error(`${name} must be a duration such as 90d or 12h, or 0 to keep forever (got "${raw}")`);
  }
  if (ms < LEAST_MS) throw new Error(`${name} must be at least 1h, or 0 to keep forever (got "${raw}")`);
  return ms;
}

/** RETENTION_ALERTS, RETENTION_NOTIFY, RETENTION_AUDIT and RETENTION_COMMANDS, or their defaults; throws naming a bad one. */
export function retentionSettings(env: Record<string, string | undefined>): RetentionSettings {
  const out = { ...DEFAULT_RETENTION };
  for (const key of Object.keys(VARIABLES) as (keyof RetentionSettings)[]) {
    const raw = env[VARIABLES[key]];
    if (raw) out[key] = keepFor(VARIABLES[key], raw);
  }
  return out;
}
