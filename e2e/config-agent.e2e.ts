import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyVersion,
  type Desired,
  repairDrift,
  type TargetState,
} from '../packages/agent/src/config-sync/apply.ts';
import { ConfigSync } from '../packages/agent/src/config-sync/index.ts';
import { ConfigSyncSpec, type ConfigTarget } from '../packages/agent/src/spec.ts';
import {
  type Peer,
  type Prometheus,
  peerAvailable,
  startPrometheus,
  startVmalert,
  waitFor,
} from './peers.ts';

/**
 * The ConfigAgent's failure handling on real peers, one version at a time: a version the
 * checker refuses never reaches the peer's files; a version the peer itself refuses (a checker
 * that passes what the peer does not, as with a promtool older than its Prometheus) is replaced
 * by the last good files and reloaded again, for Prometheus (SIGHUP, its verdict in
 * `prometheus_config_last_reload_successful`) and vmalert (whose reload endpoint says 200 either
 * way); files broken by hand are put back.
 */
const GOOD = (expr: string) =>
  `groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: ${expr}\n        labels: {opsfleet_rule: r1}\n`;
// promtool and vmalert both refuse this expression; so do Prometheus and vmalert on reload.
const BROKEN = 'groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: sum(up\n';

describe.runIf(peerAvailable('prometheus', 'prometheus') && peerAvailable('vmalert', 'victoria-metrics'))(
  'the ConfigAgent on a real Prometheus and vmalert',
  { timeout: 120_000 },
  () => {
    let dir = '';
    let prom: Prometheus;
    let vm: Peer;
    const stop = new AbortController();

    const rulesOf = async (url: string): Promise<string[]> => {
      const r = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { query: string }[] }[] };
      };
      return r.data.groups.flatMap((g) => g.rules.map((x) => x.query));
    };
    const desired = (version: number, content: string): Desired => ({
      id: 't1',
      name: 't',
      kind: 'prometheus',
      version,
      hash: `h${version}`,
      files: { 'opsfleet-g-abc123.yml': content },
      passwordFile: null,
      ingestKey: null,
    });
    const settings = (tools: object = {}) =>
      ConfigSyncSpec.parse({
        timeout: '10s',
        tools,
        targets: [{ name: 'x', kind: 'prometheus', rulesDir: '/x', url: 'http://x' }],
      });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'e2e-config-agent-'));
      for (const d of ['prom', 'vm']) mkdirSync(join(dir, d));
      prom = await startPrometheus([], { ruleFiles: [`${join(dir, 'prom')}/*.yml`] });
      vm = await startVmalert({
        ruleFiles: [`${join(dir, 'vm')}/*.yml`],
        datasourceUrl: prom.url,
        notifierUrl: 'http://127.0.0.1:9',
      });
      writeFileSync(join(dir, 'prom.pid'), String(prom.process.pid));
    });
    afterAll(async () => {
      stop.abort();
      await vm?.stop();
      await prom?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const promTarget = (): ConfigTarget => ({
      name: 't',
      kind: 'prometheus',
      rulesDir: join(dir, 'prom'),
      url: prom.url,
      reload: 'sighup',
      pidFile: join(dir, 'prom.pid'),
    });

    let state: TargetState = { targetId: 't1', version: null, hash: null, good: {} };

    it('applies a version: written, reloaded by SIGHUP and verified', async () => {
      const ctx = {
        target: promTarget(),
        settings: settings(),
        stageDir: join(dir, 'stage'),
        stop: stop.signal,
      };
      const out = await applyVersion(ctx, state, desired(1, GOOD('vector(1)')));
      expect(out.report).toEqual({ appliedVersion: 1, attemptedVersion: 1, ok: true });
      expect(await rulesOf(prom.url)).toEqual(['vector(1)']);
      state = out.state;
    });

    it('never writes a version the checker refuses', async () => {
      const ctx = {
        target: promTarget(),
        settings: settings(),
        stageDir: join(dir, 'stage'),
        stop: stop.signal,
      };
      const out = await applyVersion(ctx, state, desired(2, BROKEN));
      expect(out.report.ok).toBe(false);
      expect(out.report.appliedVersion).toBe(1);
      expect(out.report.error).toMatch(
        /version 2 did not pass the check: promtool check: .*unclosed left parenthesis/s,
      );
      expect(readdirSync(join(dir, 'prom'))).toEqual(['opsfleet-g-abc123.yml']);
      expect(readFileSync(join(dir, 'prom', 'opsfleet-g-abc123.yml'), 'utf8')).toBe(GOOD('vector(1)'));
      expect(out.state.failedHash).toBe('h2');
    });

    it('says a missing checker is missing, and passes nothing unchecked', async () => {
      const ctx = {
        target: promTarget(),
        settings: settings({ promtool: '/nonexistent/promtool' }),
        stageDir: join(dir, 'stage'),
        stop: stop.signal,
      };
      const out = await applyVersion(ctx, state, desired(3, GOOD('vector(3)')));
      expect(out.report.error).toContain(
        '/nonexistent/promtool is not installed (configSync.tools.promtool)',
      );
      expect(await rulesOf(prom.url)).toEqual(['vector(1)']);
    });

    it('puts the last good files back when Prometheus refuses the reload', async () => {
      // /bin/true passes anything: Prometheus itself is the one to refuse it.
      const ctx = {
        target: promTarget(),
        settings: settings({ promtool: '/bin/true' }),
        stageDir: join(dir, 'stage'),
        stop: stop.signal,
      };
      const out = await applyVersion(ctx, state, desired(4, BROKEN));
      expect(out.report.ok).toBe(false);
      expect(out.report.error).toMatch(
        /version 4 failed to load: the peer rejected the reload \(prometheus_config_last_reload_successful 0\); reverted to version 1, which reloaded/,
      );
      expect(readFileSync(join(dir, 'prom', 'opsfleet-g-abc123.yml'), 'utf8')).toBe(GOOD('vector(1)'));
      const metrics = await (await fetch(`${prom.url}/metrics`)).text();
      expect(metrics).toMatch(/^prometheus_config_last_reload_successful 1$/m);
      expect(await rulesOf(prom.url)).toEqual(['vector(1)']);
    });

    it('puts back a rule file changed by hand', async () => {
      const ctx = {
        target: promTarget(),
        settings: settings(),
        stageDir: join(dir, 'stage'),
        stop: stop.signal,
      };
      writeFileSync(join(dir, 'prom', 'opsfleet-g-abc123.yml'), GOOD('vector(99)'));
      writeFileSync(join(dir, 'prom', 'opsfleet-extra.yml'), GOOD('vector(98)'));
      writeFileSync(join(dir, 'prom', 'operator-own.yml'), GOOD('vector(2)'));
      const report = await repairDrift(ctx, state);
      expect(report?.ok).toBe(false);
      expect(report?.error).toMatch(
        /opsfleet-extra\.yml, .*opsfleet-g-abc123\.yml changed on disk outside opsfleet; restored version 1, which reloaded/,
      );
      expect(readdirSync(join(dir, 'prom')).sort()).toEqual(['operator-own.yml', 'opsfleet-g-abc123.yml']);
      expect((await rulesOf(prom.url)).sort()).toEqual(['vector(1)', 'vector(2)']);
      expect(await repairDrift(ctx, state)).toBeUndefined();
    });

    it('keeps repairing the last good files while the server cannot be reached', async () => {
      const agentDir = join(dir, 'agent');
      mkdirSync(join(agentDir, 'config-sync'), { recursive: true });
      writeFileSync(join(agentDir, 'config-sync', 'state.json'), JSON.stringify({ targets: { t: state } }));
      const warnings: string[] = [];
      const sync = new ConfigSync({
        settings: ConfigSyncSpec.parse({ timeout: '10s', targets: [promTarget()] }),
        server: { url: 'http://127.0.0.1:9', token: 'k' },
        dataDir: agentDir,
        host: 'h',
        log: { info: () => {}, warn: (_o, msg) => warnings.push(msg) },
      });
      const file = join(dir, 'prom', 'opsfleet-g-abc123.yml');
      for (const pass of [1, 2]) {
        writeFileSync(file, BROKEN);
        expect(await sync.syncNow()).toEqual([]);
        expect(readFileSync(file, 'utf8'), `pass ${pass}`).toBe(GOOD('vector(1)'));
      }
      expect(await rulesOf(prom.url)).toContain('vector(1)');
      // The server being down is said once, however many passes find it so.
      expect(warnings.filter((w) => w.includes('the server did not answer'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('a report did not reach the server'))).toHaveLength(1);
      await sync.close();
    });

    it('waits for vmalert’s own verdict: its reload endpoint says 200 even when it refuses', async () => {
      const target: ConfigTarget = {
        name: 'v',
        kind: 'vmalert',
        rulesDir: join(dir, 'vm'),
        url: vm.url,
        reload: 'http',
      };
      const ctx = {
        target,
        settings: settings({ vmalert: '/bin/true' }),
        stageDir: join(dir, 'stage-vm'),
        stop: stop.signal,
      };
      let vmState: TargetState = { targetId: 'v1', version: null, hash: null, good: {} };
      const first = await applyVersion(ctx, vmState, { ...desired(1, GOOD('vector(1)')), kind: 'vmalert' });
      expect(first.report.ok).toBe(true);
      vmState = first.state;
      await waitFor('vmalert runs version 1', async () =>
        (await rulesOf(vm.url)).length === 1 ? true : undefined,
      );
      const bad = await applyVersion(ctx, vmState, { ...desired(2, BROKEN), kind: 'vmalert' });
      expect(bad.report.error).toMatch(
        /the peer rejected the reload \(vmalert_config_last_reload_successful 0\); reverted to version 1, which reloaded/,
      );
      expect(await rulesOf(vm.url)).toEqual(['vector(1)']);
    });
  },
);
