import { silentLogger } from '@opsfleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../src/alerts/ingest.ts';
import { openDatabase } from '../src/db/database.ts';
import { Jobs } from '../src/jobs.ts';
import { createServer } from '../src/server.ts';
import { backends } from './backends.ts';

const all = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(all)('background jobs on $name', (backend) => {
  it('runs the housekeeping job: an alert past its endsAt is resolved without anyone asking', async () => {
    const target = await backend.fresh();
    cleanups.push(target.drop);
    const s = await createServer({
      database: await openDatabase({ url: target.url, dataDir: target.dataDir }),
      log: silentLogger(),
      adminPassword: 'admin-password-1',
      housekeepingMs: 1000,
    });
    cleanups.push(() => s.close());
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await s.alerts.ingest(
      parseAlertmanager({
        version: '4',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'ShortLived' },
            annotations: {},
            startsAt,
            endsAt: new Date(Date.now() + 1500).toISOString(),
            generatorURL: '',
            fingerprint: '',
          },
        ],
      }),
      'am',
    );
    let state = '';
    for (let i = 0; i < 40 && state !== 'resolved'; i++) {
      await sleep(250);
      state = (await s.alerts.list({ limit: 1 })).items[0]!.state;
    }
    expect(state).toBe('resolved');
    expect(await s.jobs!.completed('alert-housekeeping')).toBeGreaterThan(0);
  });
});

describe.runIf(all.some((b) => b.name === 'postgres'))('jobs across two replicas', () => {
  it('run a periodic job once per period, not once per replica', async () => {
    const target = await all.find((b) => b.name === 'postgres')!.fresh();
    cleanups.push(target.drop);
    const ran: string[] = [];
    const replicas: Jobs[] = [];
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase({ url: target.url, dataDir: '' });
      const jobs = await Jobs.start(database, silentLogger());
      cleanups.push(() => database.close());
      replicas.push(jobs);
    }
    const started = Date.now();
    for (const jobs of replicas)
      await jobs.every('tick', 1, async (id) => {
        ran.push(id);
      });
    await sleep(4500);
    const periods = Math.ceil((Date.now() - started) / 1000);
    for (const jobs of replicas) await jobs.stop();
    // Each replica offers the job twice a period; the queue keeps one per period, and no job
    // runs on both replicas.
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(ran.length).toBeLessThanOrEqual(periods + 1);
    expect(new Set(ran).size).toBe(ran.length);
  });
});
