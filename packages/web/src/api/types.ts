/** The server's answers the console reads (see docs/server.md). Times are ISO 8601 UTC. */

export const ALERT_STATES = ['firing', 'acknowledged', 'silenced', 'resolved', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const SEVERITIES = ['critical', 'high', 'warning', 'info', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ROLES = ['admin', 'operator', 'viewer', 'ingest', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export type AlertAction = 'acknowledge' | 'unacknowledge' | 'resolve' | 'close';

export interface AlertSummary {
  fingerprint: string;
  name: string;
  state: AlertState;
  severity: string;
  source: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string | null;
  lastSeen: string;
  instanceId: string | null;
  /** The sender's link back to the rule or graph that produced the alert. */
  generatorURL?: string | null;
}

export interface AlertPage {
  items: AlertSummary[];
  nextCursor: string | null;
}

export interface AlertInstance {
  id: string;
  state: AlertState;
  /** Who ended the episode: its source, time, a person, or a newer episode. */
  endedBy: 'source' | 'time' | 'user' | 'superseded' | null;
  generatorURL: string | null;
  acknowledgedBy: string | null;
  starts_at: string | null;
  ends_at: string | null;
  last_seen: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
}

export interface HistoryEntry {
  id: string;
  instanceId: string;
  at: string;
  event: string;
  from: string | null;
  to: string;
  actor: string | null;
  note: string | null;
}

export interface AlertDetail {
  alert: AlertSummary;
  /** The platform rule that raised it (its opsfleet_rule label), while that rule exists. */
  rule: { groupId: string; group: string; ruleId: string; name: string } | null;
  instances: AlertInstance[];
  /** Older instances and history entries page with these; null when there are no more. */
  instancesCursor: string | null;
  history: HistoryEntry[];
  historyCursor: string | null;
}

export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AlertStats {
  from: string;
  to: string;
  bucketSeconds: number;
  now: { byState: Record<string, number>; bySeverity: Record<string, number> };
  mttaSeconds: number | null;
  acknowledgedCount: number;
  mttrSeconds: number | null;
  resolvedCount: number;
}

export type OverviewRange = '24h' | '7d';

/** `GET /api/v1/alerts/overview`: what the landing page draws. */
export interface AlertOverview {
  range: OverviewRange;
  from: string;
  to: string;
  bucketSeconds: number;
  /** Episodes started per bucket and severity; buckets without any are absent. */
  started: { at: string; severity: string; count: number }[];
  /** Per bucket of the acknowledgement or resolution; buckets without either are absent. */
  responseTimes: {
    at: string;
    mttaSeconds: number | null;
    acknowledged: number;
    mttrSeconds: number | null;
    resolved: number;
  }[];
  noisiest: { fingerprint: string; name: string; severity: string; state: string; episodes: number }[];
  agents: { online: number; offline: number };
  deliveries: { failed: { at: string; count: number }[]; failedTotal: number; deadLetters: number };
}

export interface Matcher {
  name: string;
  value: string;
  type: '=' | '!=' | '=~' | '!~';
}

export type SilenceState = 'pending' | 'active' | 'expired';

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  state: SilenceState;
}

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

export interface LoginAnswer {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  key: string;
  createdAt: string;
}

export interface ResetToken {
  token: string;
  expiresAt: string;
}
