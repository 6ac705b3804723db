import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExporterOnCloudsim, startExporterOnCloudsim } from './exporter-process.ts';
import {
  freePort,
  type Peer,
  type Prometheus,
  peerAvailable,
  startAlertmanager,
  startPrometheus,
  startVmalert,
  waitFor,
} from './peers.ts';
import { adminToken, type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * Issue 16's proof with the real peers: a rule group made through the API is synced by the
 * ConfigAgent of a real `opsfleet agent` to a Prometheus 2.42 and a vmalert (rule files) and to
 * an Alertmanager 0.25 (its configuration merged with opsfleet's receiver and ingest key); the
 * rule fires on the exporter's metrics from cloudsim; the alert reaches the alert center through
 * Alertmanager and through vmalert, linked to its rule; an edit changes what the peers load, a
 * pin rolls it back, and a rule file broken by hand on the host is put back, with an alert.
 */
const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON of many shapes, read field by field.
type Answer = any;

const peers =
  peerAvailable('prometheus', 'prometheus') &&
  peerAvailable('prometheus-alertmanager', 'prometheus-alertmanager') &&
  peerAvailable('vmalert', 'victoria-metrics') &&
  peerAvailable('promtool', 'prometheus') &&
  peerAvailable('amtool', 'prometheus-alertmanager');

describe.runIf(peers)(
  'config sync to a real Prometheus, vmalert and Alertmanager',
  { timeout: 240_000 },
  () => {
    let dir = '';
    let exporter: ExporterOnCloudsim;
    let am: Peer;
    let prom: Prometheus;
    let vm: Peer;
    let server: ServerProcess;
    let agent: ChildProcess;
    let token = '';
    const ids = { agent: '', datasource: '', group: '', prom: '', vm: '', am: '', rule: '' };
    const paths = { promRules: '', vmRules: '', amConfig: '', amKey: '' };

    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const answer = (await res.json().catch(() => null)) as Answer;
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(answer)}`);
      return answer;
    };

    const promRules = async (): Promise<{ name: string; query: string }[]> => {
      const r = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as Answer;
      return r.data.groups.flatMap((g: Answer) =>
        g.rules.map((x: Answer) => ({ name: x.name, query: x.query })),
      );
    };
    const vmRules = async (): Promise<{ name: string; query: string }[]> => {
      const r = (await (await fetch(`${vm.url}/api/v1/rules`)).json()) as Answer;
      return r.data.groups.flatMap((g: Answer) =>
        g.rules.map((x: Answer) => ({ name: x.name, query: x.query })),
      );
    };
    const target = async (id: string) => api('GET', `/api/v1/sync-targets/${id}`);
    const allInSync = async (version: (t: Answer) => boolean) => {
      for (const id of [ids.prom, ids.vm, ids.am]) {
        const t = await target(id);
        if (!t.inSync || !version(t)) return undefined;
      }
      return true;
    };

    const EXPR = 'max by (cloud_provider) (clb_traffic_rx_bps) >= 0';
    const rule = (expr: string) => ({
      ...(ids.rule ? { id: ids.rule } : {}),
      name: 'CloudLbTraffic',
      expr,
      for: '0s',
      severity: 'warning',
      labels: { team: 'net' },
      annotations: { summary: 'LB traffic seen on {{ $labels.cloud_provider }}' },
      enabled: true,
    });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'e2e-config-sync-'));
      for (const d of ['prom-rules', 'vm-rules', 'am']) mkdirSync(join(dir, d));
      paths.promRules = join(dir, 'prom-rules');
      paths.vmRules = join(dir, 'vm-rules');
      paths.amConfig = join(dir, 'am', 'alertmanager.yml');
      paths.amKey = join(dir, 'am', 'opsfleet.key');

      exporter = await startExporterOnCloudsim(dir, ['aliyun', 'tencent']);

      const port = await freePort();
      server = startServerProcess({ dataDir: join(dir, 'server') }, port, { OUTBOUND_ALLOW: '127.0.0.1/32' });
      await server.ready();
      token = await adminToken(server.url);

      // The operator's Alertmanager before opsfleet: alerts go nowhere.
      const base =
        'route:\n  receiver: none\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: none\n';
      writeFileSync(paths.amConfig, base);
      am = await startAlertmanager(paths.amConfig);
      prom = await startPrometheus([exporter.target], {
        ruleFiles: [`${paths.promRules}/*.yml`],
        alertmanagers: [new URL(am.url).host],
        extraArgs: ['--web.enable-lifecycle'],
      });
      const vmKey = await api('POST', '/api/v1/api-keys', { name: 'vmalert', role: 'ingest' });
      vm = await startVmalert({
        ruleFiles: [`${paths.vmRules}/*.yml`],
        datasourceUrl: prom.url,
        notifierUrl: server.url,
        extraArgs: ['-notifier.basicAuth.username=api_key', `-notifier.basicAuth.password=${vmKey.key}`],
      });

      const agentKey = await api('POST', '/api/v1/api-keys', { name: 'monitoring-host', role: 'agent' });
      const config = join(dir, 'agent.yaml');
      writeFileSync(
        config,
        `agent:
  name: monitoring-host
  dataDir: ${join(dir, 'agent')}
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${server.url}", token: "${agentKey.key}", heartbeat: 1s }
  configSync:
    interval: 1s
    targets:
      - { name: prom, kind: prometheus, rulesDir: "${paths.promRules}", url: "${prom.url}" }
      - { name: vm, kind: vmalert, rulesDir: "${paths.vmRules}", url: "${vm.url}" }
      - { name: am, kind: alertmanager, configFile: "${paths.amConfig}", passwordFile: "${paths.amKey}", url: "${am.url}" }
services: []
`,
      );
      agent = spawn(process.execPath, [CLI, 'agent', 'run', config], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
      ids.agent = await waitFor('the agent registered', async () => {
        const list = (await api('GET', '/api/v1/agents')).items as Answer[];
        return list.find((a) => a.name === 'monitoring-host')?.id;
      });

      ids.datasource = (
        await api('POST', '/api/v1/datasources', { name: 'prom', kind: 'prometheus', url: prom.url })
      ).id;
      const group = await api('POST', '/api/v1/rule-groups', {
        name: 'cloud',
        datasource_id: ids.datasource,
        interval: '1s',
        rules: [rule(EXPR)],
        comment: 'first',
      });
      ids.group = group.id;
      ids.rule = group.rules[0].id;
      const sync = (body: object) => api('POST', '/api/v1/sync-targets', { agent_id: ids.agent, ...body });
      ids.prom = (await sync({ name: 'prom', kind: 'prometheus', datasource_id: ids.datasource })).id;
      ids.vm = (await sync({ name: 'vm', kind: 'vmalert', datasource_id: ids.datasource })).id;
      ids.am = (
        await sync({
          name: 'am',
          kind: 'alertmanager',
          base_config: base,
          webhook_url: `${server.url}/api/v1/webhooks/alertmanager`,
          password_file: paths.amKey,
        })
      ).id;
    }, 200_000);

    afterAll(async () => {
      agent?.kill('SIGTERM');
      await vm?.stop();
      await prom?.stop();
      await am?.stop();
      await server?.stop();
      await exporter?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads the rule group into Prometheus and vmalert and opsfleet’s receiver into Alertmanager', async () => {
      await waitFor(
        'every target in sync at version 1',
        () => allInSync((t) => t.appliedVersion === 1),
        60_000,
      );
      expect((await promRules()).map((r) => r.name)).toEqual(['CloudLbTraffic']);
      expect((await vmRules()).map((r) => r.name)).toEqual(['CloudLbTraffic']);
      expect(readdirSync(paths.promRules)).toEqual([
        expect.stringMatching(/^opsfleet-cloud-[0-9a-f]{6}\.yml$/),
      ]);
      const status = (await (await fetch(`${am.url}/api/v2/status`)).json()) as Answer;
      expect(status.config.original).toContain('name: opsfleet');
      // The ingest key is on the Alertmanager host only, readable by its owner.
      expect(readFileSync(paths.amKey, 'utf8')).toMatch(/\S{20,}/);
      expect((await target(ids.am)).lastError).toBeNull();
      // Each agent report says how the peer itself is: up, and its own last reload worked.
      for (const id of [ids.prom, ids.vm, ids.am])
        expect((await target(id)).peer).toMatchObject({ up: true, reloadSuccessful: true });
    });

    it('brings the alert in through Alertmanager and through vmalert, linked to its rule', async () => {
      const sources = await waitFor(
        'CloudLbTraffic from both senders',
        async () => {
          const list = (await api('GET', '/api/v1/alerts?q=CloudLbTraffic&limit=100')).items as Answer[];
          const seen = new Set(list.map((a) => a.source));
          return seen.has('alertmanager') && seen.has('vmalert') ? list : undefined;
        },
        // The exporter's first collection from cloudsim comes first: up to a minute on a busy machine.
        180_000,
      );
      for (const a of sources) {
        const detail = await api('GET', `/api/v1/alerts/${a.fingerprint}`);
        expect(detail.rule).toMatchObject({ groupId: ids.group, ruleId: ids.rule, name: 'CloudLbTraffic' });
      }
    });

    it('loads an edited rule everywhere, and the earlier one again after a pin', async () => {
      const edited = 'max by (cloud_provider) (clb_traffic_rx_bps) >= -1';
      await api('PUT', `/api/v1/rule-groups/${ids.group}`, {
        name: 'cloud',
        datasource_id: ids.datasource,
        interval: '1s',
        rules: [rule(edited)],
        comment: 'lower threshold',
      });
      await waitFor('version 2 applied', () =>
        allInSync((t) => t.kind === 'alertmanager' || t.appliedVersion === 2),
      );
      await waitFor('Prometheus runs the edited rule', async () =>
        (await promRules())[0]?.query.includes('-1') ? true : undefined,
      );
      await waitFor('vmalert runs the edited rule', async () =>
        (await vmRules())[0]?.query.includes('-1') ? true : undefined,
      );

      // The server pushed the new version: a config.sync command the agent ran.
      const pushed = await waitFor('a config.sync command answered', async () => {
        const list = (await api('GET', `/api/v1/commands?agent=${ids.agent}&kind=config.sync&limit=50`))
          .items as Answer[];
        return list.find((c) => c.state === 'succeeded');
      });
      const ran = await api('GET', `/api/v1/commands/${pushed.id}`);
      expect(ran.result.targets.map((r: Answer) => r.target).sort()).toEqual(['am', 'prom', 'vm']);

      await api('POST', `/api/v1/sync-targets/${ids.prom}/pin`, { version: 1 });
      await waitFor('Prometheus back on version 1', async () => {
        const t = await target(ids.prom);
        return t.appliedVersion === 1 && t.inSync ? true : undefined;
      });
      expect((await promRules())[0]?.query).not.toContain('-1');
      const unpinned = await api('POST', `/api/v1/sync-targets/${ids.prom}/pin`, { version: null });
      expect(unpinned.desiredVersion).toBe(2);
      await waitFor('Prometheus on version 2 again', async () =>
        (await target(ids.prom)).appliedVersion === 2 ? true : undefined,
      );
    });

    it('puts back a rule file broken by hand, and says so with an alert', async () => {
      const [file] = readdirSync(paths.promRules);
      const path = join(paths.promRules, file!);
      const good = readFileSync(path, 'utf8');
      writeFileSync(path, 'groups: [ this is not yaml');
      // Someone reloads the broken file: Prometheus refuses it and keeps running the old rules.
      expect((await fetch(`${prom.url}/-/reload`, { method: 'POST' })).status).toBe(500);
      await waitFor('the file restored', async () =>
        readFileSync(path, 'utf8') === good ? true : undefined,
      );
      const alert = await waitFor('the config sync alert', async () => {
        const list = (await api('GET', '/api/v1/alerts?q=OpsfleetConfigSyncFailed&limit=10'))
          .items as Answer[];
        return list.find((a) => a.labels.target === 'prom');
      });
      expect(alert.labels).toMatchObject({ kind: 'prometheus', agent: 'monitoring-host' });
      const detail = await api('GET', `/api/v1/alerts/${alert.fingerprint}`);
      expect(JSON.stringify(detail)).toContain('changed on disk outside opsfleet');
      // Prometheus loaded the restored file: its last reload worked again.
      await waitFor('Prometheus reloaded the good file', async () => {
        const text = await (await fetch(`${prom.url}/metrics`)).text();
        return /^prometheus_config_last_reload_successful 1$/m.test(text) ? true : undefined;
      });
      await waitFor('the alert resolved once the target is in sync again', async () => {
        const a = await api('GET', `/api/v1/alerts/${alert.fingerprint}`);
        return a.alert.state === 'resolved' ? true : undefined;
      });
    });
  },
);
