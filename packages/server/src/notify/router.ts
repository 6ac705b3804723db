import { sql } from 'drizzle-orm';
import { type Matcher, matches } from '../alerts/matchers.ts';
import { type SummaryRow, summaryOf } from '../alerts/service.ts';
import type { Db } from '../db/database.ts';
import { pgArray } from '../db/pg-array.ts';
import { rowsOf } from '../db/rows.ts';
import { type MemberView, type Notified, type Outgoing, planFlush } from './flush.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { groupKeyOf, ruleMatches } from './routing.ts';
import type { LoadedRule, RuleStore } from './rule-store.ts';
import type { TemplateSet } from './template-store.ts';
import { DEFAULT_TEMPLATES, render } from './templates.ts';

/**
 * From alert history to the outbox. `route` reads the history entries the trigger queued and
 * files each alert into the groups of the rules it matches; `flush` takes the groups that are
 * due, asks `planFlush` what to send, renders it per channel and writes the outbox, all in one
 * transaction per step, so a crash repeats work and never loses it.
 */
export interface RouterDeps {
  db: Db;
  rules: RuleStore;
  silences: () => Promise<Matcher[][]>;
  consoleUrl: () => string;
  /** Attempts each notification gets before it becomes a dead letter. */
  maxAttempts?: number;
  now?: () => Date;
}

const BATCH = 5_000;
const FLUSH_BATCH = 500;
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const parse = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) : v);

interface HistoryRow {
  fingerprint: string;
  to_state: string;
  labels: Record<string, string> | string;
  severity: string;
}

interface GroupRow {
  id: string;
  rule_id: string;
  labels: Record<string, string> | string;
  created_at: string | Date;
  last_sent_at: string | Date | null;
  seq: number;
  step: number;
  escalate_at: string | Date | null;
}

interface MemberRow extends SummaryRow {
  group_id: string;
  member_instance: string | null;
  notified: Notified;
  ack_actor: string | null;
  ack_note: string | null;
}

const ms = (v: string | Date | null) => (v === null ? undefined : new Date(v).getTime());

export class Router {
  constructor(private readonly deps: RouterDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Files queued alert changes into groups; returns how many history entries it read. */
  async route(): Promise<number> {
    const rules = await this.deps.rules.enabled();
    const now = this.now();
    return this.deps.db.transaction(async (tx) => {
      const rows = rowsOf<HistoryRow>(
        await tx.execute(sql`
          WITH taken AS (
            DELETE FROM notify_inbox WHERE history_id IN (
              SELECT history_id FROM notify_inbox ORDER BY history_id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
            RETURNING history_id)
          SELECT h.fingerprint, h.to_state, a.labels, a.severity
          FROM taken t JOIN alert_history h ON h.id = t.history_id JOIN alerts a ON a.fingerprint = h.fingerprint`),
      );
      if (!rows.length) return 0;
      const joins = new Map<
        string,
        { rule_id: string; group_key: string; labels: Record<string, string>; fp: string }
      >();
      for (const r of rows) {
        if (r.to_state !== 'firing') continue;
        const labels = parse(r.labels);
        for (const rule of rules) {
          if (!ruleMatches({ ...rule, matchers: rule.parsed }, { labels, severity: r.severity }, now))
            continue;
          const key = groupKeyOf({ ...rule, matchers: rule.parsed }, labels);
          const groupLabels = Object.fromEntries(rule.groupBy.map((l) => [l, labels[l] ?? '']));
          joins.set(`${key}\n${r.fingerprint}`, {
            rule_id: rule.id,
            group_key: key,
            labels: groupLabels,
            fp: r.fingerprint,
          });
        }
      }
      if (joins.size) {
        await tx.execute(sql`
          WITH j AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify([...joins.values()])}::jsonb)
                     AS x(rule_id uuid, group_key text, labels jsonb, fp text)),
          g AS (
            INSERT INTO notify_groups (rule_id, group_key, labels, created_at, next_check_at)
            SELECT DISTINCT ON (rule_id, group_key) rule_id, group_key, labels, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz FROM j
            ON CONFLICT (rule_id, group_key) DO UPDATE SET next_check_at = LEAST(notify_groups.next_check_at, EXCLUDED.next_check_at)
            RETURNING id, rule_id, group_key)
          INSERT INTO notify_members (group_id, fingerprint)
          SELECT g.id, j.fp FROM j JOIN g USING (rule_id, group_key)
          ON CONFLICT DO NOTHING`);
      }
      await tx.execute(sql`
        UPDATE notify_groups SET next_check_at = LEAST(COALESCE(next_check_at, ${now.toISOString()}::timestamptz), ${now.toISOString()}::timestamptz)
        WHERE id IN (SELECT group_id FROM notify_members WHERE fingerprint = ANY(${pgArray([...new Set(rows.map((r) => r.fingerprint))])}::text[]))`);
      return rows.length;
    });
  }

  /** Sends what due groups have to say: how many groups it looked at, and outbox entries written. */
  async flush(): Promise<{ groups: number; written: number }> {
    const now = this.now();
    const [rules, silences] = await Promise.all([this.deps.rules.enabled(), this.deps.silences()]);
    const byId = new Map(rules.map((r) => [r.id, r]));
    const { db } = this.deps;
    return db.transaction(async (tx) => {
      const groups = rowsOf<GroupRow>(
        await tx.execute(sql`
          SELECT g.* FROM notify_groups g JOIN notify_rules r ON r.id = g.rule_id
          WHERE r.enabled AND g.next_check_at <= ${now.toISOString()}::timestamptz
          ORDER BY g.next_check_at LIMIT ${FLUSH_BATCH} FOR UPDATE OF g SKIP LOCKED`),
      );
      if (!groups.length) return { groups: 0, written: 0 };
      const members = rowsOf<MemberRow>(
        await tx.execute(sql`
          SELECT m.group_id, m.instance_id AS member_instance, m.notified,
                 a.fingerprint, a.name, a.state, a.severity, a.source, a.labels, a.annotations,
                 i.starts_at, a.last_seen, a.current_instance_id, ack.actor AS ack_actor, ack.note AS ack_note
          FROM notify_members m JOIN alerts a ON a.fingerprint = m.fingerprint
          LEFT JOIN alert_instances i ON i.id = a.current_instance_id
          LEFT JOIN LATERAL (
            SELECT h.actor, h.note FROM alert_history h
            WHERE h.instance_id = a.current_instance_id AND h.event = 'acknowledge' ORDER BY h.id DESC LIMIT 1
          ) ack ON a.state = 'acknowledged'
          WHERE m.group_id = ANY(${pgArray(groups.map((g) => g.id))}::uuid[])`),
      );
      const [channels, sets] = await Promise.all([loadChannels(tx), loadTemplateSets(tx)]);
      const outbox: Record<string, unknown>[] = [];
      const groupUpdates: Record<string, unknown>[] = [];
      const keep: Record<string, unknown>[] = [];
      const drop: { group_id: string; fp: string }[] = [];
      for (const g of groups) {
        const rule = byId.get(g.rule_id)!;
        const mine = members.filter((m) => m.group_id === g.id);
        const views: MemberView[] = mine.map((m) => {
          const alert = summaryOf(m);
          return {
            alert,
            instanceId: m.member_instance,
            notified: m.notified,
            muted: silences.some((s) => matches(s, alert.labels)),
            ...(m.ack_actor ? { ack: { actor: m.ack_actor, note: m.ack_note } } : {}),
          };
        });
        const result = planFlush(
          {
            createdAt: ms(g.created_at)!,
            lastSentAt: ms(g.last_sent_at),
            step: g.step,
            escalateAt: ms(g.escalate_at),
          },
          views,
          {
            timing: {
              groupWaitMs: rule.groupWaitSeconds * 1000,
              groupIntervalMs: rule.groupIntervalSeconds * 1000,
              repeatIntervalMs: rule.repeatIntervalSeconds * 1000,
            },
            stepMinutes: rule.steps.map((s) => s.afterMinutes),
          },
          now.getTime(),
        );
        const seq = g.seq + (result.messages.length ? 1 : 0);
        for (const message of result.messages)
          outbox.push(...this.rendered(message, rule, g, seq, channels, sets));
        const kept = new Set(result.keep.map((k) => k.fingerprint));
        for (const k of result.keep)
          keep.push({ group_id: g.id, fp: k.fingerprint, instance_id: k.instanceId, notified: k.notified });
        for (const m of mine) if (!kept.has(m.fingerprint)) drop.push({ group_id: g.id, fp: m.fingerprint });
        groupUpdates.push({
          id: g.id,
          last_sent_at: iso(result.group.lastSentAt),
          // Never due again within this pass: a group is looked at once per flush.
          next_check_at: iso(
            result.group.nextCheckAt === undefined
              ? undefined
              : Math.max(result.group.nextCheckAt, now.getTime() + 1),
          ),
          escalate_at: iso(result.group.escalateAt),
          step: result.group.step,
          seq,
        });
      }
      await this.store(tx, { outbox, groupUpdates, keep, drop });
      return { groups: groups.length, written: outbox.length };
    });
  }

  /** One outbox entry per channel of the message's steps, in that channel's templates. */
  private rendered(
    message: Outgoing,
    rule: LoadedRule,
    group: GroupRow,
    seq: number,
    channels: Map<string, string | null>,
    sets: Map<string, Templates>,
  ): Record<string, unknown>[] {
    const ids = [...new Set(message.steps.flatMap((s) => rule.steps[s]?.channelIds ?? []))];
    return ids.flatMap((channelId) => {
      if (!channels.has(channelId)) return [];
      const template =
        sets.get(rule.templateId ?? '')?.[message.event] ??
        sets.get(channels.get(channelId) ?? '')?.[message.event] ??
        DEFAULT_TEMPLATES[message.event];
      const idempotencyKey = `${group.id}:${seq}:${message.event}:${channelId}`;
      const out = render(template, {
        event: message.event,
        alerts: message.alerts,
        consoleUrl: this.deps.consoleUrl(),
        ...(message.actor ? { actor: message.actor } : {}),
        ...(message.note ? { note: message.note } : {}),
        ...(message.waitedMinutes !== undefined ? { waitedMinutes: message.waitedMinutes } : {}),
        idempotencyKey,
      });
      return [
        {
          rule_id: rule.id,
          channel_id: channelId,
          event: message.event,
          title: out.title,
          markdown: out.markdown,
          payload: { ...out.payload, rule: rule.name, groupLabels: parse(group.labels), idempotencyKey },
          idempotency_key: idempotencyKey,
          max_attempts: this.deps.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
        },
      ];
    });
  }

  private async store(
    tx: Tx,
    w: {
      outbox: Record<string, unknown>[];
      groupUpdates: Record<string, unknown>[];
      keep: Record<string, unknown>[];
      drop: { group_id: string; fp: string }[];
    },
  ): Promise<void> {
    if (w.outbox.length)
      await tx.execute(sql`
        INSERT INTO notify_outbox (rule_id, channel_id, event, title, markdown, payload, idempotency_key, max_attempts)
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(w.outbox)}::jsonb) AS x(
          rule_id uuid, channel_id uuid, event text, title text, markdown text, payload jsonb, idempotency_key text, max_attempts int)
        ON CONFLICT (idempotency_key) DO NOTHING`);
    if (w.keep.length)
      await tx.execute(sql`
        UPDATE notify_members m SET instance_id = k.instance_id, notified = k.notified
        FROM jsonb_to_recordset(${JSON.stringify(w.keep)}::jsonb) AS k(group_id uuid, fp text, instance_id uuid, notified text)
        WHERE m.group_id = k.group_id AND m.fingerprint = k.fp`);
    if (w.drop.length)
      await tx.execute(sql`
        DELETE FROM notify_members m USING jsonb_to_recordset(${JSON.stringify(w.drop)}::jsonb) AS d(group_id uuid, fp text)
        WHERE m.group_id = d.group_id AND m.fingerprint = d.fp`);
    await tx.execute(sql`
      UPDATE notify_groups g SET last_sent_at = u.last_sent_at, next_check_at = u.next_check_at,
        escalate_at = u.escalate_at, step = u.step, seq = u.seq
      FROM jsonb_to_recordset(${JSON.stringify(w.groupUpdates)}::jsonb)
        AS u(id uuid, last_sent_at timestamptz, next_check_at timestamptz, escalate_at timestamptz, step int, seq int)
      WHERE g.id = u.id`);
    // A group with nothing left to tell is finished; a member added meanwhile keeps it.
    await tx.execute(sql`
      DELETE FROM notify_groups g WHERE g.id = ANY(${pgArray(w.groupUpdates.map((u) => String(u.id)))}::uuid[])
        AND g.escalate_at IS NULL AND NOT EXISTS (SELECT 1 FROM notify_members m WHERE m.group_id = g.id)`);
  }
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Templates = TemplateSet['templates'];

/** Channel id → its template set id; channels deleted since are absent, so nothing is sent to them. */
async function loadChannels(tx: Tx): Promise<Map<string, string | null>> {
  const rows = rowsOf<{ id: string; template_id: string | null }>(
    await tx.execute(sql`SELECT id, template_id FROM notify_channels`),
  );
  return new Map(rows.map((r) => [r.id, r.template_id]));
}

async function loadTemplateSets(tx: Tx): Promise<Map<string, Templates>> {
  const rows = rowsOf<{ id: string; templates: Templates | string }>(
    await tx.execute(sql`SELECT id, templates FROM notify_templates`),
  );
  return new Map(rows.map((r) => [r.id, parse(r.templates)]));
}
