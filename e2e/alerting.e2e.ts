import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExporterOnCloudsim, startExporterOnCloudsim } from './exporter-process.ts';
import {
  checkConfig,
  freePort,
  type Peer,
  type Prometheus,
  peerAvailable,
  startAlertmanager,
  startPrometheus,
  startVmalert,
  stopProcess,
  waitFor,
} from './peers.ts';

/**
 * The whole alert pipeline with real peers: the exporter on cloudsim → Prometheus scrapes it →
 * a rule on a unified metric fires → Alertmanager (or vmalert) delivers to the opsfleet server
 * → the alert is firing in the server's API and in its console → cloudsim lowers the value → the
 * alert resolves.
 */

const HAVE_PROMETHEUS = peerAvailable('prometheus', 'prometheus');
const HAVE_ALERTMANAGER = peerAvailable('prometheus-alertmanager', 'prometheus-alertmanager');
const HAVE_VMALERT = peerAvailable('vmalert', 'victoria-metrics');
const HAVE_CHROMIUM = peerAvailable('chromium', 'chromium');
const ROOT = join(import.meta.dirname, '..');
const ADMIN_PASSWORD = 'e2e-admin-password';

/** The console (served by the server) shows the alert as firing: logs in as admin in Chromium and finds its row. */
async function seenFiringInConsole(serverUrl: string, fingerprint: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: '/usr/lib/chromium/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(serverUrl);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    // The console opens on its overview; the alert is on the Alerts page.
    await page.getByTestId('nav-alerts').click();
    await page
      .getByTestId(`alert-row-${fingerprint}`)
      .locator('[data-testid="alert-state"][data-state="firing"]')
      .waitFor({ timeout: 15_000 });
    const shots = join(ROOT, 'test-artifacts/pipeline');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'alertmanager-alert-in-console.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}

const THRESHOLD = 5000;
/** Tencent CLB VIPs of tencent-prod in ap-guangzhou (demo world); one per half, so they stay apart. */
const AM_VIP = '10.1.1.11';
const VM_VIP = '10.1.1.12';
const AM_ALERT = 'ClbActiveConnectionsHigh';
const VM_ALERT = 'ClbActiveConnectionsHighVmalert';

/** The cloudsim series behind `clb_active_connection` for a Tencent CLB (QCE/LB VConnum, no dimensions). */
const connections = (vip: string) => ({
  cloud: 'tencent' as const,
  namespace: 'QCE/LB',
  metric: 'VConnum',
  resourceId: vip,
});

const ruleFile = (group: string, alert: string, vip: string) =>
  [
    'groups:',
    `  - name: ${group}`,
    '    rules:',
    `      - alert: ${alert}`,
    `        expr: clb_active_connection{resource_id="${vip}"} > ${THRESHOLD}`,
    '        for: 0s',
    '        labels: {severity: critical}',
    '        annotations:',
    `          summary: "{{ $labels.resource_id }} has {{ $value }} active connections"`,
    '',
  ].join('\n');

interface AlertSummary {
  fingerprint: string;
  name: string;
  state: string;
  severity: string;
  source: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface AlertDetail {
  alert: AlertSummary;
  instances: { state: string }[];
  history: { event: string; from: string | null; to: string }[];
}

describe.runIf(HAVE_PROMETHEUS && (HAVE_ALERTMANAGER || HAVE_VMALERT))(
  'the alert pipeline with real peers: exporter → Prometheus → Alertmanager / vmalert → server',
  () => {
    let exporter: ExporterOnCloudsim;
    let server: Server | undefined;
    let prom: Prometheus | undefined;
    let alertmanager: Peer | undefined;
    let vmalert: Peer | undefined;
    let serverUrl = '';
    let dir = '';

    /** A `viewer` API key for reading the server's API. */
    let readHeaders: Record<string, string> = {};
    /** An `ingest` API key for Alertmanager and vmalert. */
    let ingestKey = '';

    async function api<T>(path: string): Promise<T> {
      const r = await fetch(`${serverUrl}${path}`, { headers: readHeaders });
      if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    }

    /** waitFor, with what the peers say appended when it times out. */
    async function eventually<T>(
      what: string,
      probe: () => Promise<T | undefined>,
      diagnose: () => Promise<string>,
      timeoutMs = 60_000,
    ): Promise<T> {
      try {
        return await waitFor(what, probe, timeoutMs);
      } catch (err) {
        const detail = await diagnose().catch((e: Error) => `(diagnostics failed: ${e.message})`);
        throw new Error(`${(err as Error).message}\n${detail}`);
      }
    }

    const promState = async () =>
      `prometheus alerts: ${JSON.stringify(await (await fetch(`${prom!.url}/api/v1/alerts`)).json())}\n` +
      `server alerts: ${JSON.stringify(await api('/api/v1/alerts'))}`;

    const firingIn = async (name: string) => {
      const list = await api<{ items: AlertSummary[] }>('/api/v1/alerts?status=firing');
      return list.items.find((a) => a.name === name);
    };

    const resolved = async (fingerprint: string) => {
      const detail = await api<AlertDetail>(`/api/v1/alerts/${fingerprint}`);
      return detail.alert.state === 'resolved' ? detail : undefined;
    };

    /** The exporter serves the series (below the threshold) and Prometheus has stored it. */
    async function seriesStored(vip: string) {
      const rows = await eventually(
        `clb_active_connection{resource_id="${vip}"} in Prometheus`,
        async () => {
          const r = await prom!.query(`clb_active_connection{resource_id="${vip}"}`);
          return r.length ? r : undefined;
        },
        promState,
        90_000,
      );
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.value[1])).toBeLessThan(THRESHOLD);
      expect(rows[0]!.metric).toMatchObject({ cloud_provider: 'tencent', account_id: 'tencent-prod' });
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'e2e-alerting-'));
      exporter = await startExporterOnCloudsim(dir, ['tencent'], '2s');

      // The console must be built before the server starts, which serves it when it exists.
      if (HAVE_CHROMIUM)
        execFileSync(process.execPath, ['scripts/ensure-console.mjs'], {
          cwd: ROOT,
          env: { ...process.env, NODE_ENV: 'production' },
          stdio: 'ignore',
        });
      // The server (PGlite in a temp folder) opens while the exporter starts.
      const database = await openDatabase({ dataDir: join(dir, 'server-data') });
      server = await createServer({ database, log: silentLogger(), adminPassword: ADMIN_PASSWORD });
      const serverPort = await freePort();
      await server.listen(serverPort, '127.0.0.1');
      serverUrl = `http://127.0.0.1:${serverPort}`;
      // Every API route needs a credential: the senders get an `ingest` key (Alertmanager as
      // Basic api_key:<key>, vmalert as a bearer token), the test reads with a `viewer` key.
      ingestKey = (await server.identity.createApiKey('e2e', 'e2e-senders', 'ingest')).key;
      readHeaders = { 'x-api-key': (await server.identity.createApiKey('e2e', 'e2e-reader', 'viewer')).key };

      let amTarget: string[] = [];
      let ruleFiles: string[] = [];
      if (HAVE_ALERTMANAGER) {
        const rules = join(dir, 'prometheus-rules.yml');
        writeFileSync(rules, ruleFile('opsfleet-e2e', AM_ALERT, AM_VIP));
        checkConfig('promtool', ['check', 'rules', rules]);
        const amConfig = join(dir, 'alertmanager.yml');
        writeFileSync(
          amConfig,
          [
            'route: {receiver: opsfleet, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}',
            'receivers:',
            '  - name: opsfleet',
            '    webhook_configs:',
            `      - url: "${serverUrl}/api/v1/webhooks/alertmanager"`,
            '        send_resolved: true',
            `        http_config: {basic_auth: {username: api_key, password: "${ingestKey}"}}`,
            '',
          ].join('\n'),
        );
        checkConfig('amtool', ['check-config', amConfig]);
        alertmanager = await startAlertmanager(amConfig);
        amTarget = [new URL(alertmanager.url).host];
        ruleFiles = [rules];
      }

      await exporter.ready();
      prom = await startPrometheus([exporter.target], { ruleFiles, alertmanagers: amTarget });
    });

    afterAll(async () => {
      await Promise.all([
        vmalert?.stop(),
        stopProcess(prom?.process),
        alertmanager?.stop(),
        exporter?.stop(),
      ]);
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    describe.runIf(HAVE_ALERTMANAGER)(
      'Prometheus rule → Alertmanager 0.25 → POST /api/v1/webhooks/alertmanager',
      () => {
        it('fires through Alertmanager when cloudsim raises the value and resolves when it drops', {
          timeout: 200_000,
        }, async () => {
          await seriesStored(AM_VIP);
          const diagnose = async () =>
            `${await promState()}\nalertmanager output:\n${alertmanager!.output()}`;

          exporter.sim.state.values.set(connections(AM_VIP), 9000);
          const firing = await eventually(
            `${AM_ALERT} firing in the server`,
            () => firingIn(AM_ALERT),
            diagnose,
          );
          expect(firing).toMatchObject({
            state: 'firing',
            source: 'alertmanager',
            severity: 'critical',
            labels: {
              alertname: AM_ALERT,
              resource_id: AM_VIP,
              cloud_provider: 'tencent',
              account_id: 'tencent-prod',
              region: 'ap-guangzhou',
              resource_type: 'clb',
              severity: 'critical',
            },
            annotations: { summary: `${AM_VIP} has 9000 active connections` },
          });
          // The server keeps Alertmanager's fingerprint.
          const inAm = (await (
            await fetch(
              `${alertmanager!.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${AM_ALERT}"`)}`,
            )
          ).json()) as { fingerprint: string }[];
          expect(inAm.map((a) => a.fingerprint)).toEqual([firing.fingerprint]);
          if (HAVE_CHROMIUM) await seenFiringInConsole(serverUrl, firing.fingerprint);

          exporter.sim.state.values.set(connections(AM_VIP), 10);
          const detail = await eventually(
            `${AM_ALERT} resolved in the server`,
            () => resolved(firing.fingerprint),
            diagnose,
          );
          expect(detail.alert.source).toBe('alertmanager');
          expect(detail.instances.map((i) => i.state)).toEqual(['resolved']);
          // History is newest first.
          expect(detail.history.map((h) => [h.event, h.from, h.to]).reverse()).toEqual([
            ['fire', null, 'firing'],
            ['source_resolve', 'firing', 'resolved'],
          ]);
        });
      },
    );

    describe.runIf(HAVE_VMALERT)('vmalert on Prometheus → POST /api/v2/alerts', () => {
      beforeAll(async () => {
        const rules = join(dir, 'vmalert-rules.yml');
        writeFileSync(rules, ruleFile('opsfleet-e2e-vmalert', VM_ALERT, VM_VIP));
        checkConfig('promtool', ['check', 'rules', rules]);
        checkConfig('vmalert', ['-dryRun', `-rule=${rules}`]);
        vmalert = await startVmalert({
          ruleFiles: [rules],
          datasourceUrl: prom!.url,
          notifierUrl: serverUrl,
          extraArgs: [`-notifier.bearerToken=${ingestKey}`],
        });
      });

      it('fires through vmalert when cloudsim raises the value and resolves when it drops', {
        timeout: 200_000,
      }, async () => {
        await seriesStored(VM_VIP);
        const diagnose = async () => {
          const groups = await (await fetch(`${vmalert!.url}/api/v1/alerts`)).json();
          return `${await promState()}\nvmalert alerts: ${JSON.stringify(groups)}\nvmalert output:\n${vmalert!.output()}`;
        };

        exporter.sim.state.values.set(connections(VM_VIP), 9000);
        const firing = await eventually(
          `${VM_ALERT} firing in the server`,
          () => firingIn(VM_ALERT),
          diagnose,
        );
        expect(firing).toMatchObject({
          state: 'firing',
          source: 'vmalert',
          severity: 'critical',
          labels: {
            alertname: VM_ALERT,
            alertgroup: 'opsfleet-e2e-vmalert',
            resource_id: VM_VIP,
            cloud_provider: 'tencent',
            account_id: 'tencent-prod',
            severity: 'critical',
          },
          annotations: { summary: `${VM_VIP} has 9000 active connections` },
        });

        exporter.sim.state.values.set(connections(VM_VIP), 10);
        const detail = await eventually(
          `${VM_ALERT} resolved in the server`,
          () => resolved(firing.fingerprint),
          diagnose,
        );
        expect(detail.alert.source).toBe('vmalert');
        expect(detail.instances.map((i) => i.state)).toEqual(['resolved']);
        expect(detail.history.map((h) => [h.event, h.from, h.to]).reverse()).toEqual([
          ['fire', null, 'firing'],
          ['source_resolve', 'firing', 'resolved'],
        ]);
      });
    });
  },
);
