/** Notifications: channels, template sets and previews, rules, the outbox and its delivery log. */
import { api } from './client.ts';
import type {
  AttemptPage,
  AttemptStatus,
  Channel,
  ChannelChange,
  ChannelTestResult,
  NewChannel,
  NotifyEvent,
  OutboxDetail,
  OutboxItem,
  OutboxPage,
  OutboxState,
  Preview,
  Rule,
  RuleInput,
  Template,
  TemplateDefaults,
  TemplateSet,
  TemplateSetInput,
} from './notify-types.ts';

const BASE = '/api/v1/notify';
const id = (value: string) => encodeURIComponent(value);

// Channels

export const listChannelKinds = (signal?: AbortSignal) => api<string[]>(`${BASE}/channel-kinds`, { signal });

export const listChannels = (signal?: AbortSignal) => api<Channel[]>(`${BASE}/channels`, { signal });

export const createChannel = (channel: NewChannel) =>
  api<Channel>(`${BASE}/channels`, { method: 'POST', body: channel });

export const updateChannel = (channelId: string, change: ChannelChange) =>
  api<Channel>(`${BASE}/channels/${id(channelId)}`, { method: 'PATCH', body: change });

export const deleteChannel = (channelId: string) =>
  api<void>(`${BASE}/channels/${id(channelId)}`, { method: 'DELETE' });

/** Sends a test message now; a failed delivery is a 502 whose `detail` says why. */
export const testChannel = (channelId: string) =>
  api<ChannelTestResult>(`${BASE}/channels/${id(channelId)}/test`, { method: 'POST', body: {} });

// Templates

export const getTemplateDefaults = (signal?: AbortSignal) =>
  api<TemplateDefaults>(`${BASE}/templates/defaults`, { signal });

export const listTemplateSets = (signal?: AbortSignal) => api<TemplateSet[]>(`${BASE}/templates`, { signal });

export const createTemplateSet = (set: TemplateSetInput) =>
  api<TemplateSet>(`${BASE}/templates`, { method: 'POST', body: set });

export const updateTemplateSet = (setId: string, set: TemplateSetInput) =>
  api<TemplateSet>(`${BASE}/templates/${id(setId)}`, { method: 'PUT', body: set });

/** 409 while a rule or channel uses the set. */
export const deleteTemplateSet = (setId: string) =>
  api<void>(`${BASE}/templates/${id(setId)}`, { method: 'DELETE' });

/** Renders `template` (or the default for the event) with sample alerts; 400 names a part that does not parse. */
export const previewTemplate = (event: NotifyEvent, template: Template | undefined, signal?: AbortSignal) =>
  api<Preview>(`${BASE}/preview`, { method: 'POST', body: { event, template }, signal });

// Rules

export const listRules = (signal?: AbortSignal) => api<Rule[]>(`${BASE}/rules`, { signal });

export const createRule = (rule: RuleInput) => api<Rule>(`${BASE}/rules`, { method: 'POST', body: rule });

export const updateRule = (ruleId: string, rule: RuleInput) =>
  api<Rule>(`${BASE}/rules/${id(ruleId)}`, { method: 'PUT', body: rule });

export const deleteRule = (ruleId: string) => api<void>(`${BASE}/rules/${id(ruleId)}`, { method: 'DELETE' });

// Outbox and delivery log

export interface DeliveryFilter {
  status?: AttemptStatus;
  channelId?: string;
  /** The attempts of one notification. */
  outboxId?: string;
  limit?: number;
  cursor?: string;
}

export const listDeliveries = (filter: DeliveryFilter, signal?: AbortSignal) =>
  api<AttemptPage>(`${BASE}/deliveries`, { query: { ...filter }, signal });

export const listOutbox = (
  filter: { state?: OutboxState; limit?: number; cursor?: string },
  signal?: AbortSignal,
) => api<OutboxPage>(`${BASE}/outbox`, { query: { ...filter }, signal });

export const getOutboxItem = (itemId: string, signal?: AbortSignal) =>
  api<OutboxDetail>(`${BASE}/outbox/${id(itemId)}`, { signal });

export const listDeadLetters = (page: { limit?: number; cursor?: string }, signal?: AbortSignal) =>
  api<OutboxPage>(`${BASE}/dead-letters`, { query: { ...page }, signal });

/** Puts a dead letter back in the queue with fresh attempts. */
export const retryDeadLetter = (itemId: string) =>
  api<OutboxItem>(`${BASE}/dead-letters/${id(itemId)}/retry`, { method: 'POST', body: {} });

export const discardDeadLetter = (itemId: string) =>
  api<void>(`${BASE}/dead-letters/${id(itemId)}`, { method: 'DELETE' });
