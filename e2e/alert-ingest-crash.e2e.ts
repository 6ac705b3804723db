import { randomUUID } from 'node:crypto';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../packages/server/test/backends.ts';
import { freePort } from './peers.ts';
import { adminToken, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * A 202 from an ingestion endpoint means the batch is committed: the server process is killed
 * with SIGKILL while several senders post Alertmanager groups and generic alerts, started again
 * on the same database (PostgreSQL) or data folder (PGlite), and every alert whose POST was
 * answered 202 is there with its labels. A POST the kill cut off (no answer, or a reset
 * connection) may or may not have been committed; both are allowed, and re-sending it is
 * harmless, which the test also does.
 */

const SENDERS = 8;
/** Acknowledged alerts before the kill; the senders keep posting until it comes. */
const KILL_AFTER = 300;
/** The alerts acknowledged last before the kill, whose detail (instances, history) is read back. */
const DETAIL_CHECKS = 40;

const storages = await backends();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface SentAlert {
  key: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Post {
  path: string;
  body: unknown;
  alerts: SentAlert[];
  /** `unknown`: no answer, because the kill cut it off. */
  outcome: 'pending' | 'acked' | 'unknown' | 'refused';
  detail?: string;
  /** Whether the kill had been decided when this post ended. */
  endedAfterKill?: boolean;
  answeredAt?: number;
}

interface AlertSummary {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  instanceId: string | null;
}

/** Alertmanager webhook v4 groups and generic alerts (one object or an envelope), in turns. */
function makePost(run: string, sender: number, seq: number): Post {
  const size = 1 + (seq % 5);
  const key = (i: number) => `${sender}-${seq}-${i}`;
  if (seq % 2 === 0) {
    const alerts = Array.from({ length: size }, (_, i) => ({
      key: key(i),
      labels: {
        alertname: 'IngestCrash',
        severity: 'warning',
        crash_run: run,
        key: key(i),
        via: 'alertmanager',
      },
      annotations: { summary: `alert ${key(i)} through Alertmanager` },
    }));
    return {
      path: '/api/v1/webhooks/alertmanager',
      body: {
        version: '4',
        groupKey: `{}:{sender="${sender}",seq="${seq}"}`,
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'opsfleet',
        groupLabels: { alertname: 'IngestCrash' },
        commonLabels: { alertname: 'IngestCrash', crash_run: run },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.invalid:9093',
        alerts: alerts.map((a) => ({
          status: 'firing',
          labels: a.labels,
          annotations: a.annotations,
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus.invalid:9090/graph',
          fingerprint: '',
        })),
      },
      alerts,
      outcome: 'pending',
    };
  }
  const items = Array.from({ length: size }, (_, i) => ({
    name: 'IngestCrashGeneric',
    severity: 'critical',
    labels: { crash_run: run, key: key(i), via: 'generic' },
    summary: `alert ${key(i)} through the generic endpoint`,
  }));
  return {
    path: '/api/v1/webhooks/generic',
    body: items.length === 1 ? items[0] : { alerts: items },
    alerts: items.map((a) => ({
      key: a.labels.key,
      labels: { ...a.labels, alertname: a.name, severity: a.severity },
      annotations: { summary: a.summary },
    })),
    outcome: 'pending',
  };
}

async function send(url: string, apiKey: string, post: Post): Promise<Response> {
  return fetch(`${url}${post.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(post.body),
    // Only a safety net: the kill ends every open request long before this.
    signal: AbortSignal.timeout(60_000),
  });
}

async function getJson<T>(url: string, token: string, path: string): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every alert of the run, by its `key` label, paging with the cursor; a key listed twice is an error. */
async function listRun(url: string, token: string, run: string): Promise<Map<string, AlertSummary>> {
  const found = new Map<string, AlertSummary>();
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ label: `crash_run=${run}`, limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const page = await getJson<{ items: AlertSummary[]; nextCursor: string | null }>(
      url,
      token,
      `/api/v1/alerts?${q}`,
    );
    for (const a of page.items) {
      const key = a.labels.key ?? '';
      if (found.has(key)) throw new Error(`alert ${key} listed twice`);
      found.set(key, a);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

/** The acknowledged alerts that are missing, or present with other labels or without an instance. */
function problemsWith(expected: SentAlert[], found: Map<string, AlertSummary>): string[] {
  const problems: string[] = [];
  for (const a of expected) {
    const got = found.get(a.key);
    if (!got) problems.push(`${a.key}: missing`);
    else if (JSON.stringify(sorted(got.labels)) !== JSON.stringify(sorted(a.labels)))
      problems.push(`${a.key}: labels ${JSON.stringify(got.labels)}, sent ${JSON.stringify(a.labels)}`);
    else if (got.annotations.summary !== a.annotations.summary)
      problems.push(`${a.key}: annotations ${JSON.stringify(got.annotations)}`);
    else if (!got.instanceId) problems.push(`${a.key}: no instance`);
  }
  return problems;
}

const sorted = (o: Record<string, string>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

describe.each(storages.map((s) => [s.name, s] as const))(
  'alert ingestion survives a SIGKILL (%s)',
  (_, storage) => {
    it('keeps every alert answered 202, restarts cleanly and ingests again', async () => {
      const db = await storage.fresh();
      cleanups.push(db.drop);
      const where = { databaseUrl: db.url, dataDir: db.dataDir || undefined };
      const port = await freePort();
      const start = (): ServerProcess => {
        const server = startServerProcess(where, port);
        cleanups.push(server.stop);
        return server;
      };

      let server = start();
      await server.ready();
      await eventually('the first start to create the admin', () => server.output().includes('first start'));
      const url = server.url;
      const token = await adminToken(url);
      const created = await fetch(`${url}/api/v1/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: 'crash-sender', role: 'ingest' }),
      });
      expect(created.status).toBe(201);
      const { key: apiKey } = (await created.json()) as { key: string };

      const run = randomUUID();
      const posts: Post[] = [];
      let killing = false;
      const ackedAlerts = () => posts.reduce((n, p) => n + (p.outcome === 'acked' ? p.alerts.length : 0), 0);
      const sender = async (s: number) => {
        for (let seq = 0; !killing; seq++) {
          const post = makePost(run, s, seq);
          posts.push(post);
          try {
            const res = await send(url, apiKey, post);
            const text = await res.text();
            post.outcome = res.status === 202 ? 'acked' : 'refused';
            post.detail = `HTTP ${res.status} ${text.slice(0, 200)}`;
            post.answeredAt = performance.now();
          } catch (err) {
            post.outcome = 'unknown';
            post.detail = String((err as Error).cause ?? err);
          }
          post.endedAfterKill = killing;
        }
      };
      const sendingFrom = performance.now();
      const senders = Array.from({ length: SENDERS }, (_, s) => sender(s));

      await eventually(
        () => `${KILL_AFTER} alerts acknowledged (${ackedAlerts()} so far)`,
        () => ackedAlerts() >= KILL_AFTER,
        { timeoutMs: 120_000, everyMs: 10 },
      );
      killing = true;
      const sendingMs = Math.round(performance.now() - sendingFrom);
      const inFlightAtKill = posts.filter((p) => p.outcome === 'pending').length;
      await server.kill();
      await Promise.all(senders);

      // Before the kill every post must have been taken; after it, only a cut-off answer is expected.
      expect(posts.filter((p) => p.outcome === 'refused').map((p) => p.detail)).toEqual([]);
      expect(posts.filter((p) => p.outcome === 'unknown' && !p.endedAfterKill).map((p) => p.detail)).toEqual(
        [],
      );
      expect(inFlightAtKill).toBeGreaterThan(0);
      const acked = posts.filter((p) => p.outcome === 'acked');
      const cutOff = posts.filter((p) => p.outcome === 'unknown');
      const ackedList = acked.flatMap((p) => p.alerts);

      const restartedAt = performance.now();
      server = start();
      await server.ready();
      const restartMs = Math.round(performance.now() - restartedAt);
      // Same database, no re-initialisation: the admin from the first start logs in, none is created.
      expect(server.output()).not.toContain('first start');
      expect(server.errors()).toEqual([]);
      const again = await adminToken(url);

      const found = await listRun(url, again, run);
      expect(problemsWith(ackedList, found)).toEqual([]);
      const sentKeys = new Set(posts.flatMap((p) => p.alerts.map((a) => a.key)));
      expect([...found.keys()].filter((k) => !sentKeys.has(k))).toEqual([]);

      // The batches committed last before the kill, read one by one with their history.
      const lastAcked = [...acked]
        .sort((a, b) => (b.answeredAt ?? 0) - (a.answeredAt ?? 0))
        .flatMap((p) => p.alerts)
        .slice(0, DETAIL_CHECKS);
      for (const a of lastAcked) {
        const detail = await getJson<{
          alert: AlertSummary;
          instances: unknown[];
          history: { event: string }[];
        }>(url, again, `/api/v1/alerts/${found.get(a.key)!.fingerprint}`);
        expect(sorted(detail.alert.labels)).toEqual(sorted(a.labels));
        expect(detail.instances.length).toBeGreaterThan(0);
        expect(detail.history.length).toBeGreaterThan(0);
      }

      // A cut-off post may have committed before the kill or not; either is correct, so this is
      // only counted.
      const cutOffAlerts = cutOff.flatMap((p) => p.alerts);
      const cutOffStored = cutOffAlerts.filter((a) => found.has(a.key)).length;

      // What a sender does after a timeout: send the same batch again. Each must be taken now,
      // along with new alerts, and leave one alert per key.
      const fresh = [makePost(run, SENDERS, 0), makePost(run, SENDERS, 1), makePost(run, SENDERS, 4)];
      for (const post of [...cutOff, ...fresh]) {
        const res = await send(url, apiKey, post);
        expect(res.status, `${post.path}: ${await res.text()}`).toBe(202);
      }
      const after = await listRun(url, again, run);
      const everything = posts.concat(fresh).flatMap((p) => p.alerts);
      expect(problemsWith(everything, after)).toEqual([]);
      expect(after.size).toBe(everything.length);

      process.stderr.write(
        `[${storage.name}] SIGKILL with ${inFlightAtKill} post(s) in flight after ${acked.length} posts / ` +
          `${ackedList.length} alerts answered 202 by ${SENDERS} senders in ${sendingMs} ms: all ${ackedList.length} there after the ` +
          `restart (ready in ${restartMs} ms); ${cutOff.length} cut-off post(s) held ${cutOffAlerts.length} ` +
          `alert(s), ${cutOffStored} of them committed anyway\n`,
      );
    }, 300_000);
  },
);
