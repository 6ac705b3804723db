import { bigserial, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Tables as the migrations create them (migrations/*.sql are the source of truth for the
 * database; this file gives queries their types). A domain's tables are used by that domain's
 * store only.
 */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const alerts = pgTable('alerts', {
  fingerprint: text('fingerprint').primaryKey(),
  name: text('name').notNull(),
  labels: jsonb('labels').$type<Record<string, string>>().notNull(),
  annotations: jsonb('annotations').$type<Record<string, string>>().notNull(),
  severity: text('severity').notNull(),
  source: text('source').notNull(),
  state: text('state').notNull(),
  currentInstanceId: uuid('current_instance_id'),
  firstSeen: at('first_seen').notNull(),
  lastSeen: at('last_seen').notNull(),
});

export const alertInstances = pgTable('alert_instances', {
  id: uuid('id').primaryKey().defaultRandom(),
  fingerprint: text('fingerprint').notNull(),
  startsAt: at('starts_at').notNull(),
  endsAt: at('ends_at'),
  state: text('state').notNull(),
  stateBeforeSilence: text('state_before_silence'),
  lastSeen: at('last_seen').notNull(),
  acknowledgedAt: at('acknowledged_at'),
  acknowledgedBy: text('acknowledged_by'),
  resolvedAt: at('resolved_at'),
  closedAt: at('closed_at'),
});

export const alertHistory = pgTable('alert_history', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  instanceId: uuid('instance_id').notNull(),
  fingerprint: text('fingerprint').notNull(),
  at: at('at').notNull().defaultNow(),
  event: text('event').notNull(),
  fromState: text('from_state'),
  toState: text('to_state').notNull(),
  actor: text('actor'),
  note: text('note'),
});
