import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { AlertOverview, overviewQueries } from '../src/alerts/overview.ts';
import { AlertService } from '../src/alerts/service.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { backends } from './backends.ts';
import { unindexedScans, wholeIndexScans } from './query-plan.ts';
import { daysAgo, seedChannel, seedOutbox } from './seed.ts';
import { type TestServer, testServer } from './test-server.ts';

/**
 * The console's landing page asks one endpoint for its charts: alerts started per bucket by
 * severity, MTTA/MTTR per bucket, the noisiest alerts, agents online and deliveries failing.
 */

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T = Date.parse('2026-11-25T10:00:00Z');
const at = (minutes: number) => new Date(T + minutes * 60_000);
let clock: Date;
beforeEach(() => {
  clock = at(0);
});

function am(name: string, severity: string, status: 'firing' | 'resolved', starts: number, ends?: number) {
  return parseAlertmanager({
    version: '4',
    status,
    alerts: [
      {
        status,
        labels: { alertname: name, severity, instance: 'db-1' },
        annotations: {},
        startsAt: at(starts).toISOString(),
        endsAt: ends === undefined ? '0001-01-01T00:00:00Z' : at(ends).toISOString(),
        generatorURL: '',
        fingerprint: '',
      },
    ],
  });
}

// A fresh PGlite and a dozen ingested batches take seconds on a busy machine.
const SLOW = 60_000;

describe.each(all)('alert overview on $name', (backend) => {
  async function setup() {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
    cleanups.push(() => database.close());
    const alerts = new AlertService(database.db, { now: () => clock });
    const overview = new AlertOverview(
      database.db,
      async () => ({ online: 2, offline: 1 }),
      () => clock,
    );
    return { db: database.db, alerts, overview };
  }

  it(
    'draws the last day: started by severity, MTTA and MTTR per hour, noisiest first',
    async () => {
      const { alerts, overview } = await setup();
      // DiskFull fires at 07:00, is acknowledged at 07:20 and resolved by its source at 07:40,
      // then fires again at 08:30: two episodes. HighLoad fires once at 08:10 and stays.
      // Two days ago: outside the day, inside the week.
      clock = at(-2 * 24 * 60);
      await alerts.ingest(am('OldNews', 'info', 'firing', -2 * 24 * 60), 'am');
      clock = at(-180);
      await alerts.ingest(am('DiskFull', 'critical', 'firing', -180), 'am');
      clock = at(-160);
      const disk = (await alerts.list({ limit: 10, text: 'DiskFull' })).items[0]!.fingerprint;
      await alerts.act(disk, 'acknowledge', 'alice');
      clock = at(-140);
      await alerts.ingest(am('DiskFull', 'critical', 'resolved', -180, -140), 'am');
      clock = at(-110);
      await alerts.ingest(am('HighLoad', 'warning', 'firing', -110), 'am');
      clock = at(-90);
      await alerts.ingest(am('DiskFull', 'critical', 'firing', -90), 'am');
      clock = at(0);

      const day = await overview.compute('24h', clock);
      expect(day).toMatchObject({
        range: '24h',
        from: '2026-11-24T10:00:00.000Z',
        to: '2026-11-25T10:00:00.000Z',
        bucketSeconds: 3600,
      });
      expect(day.started).toEqual(
        [
          { at: '2026-11-25T07:00:00.000Z', severity: 'critical', count: 1 },
          { at: '2026-11-25T08:00:00.000Z', severity: 'warning', count: 1 },
          { at: '2026-11-25T08:00:00.000Z', severity: 'critical', count: 1 },
        ].sort((a, b) => a.at.localeCompare(b.at) || a.severity.localeCompare(b.severity)),
      );
      expect(day.responseTimes).toEqual([
        {
          at: '2026-11-25T07:00:00.000Z',
          mttaSeconds: 1200,
          acknowledged: 1,
          mttrSeconds: 2400,
          resolved: 1,
        },
      ]);
      expect(day.noisiest.map((a) => [a.name, a.episodes, a.state])).toEqual([
        ['DiskFull', 2, 'firing'],
        ['HighLoad', 1, 'firing'],
      ]);
      expect(day.agents).toEqual({ online: 2, offline: 1 });

      const week = await overview.compute('7d', clock);
      expect(week.bucketSeconds).toBe(6 * 3600);
      expect(week.noisiest.map((a) => a.name)).toEqual(['DiskFull', 'HighLoad', 'OldNews']);
      expect(week.started.reduce((n, b) => n + b.count, 0)).toBe(4);
    },
    SLOW,
  );

  it(
    'counts failed delivery attempts per bucket in the range and dead letters now',
    async () => {
      const { db, overview } = await setup();
      const channel = await seedChannel(db);
      const now = new Date(T);
      await seedOutbox(db, channel, 'dead', new Date(T - 2 * 3_600_000), 3);
      await seedOutbox(db, channel, 'delivered', new Date(T - 30 * 60_000), 2);
      await seedOutbox(db, channel, 'pending', daysAgo(3, T), 1);
      const day = await overview.compute('24h', now);
      expect(day.deliveries).toEqual({
        failed: [
          { at: '2026-11-25T08:00:00.000Z', count: 3 },
          { at: '2026-11-25T09:00:00.000Z', count: 1 },
        ],
        failedTotal: 4,
        deadLetters: 1,
      });
      const week = await overview.compute('7d', now);
      expect(week.deliveries.failedTotal).toBe(5);
    },
    SLOW,
  );

  describe('over HTTP', () => {
    let t: TestServer;
    beforeEach(async () => {
      t = await testServer(backend);
      cleanups.push(() => t.close());
    });

    it('answers the last day by default, a week on request, for every role that reads alerts', async () => {
      const starts = new Date(Date.now() - 30 * 60_000).toISOString();
      const { key } = await t.s.identity.createApiKey('am', 'am', 'ingest');
      const sent = await t.s.app.inject({
        method: 'POST',
        url: '/api/v2/alerts',
        headers: { 'x-api-key': key },
        payload: [{ labels: { alertname: 'Fresh', severity: 'high' }, startsAt: starts }],
      });
      expect(sent.statusCode).toBe(202);

      const day = await t.api('GET', '/api/v1/alerts/overview');
      expect(day.status).toBe(200);
      expect(day.body.range).toBe('24h');
      expect(day.body.started).toEqual([expect.objectContaining({ severity: 'high', count: 1 })]);
      expect(day.body.noisiest).toEqual([
        expect.objectContaining({ name: 'Fresh', episodes: 1, state: 'firing' }),
      ]);
      expect(day.body.agents).toEqual({ online: 0, offline: 0 });
      expect(day.body.deliveries).toEqual({ failed: [], failedTotal: 0, deadLetters: 0 });

      const week = await t.api('GET', '/api/v1/alerts/overview?range=7d');
      expect(week.body).toMatchObject({ range: '7d', bucketSeconds: 21_600 });

      await t.api('POST', '/api/v1/users', {
        username: 'vera',
        password: 'viewer-password-1',
        role: 'viewer',
      });
      const { accessToken } = await t.s.identity.login('vera', 'viewer-password-1');
      const asViewer = await t.s.app.inject({
        method: 'GET',
        url: '/api/v1/alerts/overview',
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(asViewer.statusCode).toBe(200);
      const anonymous = await t.s.app.inject({ method: 'GET', url: '/api/v1/alerts/overview' });
      expect(anonymous.statusCode).toBe(401);
    });

    it('refuses a range it does not draw, naming the field', async () => {
      const res = await t.api('GET', '/api/v1/alerts/overview?range=30d');
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('range');
    });
  });
});

const WEEK_AGO = new Date(T - 7 * 86_400_000);
const PLANS = [
  ['started', overviewQueries.started(WEEK_AGO, at(0), 21_600)],
  ['MTTA per bucket', overviewQueries.meanPerBucket('acknowledged_at', WEEK_AGO, at(0), 21_600)],
  ['MTTR per bucket', overviewQueries.meanPerBucket('resolved_at', WEEK_AGO, at(0), 21_600)],
  ['noisiest', overviewQueries.noisiest(WEEK_AGO, at(0), 10)],
  ['failed deliveries', overviewQueries.failedDeliveries(WEEK_AGO, at(0), 21_600)],
  ['dead letters', overviewQueries.deadLetters()],
] as const;

// At a million alerts a week a sequential scan is seconds per console visit. PostgreSQL only.
describe.each(all.filter((b) => b.name === 'postgres'))('alert overview query plans on $name', (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const target = await backend.fresh();
    drop = target.drop;
    database = await openDatabase({ url: target.url, dataDir: target.dataDir });
  });
  afterAll(async () => {
    await database.close();
    await drop();
  });

  it.each(PLANS)('%s reads no large table whole', async (_, query) => {
    expect(await unindexedScans(database.db, query)).toEqual([]);
    expect(await wholeIndexScans(database.db, query)).toEqual([]);
  });
});
