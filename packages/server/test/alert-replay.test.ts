import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededShuffle } from '@opsfleet/core/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/alerts/fingerprint.ts';
import { type InboundAlert, parseAlertmanager, parseVmalert } from '../src/alerts/ingest.ts';
import { AlertService } from '../src/alerts/service.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { rowsOf } from '../src/db/rows.ts';
import { backends } from './backends.ts';

/**
 * Traffic captured from the real Alertmanager 0.25 (two webhook receivers for one server, a
 * 3 s repeat interval) and vmalert (a re-send every evaluation) while a Prometheus series
 * flapped (`e2e/alert-replay.e2e.ts` with OPSFLEET_CAPTURE_TO). Each webhook is heard at the
 * time it was captured, as vmalert's reports carry no status of their own.
 */
const all = await backends();
const captured = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/captured-alert-traffic.json'), 'utf8'),
) as { path: string; receivedAt: string; body: unknown }[];

const webhooks = captured.map((c) =>
  c.path.includes('alertmanager') ? parseAlertmanager(c.body) : parseVmalert(c.body, new Date(c.receivedAt)),
);

/** The same webhooks for alerts of their own (a label per replay), so replays share a database. */
const relabelled = (run: string) =>
  webhooks.map((batch) =>
    batch.map((a): InboundAlert => {
      const labels = { ...a.labels, replay: run };
      return { ...a, labels, fingerprint: fingerprintOf(labels) };
    }),
  );

async function snapshot(db: Database, run: string) {
  const rows = rowsOf<Record<string, string | Date | null | number>>(
    await db.db.execute(sql`
      SELECT a.labels->>'alertgroup' AS via, a.labels->>'target' AS target, a.state,
             i.starts_at, i.state AS instance_state, i.ended_by, i.ends_at, i.resolved_at, i.generator_url,
             (SELECT count(*)::int FROM alert_history h WHERE h.fingerprint = a.fingerprint) AS history
      FROM alerts a JOIN alert_instances i ON i.fingerprint = a.fingerprint
      WHERE a.labels->>'replay' = ${run}
      ORDER BY via NULLS FIRST, target, i.starts_at`),
  );
  const t = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());
  return rows.map((r) => ({
    alert: `${r.via ?? 'alertmanager'} ${r.target} ${r.state}`,
    instance: `${t(r.starts_at)} ${r.instance_state}/${r.ended_by} ends ${t(r.ends_at)} resolved ${t(r.resolved_at)}`,
    link: r.generator_url as string | null,
    history: r.history,
  }));
}

describe.each(all)('captured traffic replayed on $name', (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  let svc: AlertService;
  beforeAll(async () => {
    const target = await backend.fresh();
    drop = target.drop;
    database = await openDatabase({ url: target.url, dataDir: target.dataDir });
    // Heard at the first capture's time: no endsAt passes while the replays run.
    const first = new Date(captured[0]!.receivedAt);
    svc = new AlertService(database.db, { now: () => first });
  }, 60_000);
  afterAll(async () => {
    await database.close();
    await drop();
  });

  const deliver = async (batches: InboundAlert[][]) => {
    for (const batch of batches) await svc.ingest(batch, 'replay');
  };

  it('ends in the same state in any order, and a second delivery changes nothing', async () => {
    await deliver(relabelled('in-order'));
    const expected = await snapshot(database, 'in-order');
    // Two senders × (a: fired, cleared, fired again; b: fired once), every episode resolved by its source.
    expect(expected.map((r) => r.alert)).toEqual([
      'alertmanager a resolved',
      'alertmanager a resolved',
      'alertmanager b resolved',
      'replay a resolved',
      'replay a resolved',
      'replay b resolved',
    ]);
    expect(expected.every((r) => r.instance.includes(' resolved/source '))).toBe(true);
    expect(expected.every((r) => r.link?.startsWith('http'))).toBe(true);

    await deliver(relabelled('in-order'));
    expect(await snapshot(database, 'in-order')).toEqual(expected);

    const disorder = seededShuffle([...relabelled('shuffled'), ...relabelled('shuffled')], 7);
    await deliver(disorder);
    const got = await snapshot(database, 'shuffled');
    const withoutHistory = (rows: typeof expected) => rows.map(({ history: _, ...r }) => r);
    expect(withoutHistory(got)).toEqual(withoutHistory(expected));
  }, 120_000);
});
