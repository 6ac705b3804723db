import { sql } from 'drizzle-orm';
import { type Matcher, matches } from '../alerts/matchers.ts';
import { type AlertSummary, type SummaryRow, summaryOf } from '../alerts/service.ts';
import type { Db } from '../db/database.ts';
import { rowsOf } from '../db/rows.ts';
import { type FlushResult, type MemberView, type Notified, type Outgoing, planFlush } from './flush.ts';
import { groupQueries } from './group-queries.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { groupKeyOf, routeTable } from './routing.ts';
import type { LoadedRule, RuleStore } from './rule-store.ts';
import type { TemplateSet } from './template-store.ts';
import { readStoredSet } from './template-store.ts';
import { DEFAULT_TEMPLATES, renderOrDefault } from './templates.ts';

/**
 * From alert history to the outbox. `route` reads the history entries the trigger queued, files
 * each new firing episode into the groups of the rules it matches, marks the memberships of
 * every changed alert and brings their groups forward; `flush` takes the groups that are due,
 * reads only their changed members and a count of the rest, asks `planFlush` what to send,
 * renders it per channel and writes the outbox. Each step is one transaction of a few
 * statements per batch, so a crash repeats work and never loses it.
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
/** Alerts a reminder (repeat or escalation) lists; it counts the rest. */
const REMINDER_LIST = 20;
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const parse = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) : v);
const ms = (v: string | Date | null) => (v === null ? undefined : new Date(v).getTime());

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

/** A row of `groupQueries.changes`: a group's firing count, and one changed member if any. */
interface ChangeRow extends Omit<SummaryRow, 'fingerprint'> {
  group_id: string;
  firing: number;
  fingerprint: string | null;
  member_instance: string | null;
  notified: Notified;
  ack_actor: string | null;
  ack_note: string | null;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Templates = TemplateSet['templates'];

interface Planned {
  group: GroupRow;
  rule: LoadedRule;
  result: FlushResult;
  changed: MemberView[];
}

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
      const joins = joinsOf(rows, rules, now);
      if (joins.length) await tx.execute(groupQueries.join(joins, now));
      const fingerprints = [...new Set(rows.map((r) => r.fingerprint))];
      const timing = rules.map((r) => ({
        rule_id: r.id,
        wait_ms: r.groupWaitSeconds * 1000,
        interval_ms: r.groupIntervalSeconds * 1000,
      }));
      await tx.execute(groupQueries.wake(fingerprints, timing, now));
      await tx.execute(groupQueries.touch(fingerprints));
      return rows.length;
    });
  }

  /** Sends what due groups have to say: how many groups it looked at, and outbox entries written. */
  async flush(): Promise<{ groups: number; written: number }> {
    const now = this.now();
    const [rules, silences] = await Promise.all([this.deps.rules.enabled(), this.deps.silences()]);
    const byId = new Map(rules.map((r) => [r.id, r]));
    return this.deps.db.transaction(async (tx) => {
      const groups = rowsOf<GroupRow>(await tx.execute(groupQueries.due(now, FLUSH_BATCH)));
      if (!groups.length) return { groups: 0, written: 0 };
      const state = await loadChanges(tx, groups, silences);
      const planned = groups.map((group): Planned => {
        const rule = byId.get(group.rule_id)!;
        const { firing, changed } = state.get(group.id) ?? { firing: 0, changed: [] };
        return {
          group,
          rule,
          changed,
          result: planFlush(viewOf(group), { firing, changed }, planOf(rule), +now),
        };
      });
      const [samples, channels, sets] = await Promise.all([
        loadSamples(tx, planned, silences),
        loadChannels(tx),
        loadTemplateSets(tx),
      ]);
      const outbox = planned.flatMap(({ group, rule, result }) =>
        result.messages.flatMap((m) =>
          this.rendered(
            m.sample ? { ...m, alerts: samples.get(group.id) ?? [] } : m,
            rule,
            group,
            seqOf(group, result),
            channels,
            sets,
          ),
        ),
      );
      await store(tx, planned, outbox, now);
      return { groups: groups.length, written: outbox.length };
    });
  }

  /** When this replica should flush again: the earliest group due after now, if any. */
  async nextCheck(): Promise<Date | undefined> {
    const [row] = rowsOf<{ next_check_at: string | Date }>(
      await this.deps.db.execute(groupQueries.nextCheck(this.now())),
    );
    return row ? new Date(row.next_check_at) : undefined;
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
      // A template that fails renders this notification in the default, and others go on.
      const { message: out, problem } = renderOrDefault(template, {
        event: message.event,
        alerts: message.alerts,
        firingCount: message.firingCount,
        ...(message.repeat ? { repeat: true } : {}),
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
          payload: {
            ...out.payload,
            rule: rule.name,
            groupLabels: parse(group.labels),
            idempotencyKey,
            ...(problem ? { templateProblem: problem } : {}),
          },
          idempotency_key: idempotencyKey,
          max_attempts: this.deps.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
        },
      ];
    });
  }
}

/** Group memberships of the new firing episodes among `rows`, one per rule group and alert. */
function joinsOf(rows: HistoryRow[], rules: LoadedRule[], now: Date) {
  const rulesFor = routeTable(
    rules.map((r) => ({ ...r, matchers: r.parsed })),
    now,
  );
  const joins = new Map<
    string,
    { rule_id: string; group_key: string; labels: Record<string, string>; fp: string }
  >();
  for (const r of rows) {
    if (r.to_state !== 'firing') continue;
    const labels = parse(r.labels);
    for (const rule of rulesFor({ labels, severity: r.severity })) {
      const key = groupKeyOf(rule, labels);
      joins.set(`${key}\n${r.fingerprint}`, {
        rule_id: rule.id,
        group_key: key,
        labels: Object.fromEntries(rule.groupBy.map((l) => [l, labels[l] ?? ''])),
        fp: r.fingerprint,
      });
    }
  }
  return [...joins.values()];
}

const viewOf = (g: GroupRow) => ({
  createdAt: ms(g.created_at)!,
  lastSentAt: ms(g.last_sent_at),
  step: g.step,
  escalateAt: ms(g.escalate_at),
});

const planOf = (rule: LoadedRule) => ({
  timing: {
    groupWaitMs: rule.groupWaitSeconds * 1000,
    groupIntervalMs: rule.groupIntervalSeconds * 1000,
    repeatIntervalMs: rule.repeatIntervalSeconds * 1000,
  },
  stepMinutes: rule.steps.map((s) => s.afterMinutes),
});

const seqOf = (g: GroupRow, r: FlushResult) => g.seq + (r.messages.length ? 1 : 0);

const muted = (silences: Matcher[][], alert: AlertSummary) => silences.some((s) => matches(s, alert.labels));

/** Each group's firing count and changed members, read in one statement for the whole batch. */
async function loadChanges(
  tx: Tx,
  groups: GroupRow[],
  silences: Matcher[][],
): Promise<Map<string, { firing: number; changed: MemberView[] }>> {
  const rows = rowsOf<ChangeRow>(await tx.execute(groupQueries.changes(groups.map((g) => g.id))));
  const out = new Map<string, { firing: number; changed: MemberView[] }>();
  for (const r of rows) {
    const entry = out.get(r.group_id) ?? { firing: r.firing, changed: [] };
    out.set(r.group_id, entry);
    if (r.fingerprint === null) continue;
    const alert = summaryOf({ ...r, fingerprint: r.fingerprint });
    entry.changed.push({
      alert,
      instanceId: r.member_instance,
      notified: r.notified,
      muted: muted(silences, alert),
      ...(r.ack_actor ? { ack: { actor: r.ack_actor, note: r.ack_note } } : {}),
    });
  }
  return out;
}

/** What the reminders of this flush list, per group; only groups that send one are read. */
async function loadSamples(
  tx: Tx,
  planned: Planned[],
  silences: Matcher[][],
): Promise<Map<string, AlertSummary[]>> {
  const ids = planned.filter((p) => p.result.messages.some((m) => m.sample)).map((p) => p.group.id);
  const out = new Map<string, AlertSummary[]>();
  if (!ids.length) return out;
  const rows = rowsOf<SummaryRow & { group_id: string }>(
    await tx.execute(groupQueries.sample(ids, REMINDER_LIST)),
  );
  for (const r of rows) {
    const alert = summaryOf(r);
    if (!muted(silences, alert)) out.set(r.group_id, [...(out.get(r.group_id) ?? []), alert]);
  }
  return out;
}

/** Writes a flush's outcome: the outbox, what changed members were told, and the groups' timers. */
async function store(
  tx: Tx,
  planned: Planned[],
  outbox: Record<string, unknown>[],
  now: Date,
): Promise<void> {
  const keep = planned.flatMap(({ group, result }) =>
    result.keep.map((k) => ({
      group_id: group.id,
      fp: k.fingerprint,
      instance_id: k.instanceId,
      notified: k.notified,
      recheck: k.recheck,
    })),
  );
  const drop = planned.flatMap(({ group, result, changed }) => {
    const kept = new Set(result.keep.map((k) => k.fingerprint));
    return changed
      .filter((m) => !kept.has(m.alert.fingerprint))
      .map((m) => ({ group_id: group.id, fp: m.alert.fingerprint }));
  });
  const groupUpdates = planned.map(({ group, result }) => ({
    id: group.id,
    last_sent_at: iso(result.group.lastSentAt),
    // Never due again within this pass: a group is looked at once per flush.
    next_check_at: iso(
      result.group.nextCheckAt === undefined ? undefined : Math.max(result.group.nextCheckAt, +now + 1),
    ),
    escalate_at: iso(result.group.escalateAt),
    step: result.group.step,
    seq: seqOf(group, result),
  }));
  if (outbox.length)
    await tx.execute(sql`
      INSERT INTO notify_outbox (rule_id, channel_id, event, title, markdown, payload, idempotency_key, max_attempts)
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(outbox)}::jsonb) AS x(
        rule_id uuid, channel_id uuid, event text, title text, markdown text, payload jsonb, idempotency_key text, max_attempts int)
      ON CONFLICT (idempotency_key) DO NOTHING`);
  if (keep.length) await tx.execute(groupQueries.tell(keep));
  if (drop.length) await tx.execute(groupQueries.drop(drop));
  await tx.execute(groupQueries.schedule(groupUpdates));
  await tx.execute(groupQueries.finish(groupUpdates.map((u) => u.id)));
}

/** Channel id → its template set id; channels deleted since are absent, so nothing is sent to them. */
async function loadChannels(tx: Tx): Promise<Map<string, string | null>> {
  const rows = rowsOf<{ id: string; template_id: string | null }>(
    await tx.execute(sql`SELECT id, template_id FROM notify_channels`),
  );
  return new Map(rows.map((r) => [r.id, r.template_id]));
}

async function loadTemplateSets(tx: Tx): Promise<Map<string, Templates>> {
  const rows = rowsOf<{ id: string; templates: Templates | string; syntax: string }>(
    await tx.execute(sql`SELECT id, templates, syntax FROM notify_templates`),
  );
  return new Map(rows.map((r) => [r.id, readStoredSet(r.templates, r.syntax)]));
}
