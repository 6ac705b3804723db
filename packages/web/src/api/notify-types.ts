/** The notification API's answers and bodies (channels, templates, rules, outbox, deliveries). */

export const NOTIFY_EVENTS = ['firing', 'resolved', 'acknowledged', 'escalated'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** The severities a rule offers to pick from (others may be typed in). */
export const RULE_SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;

export interface Channel {
  id: string;
  name: string;
  kind: string;
  /** Secrets come back masked (`••••••`); sending the mask back keeps the stored value. */
  config: Record<string, unknown>;
  templateId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewChannel {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  templateId?: string;
}

export interface ChannelChange {
  name?: string;
  config?: Record<string, unknown>;
  templateId?: string | null;
}

export interface ChannelTestResult {
  delivered: true;
  ms: number;
}

export interface Template {
  title: string;
  body: string;
}

export type TemplateDefaults = Record<NotifyEvent, Template>;

export interface TemplateSetInput {
  name: string;
  /** Only the events this set overrides; the others use the defaults. */
  templates: Partial<Record<NotifyEvent, Template>>;
}

export interface TemplateSet extends TemplateSetInput {
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface Preview {
  title: string;
  markdown: string;
  payload: Record<string, unknown>;
  idempotencyKey: string;
}

export interface TimeWindow {
  /** 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** `HH:MM`; an end before the start spans midnight. */
  from: string;
  to: string;
  /** IANA zone, e.g. `Asia/Shanghai`. */
  timeZone: string;
}

export interface EscalationStep {
  /** 0 for the first step; later steps fire when the alert is still not acknowledged after this. */
  afterMinutes: number;
  channelIds: string[];
}

export interface RuleInput {
  name: string;
  enabled: boolean;
  /** As text: `team="db"`, `severity=~"critical|high"`. */
  matchers: string[];
  /** Empty = every severity. */
  severities: string[];
  /** Empty = always. */
  windows: TimeWindow[];
  groupBy: string[];
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
  steps: EscalationStep[];
  templateId: string | null;
}

export interface Rule extends RuleInput {
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export const ATTEMPT_STATUSES = ['sending', 'ok', 'failed', 'interrupted'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export interface Attempt {
  id: string;
  outboxId: string;
  channelId: string;
  channelName: string;
  event: NotifyEvent;
  title: string;
  attempt: number;
  status: AttemptStatus;
  responseCode: number | null;
  error: string | null;
  ms: number | null;
  at: string;
}

export interface AttemptPage {
  items: Attempt[];
  nextCursor: string | null;
}

export const OUTBOX_STATES = ['pending', 'delivered', 'dead', 'discarded'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export interface OutboxItem {
  id: string;
  ruleId: string | null;
  ruleName: string | null;
  channelId: string;
  channelName: string;
  event: NotifyEvent;
  title: string;
  markdown: string;
  payload: Record<string, unknown>;
  idempotencyKey: string;
  state: OutboxState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface OutboxPage {
  items: OutboxItem[];
  nextCursor: string | null;
}

export interface OutboxDetail extends OutboxItem {
  history: Attempt[];
}
