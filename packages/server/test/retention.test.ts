import { silentLogger } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';
import { Retention, type RetentionOptions } from '../src/retention/retention.ts';
import { DEFAULT_RETENTION } from '../src/retention/settings.ts';
import { createServer } from '../src/server.ts';
import { type Backend, backends } from './backends.ts';
import { count, daysAgo, seedAlert, seedAudit, seedChannel, seedOutbox } from './seed.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fresh(backend: Backend): Promise<Database> {
  const target = await backend.fresh();
  const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
  cleanups.push(async () => {
    await database.close();
    await target.drop();
  });
  return database;
}

const retention = (database: Database, opts: Partial<RetentionOptions> = {}) =>
  new Retention({ database, log: silentLogger(), pauseMs: 0, ...opts });

/** A command of kind `kind` (unique per test) with `lines` output lines. */
async function seedCommand(
  db: Database['db'],
  kind: string,
  state: string,
  createdAt: Date,
  finishedAt: Date | null,
  lines = 0,
): Promise<void> {
  const [row] = rowsOf<{ id: string }>(
    await db.execute(sql`
      INSERT INTO commands (agent_id, agent_name, kind, state, deadline, created_by, created_at, finished_at)
      VALUES (gen_random_uuid(), 'web-1', ${kind}, ${state}, ${createdAt.toISOString()}::timestamptz + interval '10 minutes',
              'admin', ${createdAt.toISOString()}::timestamptz, ${finishedAt?.toISOString() ?? null}::timestamptz)
      RETURNING id`),
  );
  for (let seq = 1; seq <= lines; seq++)
    await db.execute(sql`
      INSERT INTO command_output (command_id, seq, stage, level, line, at)
      VALUES (${row!.id}::uuid, ${seq}, 'run', 'info', ${`line ${seq}`}, ${createdAt.toISOString()}::timestamptz)`);
}

const tables = async (db: Database['db']) => ({
  alerts: await count(db, 'alerts'),
  alert_instances: await count(db, 'alert_instances'),
  alert_history: await count(db, 'alert_history'),
  notify_inbox: await count(db, 'notify_inbox'),
  notify_members: await count(db, 'notify_members'),
});

// The first test on PGlite starts it (WebAssembly) and migrates: seconds on a busy machine.
describe.each(all)('retention on $name', { timeout: 60_000 }, (backend) => {
  it('deletes closed alerts past RETENTION_ALERTS with everything that refers to them; young closed alerts and open alerts of any age stay', async () => {
    const database = await fresh(backend);
    const { db } = database;
    await seedAlert(db, 'OldClosed', 'closed', daysAgo(100), 3);
    await seedAlert(db, 'YoungClosed', 'closed', daysAgo(10));
    await seedAlert(db, 'OldButFiring', 'firing', daysAgo(200), 2);
    expect(await tables(db)).toEqual({
      alerts: 3,
      alert_instances: 6,
      alert_history: 9 + 3 + 4,
      notify_inbox: 16,
      notify_members: 3,
    });

    const deleted = await retention(database).run();

    expect(deleted).toMatchObject({
      alerts: 1,
      alert_instances: 3,
      alert_history: 9,
      notify_inbox: 9,
      notify_members: 1,
    });
    const left = rowsOf<{ fingerprint: string }>(
      await db.execute(sql`SELECT fingerprint FROM alerts ORDER BY fingerprint`),
    );
    expect(left.map((r) => r.fingerprint)).toEqual(['OldButFiring', 'YoungClosed']);
    expect(await tables(db)).toEqual({
      alerts: 2,
      alert_instances: 3,
      alert_history: 7,
      notify_inbox: 7,
      notify_members: 2,
    });
  });

  it('deletes delivered and discarded notifications past RETENTION_NOTIFY with their attempts; dead letters, pending and young ones stay', async () => {
    const database = await fresh(backend);
    const { db } = database;
    const channel = await seedChannel(db);
    const kept = [
      await seedOutbox(db, channel, 'dead', daysAgo(60), 8),
      await seedOutbox(db, channel, 'pending', daysAgo(40), 2),
      await seedOutbox(db, channel, 'delivered', daysAgo(5), 1),
    ];
    await seedOutbox(db, channel, 'delivered', daysAgo(31), 3);
    await seedOutbox(db, channel, 'discarded', daysAgo(90), 8);

    expect(await retention(database).run()).toMatchObject({ notify_outbox: 2, notify_attempts: 11 });

    const left = rowsOf<{ id: string }>(await db.execute(sql`SELECT id FROM notify_outbox`)).map((r) => r.id);
    expect(left.sort()).toEqual([...kept].sort());
    expect(await count(db, 'notify_attempts')).toBe(11);
  });

  it('deletes audit entries past RETENTION_AUDIT', async () => {
    const database = await fresh(backend);
    const { db } = database;
    await seedAudit(db, { at: daysAgo(400), action: 'user.create' });
    await seedAudit(db, { at: daysAgo(366), action: 'user.update' });
    await seedAudit(db, { at: daysAgo(300), action: 'user.reset' });

    expect(await retention(database).run()).toMatchObject({ audit_log: 2 });

    const left = rowsOf<{ action: string }>(await db.execute(sql`SELECT action FROM audit_log`));
    expect(left.map((r) => r.action)).toEqual(['user.reset']);
  });

  it('deletes commands finished before RETENTION_COMMANDS with their output; open commands of any age and recently finished ones stay', async () => {
    const database = await fresh(backend);
    const { db } = database;
    await seedCommand(db, 'old-success', 'succeeded', daysAgo(41), daysAgo(40), 3);
    await seedCommand(db, 'old-failure', 'failed', daysAgo(32), daysAgo(31), 1);
    await seedCommand(db, 'old-expired', 'expired', daysAgo(51), daysAgo(50));
    await seedCommand(db, 'young', 'succeeded', daysAgo(6), daysAgo(5), 2);
    await seedCommand(db, 'long-running', 'succeeded', daysAgo(60), daysAgo(10), 1);
    await seedCommand(db, 'still-open', 'running', daysAgo(100), null, 2);

    expect(await retention(database).run()).toMatchObject({ commands: 3, command_output: 4 });

    const left = rowsOf<{ kind: string }>(await db.execute(sql`SELECT kind FROM commands ORDER BY kind`));
    expect(left.map((r) => r.kind)).toEqual(['long-running', 'still-open', 'young']);
    expect(await count(db, 'command_output')).toBe(5);
    await seedCommand(db, 'ancient', 'succeeded', daysAgo(3001), daysAgo(3000));
    const keepCommands = { ...DEFAULT_RETENTION, commandsMs: 0 };
    expect(await retention(database, { settings: keepCommands }).run()).not.toHaveProperty('commands');
    expect(await count(db, 'commands')).toBe(4);
  });

  it('keeps everything of a kind whose retention is 0', async () => {
    const database = await fresh(backend);
    const { db } = database;
    await seedAlert(db, 'Ancient', 'closed', daysAgo(3000));
    await seedOutbox(db, await seedChannel(db), 'delivered', daysAgo(3000));
    await seedAudit(db, { at: daysAgo(3000) });

    const keepAll = { alertsMs: 0, notifyMs: 0, auditMs: 0, commandsMs: 0 };
    expect(await retention(database, { settings: keepAll }).run()).toEqual({});
    expect([
      await count(db, 'alerts'),
      await count(db, 'notify_outbox'),
      await count(db, 'audit_log'),
    ]).toEqual([1, 1, 1]);

    // One kind kept forever does not keep the others.
    await retention(database, { settings: { ...DEFAULT_RETENTION, auditMs: 0 } }).run();
    expect([
      await count(db, 'alerts'),
      await count(db, 'notify_outbox'),
      await count(db, 'audit_log'),
    ]).toEqual([0, 0, 1]);
  });

  it('deletes at most a batch of rows per statement, until nothing old is left, and counts them in /metrics', async () => {
    const database = await fresh(backend);
    const { db } = database;
    for (let i = 0; i < 12; i++) await seedAudit(db, { at: daysAgo(400 + i) });
    await seedAudit(db, { at: daysAgo(1) });
    // Each statement's answer, as the pass reads it.
    const statements: number[] = [];
    const execute = db.execute.bind(db);
    const watched = new Proxy(db, {
      get: (target, key) =>
        key === 'execute'
          ? async (query: Parameters<typeof execute>[0]) => {
              const result = await execute(query);
              const audit = rowsOf<{ audit_log?: number }>(result)[0]?.audit_log;
              if (audit !== undefined) statements.push(audit);
              return result;
            }
          : Reflect.get(target, key),
    });
    const registry = new Registry();

    await retention({ ...database, db: watched }, { batchSize: 5, registry }).run();

    expect(statements.slice(-3)).toEqual([5, 5, 2]);
    expect(await count(db, 'audit_log')).toBe(1);
    expect(await registry.metrics()).toContain('opsfleet_retention_deleted_total{table="audit_log"} 12');
  });
});

describe('retention in the server', () => {
  it('runs as a background job without anyone asking', async () => {
    const backend = all[0]!;
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
    await seedAudit(database.db, { at: daysAgo(40), action: 'user.create' });
    const s = await createServer({
      database,
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 1000,
      retention: { ...DEFAULT_RETENTION, auditMs: 30 * 86_400_000 },
    });
    cleanups.push(() => s.close());
    await eventually(
      'the old audit entry deleted',
      async () => count(database.db, 'audit_log', sql`at < now() - interval '1 day'`),
      { ok: (n) => n === 0, timeoutMs: 15_000 },
    );
    const metrics = await s.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('opsfleet_retention_deleted_total{table="audit_log"} 1');
  });
});

describe.runIf(all.some((b) => b.name === 'postgres'))('retention across replicas', () => {
  it('runs one pass at a time: a replica finding another pass under way leaves the work to it', async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    cleanups.push(target.drop);
    const replicas: Database[] = [];
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase({ url: target.url, dataDir: '' });
      cleanups.push(() => database.close());
      replicas.push(database);
    }
    for (let i = 0; i < 6; i++) await seedAudit(replicas[0]!.db, { at: daysAgo(400 + i) });
    const slow = retention(replicas[0]!, { batchSize: 1, pauseMs: 150 }).run();
    await eventually('the first pass under way', () => count(replicas[1]!.db, 'audit_log'), {
      ok: (n) => n < 6,
      timeoutMs: 5000,
    });
    expect(await retention(replicas[1]!).run()).toBeUndefined();
    expect(await slow).toMatchObject({ audit_log: 6 });
    expect(await retention(replicas[1]!).run()).toMatchObject({ audit_log: 0 });
  });
});
