import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@opsfleet/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HealthMonitor,
  type RecoveryEvent,
  type ServiceRuntime,
  type TransitionEvent,
} from '../../src/health/monitor.ts';
import { type Service, ServiceSpec } from '../../src/spec.ts';
import { close, listen } from './helpers.ts';

/** A local service stand-in: answers 200 while healthy, 503 otherwise, after `delayMs`. */
class Backend {
  healthy = true;
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  readonly server: Server = createServer((_req, res) => {
    this.requests += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    setTimeout(() => {
      this.inFlight -= 1;
      if (this.healthy) res.writeHead(200).end('ok');
      else res.writeHead(503).end('backend broken');
    }, this.delayMs);
  });
  url = '';
  async start() {
    this.url = `http://127.0.0.1:${await listen(this.server)}/health`;
  }
}

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function service(backend: Backend, check: Record<string, unknown> = {}, name = 'web'): Service {
  return ServiceSpec.parse({
    name,
    command: 'unused',
    health: [
      {
        name: 'http',
        type: 'http',
        interval: '50ms',
        timeout: '500ms',
        failuresBeforeCritical: 3,
        http: { url: backend.url },
        ...check,
      },
    ],
  });
}

let backend: Backend;
let monitor: HealthMonitor | undefined;
beforeEach(async () => {
  backend = new Backend();
  await backend.start();
});
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
  await close(backend.server);
});

describe('HealthMonitor', () => {
  it('failing → critical after N failures → restart once → passing again; history holds it all', async () => {
    const transitions: TransitionEvent[] = [];
    const recoveries: RecoveryEvent[] = [];
    const restarts: string[] = [];
    // The supervisor's part, for real: a restart makes the backend healthy again.
    const restart = async (name: string) => {
      restarts.push(name);
      backend.healthy = true;
    };
    monitor = new HealthMonitor({
      restart,
      runtime: () => ({ state: 'running', pid: process.pid }),
      onTransition: (e) => transitions.push(e),
      onRecovery: (e) => recoveries.push(e),
      firstRunSpreadMs: 0,
    });
    monitor.setServices([service(backend)]);
    await eventually('passing', () => monitor!.status('web')[0]?.state === 'passing', { timeoutMs: 3000 });

    backend.healthy = false;
    await eventually('critical', () => transitions.some((t) => t.to === 'critical'), { timeoutMs: 3000 });
    await eventually('passing again', () => transitions.filter((t) => t.to === 'passing').length === 2, {
      timeoutMs: 3000,
    });
    await new Promise((r) => setTimeout(r, 300)); // a few more healthy runs: no further restart

    expect(restarts).toEqual(['web']);
    expect(transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'unknown→passing',
      'passing→critical',
      'critical→passing',
    ]);
    const critical = transitions[1]!;
    expect(critical).toMatchObject({ service: 'web', check: 'http' });
    expect(critical.output).toBe(`HTTP GET ${backend.url}: 503 Service Unavailable\nbackend broken`);
    expect(recoveries).toMatchObject([
      { service: 'web', check: 'http', action: 'restart', attempt: 1, ok: true },
    ]);

    const history = monitor.history('web', 'http')!;
    const statuses = history.results.map((r) => r.status);
    const firstFailure = statuses.indexOf('critical');
    expect(statuses.slice(firstFailure, firstFailure + 3)).toEqual(['critical', 'critical', 'critical']);
    expect(statuses.at(-1)).toBe('passing');
    expect(history.transitions.map((t) => t.to)).toEqual(['passing', 'critical', 'passing']);
    for (const r of history.results) expect(Date.parse(r.at)).not.toBeNaN();

    const [view] = monitor.status();
    expect(view).toMatchObject({
      service: 'web',
      check: 'http',
      type: 'http',
      state: 'passing',
      lastStatus: 'passing',
      lastOutput: `HTTP GET ${backend.url}: 200 OK\nok`,
      consecutiveFailures: 0,
      recovery: { action: 'restart', attempts: 0, running: false, lastOk: true },
    });
    expect(view!.consecutivePasses).toBeGreaterThan(0);
    expect(monitor.history('web', 'nope')).toBeUndefined();
  });

  it('a restart that does not help: never two at once, then again only after N more failures and N × interval', async () => {
    const calls: { start: number; end: number }[] = [];
    let startedAt = Date.now();
    monitor = new HealthMonitor({
      // A slow restart that does not fix anything; the service comes back with a new start time.
      restart: async () => {
        const call = { start: Date.now(), end: 0 };
        calls.push(call);
        await new Promise((r) => setTimeout(r, 250));
        startedAt = Date.now();
        call.end = Date.now();
      },
      runtime: (): ServiceRuntime => ({ state: 'running', pid: process.pid, startedAt }),
      firstRunSpreadMs: 0,
    });
    backend.healthy = false;
    // interval 50 ms, 2 failures: at most one attempt per 100 ms; grace 100 ms after each start.
    monitor.setServices([service(backend, { failuresBeforeCritical: 2, grace: '100ms' })]);
    await new Promise((r) => setTimeout(r, 300)); // the first start's grace ends, then failures count
    await eventually('three finished restarts', () => calls.length >= 3 && calls.every((c) => c.end), {
      timeoutMs: 5000,
    });

    for (let i = 1; i < calls.length; i++) {
      const prev = calls[i - 1]!;
      const next = calls[i]!;
      expect(next.start).toBeGreaterThanOrEqual(prev.end); // never overlapping
      expect(next.start - prev.start).toBeGreaterThanOrEqual(100); // failuresBeforeCritical × interval
    }
    const results = monitor.history('web', 'http')!.results;
    expect(results.some((r) => !r.counted && r.status === 'critical')).toBe(true); // grace after restarts
    expect(monitor.status('web')[0]!.recovery.attempts).toBeGreaterThanOrEqual(3);
  });

  it('a restart is not asked of a service the supervisor does not have running', async () => {
    const restarts: string[] = [];
    monitor = new HealthMonitor({
      restart: async (s) => void restarts.push(s),
      runtime: () => ({ state: 'backoff' }),
      firstRunSpreadMs: 0,
    });
    backend.healthy = false;
    monitor.setServices([service(backend, { failuresBeforeCritical: 1 })]);
    await eventually('critical', () => monitor!.status()[0]?.state === 'critical', { timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(restarts).toEqual([]);
  });

  it('a restart that fails is reported and tried again later', async () => {
    const recoveries: RecoveryEvent[] = [];
    monitor = new HealthMonitor({
      restart: () => {
        throw new Error('web is FATAL');
      },
      onRecovery: (e) => recoveries.push(e),
      firstRunSpreadMs: 0,
    });
    backend.healthy = false;
    monitor.setServices([service(backend, { failuresBeforeCritical: 1 })]);
    await eventually('two attempts', () => recoveries.length >= 2, { timeoutMs: 3000 });
    expect(recoveries.slice(0, 2)).toMatchObject([
      { action: 'restart', attempt: 1, ok: false, output: 'web is FATAL' },
      { action: 'restart', attempt: 2, ok: false, output: 'web is FATAL' },
    ]);
  });

  it('action script: runs with the service, check and output in its environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-health-'));
    const out = join(dir, 'recovered');
    const recoveries: RecoveryEvent[] = [];
    try {
      monitor = new HealthMonitor({ firstRunSpreadMs: 0, onRecovery: (e) => recoveries.push(e) });
      backend.healthy = false;
      monitor.setServices([
        service(backend, {
          failuresBeforeCritical: 2,
          onCritical: { action: 'script', script: { command: 'sh', args: [fixture('recover.sh'), out] } },
        }),
      ]);
      await eventually('the recovery script', () => recoveries.length > 0, { timeoutMs: 3000 });
      expect(readFileSync(out, 'utf8')).toBe(
        `web|http|HTTP GET ${backend.url}: 503 Service Unavailable\nbackend broken`,
      );
      expect(recoveries[0]).toMatchObject({ action: 'script', ok: true, output: 'exit 0\nrecovered web\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs of one check never overlap, even when a run is slower than the interval', async () => {
    backend.delayMs = 150;
    monitor = new HealthMonitor({ firstRunSpreadMs: 0 });
    monitor.setServices([service(backend, { interval: '20ms', timeout: '1s' })]);
    await eventually('four runs', () => backend.requests >= 4, { timeoutMs: 3000 });
    expect(backend.maxInFlight).toBe(1);
  });

  it('spreads the first run by a random offset', async () => {
    const begun = Date.now();
    monitor = new HealthMonitor({ firstRunSpreadMs: 1000, random: () => 0.4 });
    monitor.setServices([service(backend, { interval: '10s' })]);
    await eventually('the first run', () => backend.requests === 1, { timeoutMs: 3000 });
    expect(Date.now() - begun).toBeGreaterThanOrEqual(390);
  });

  it('does not run the checks of a service stopped on purpose; a critical check goes back to unknown', async () => {
    const transitions: TransitionEvent[] = [];
    let state: ServiceRuntime['state'] = 'running';
    monitor = new HealthMonitor({
      firstRunSpreadMs: 0,
      runtime: () => ({ state }),
      onTransition: (e) => transitions.push(e),
    });
    backend.healthy = false;
    monitor.setServices([service(backend, { failuresBeforeCritical: 1, onCritical: { action: 'none' } })]);
    await eventually('critical', () => monitor!.status()[0]?.state === 'critical', { timeoutMs: 3000 });
    state = 'stopped';
    await eventually('unknown', () => monitor!.status()[0]?.state === 'unknown', { timeoutMs: 3000 });
    const n = backend.requests;
    await new Promise((r) => setTimeout(r, 200));
    expect(backend.requests).toBe(n);
    expect(transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['unknown→critical', 'critical→unknown']);
    expect(transitions[1]!.output).toBe('not checked: the service is stopped');
  });

  it('hot reload keeps unchanged checks with their history, restarts changed ones, stops removed ones', async () => {
    monitor = new HealthMonitor({ firstRunSpreadMs: 0 });
    const web = service(backend);
    const api = service(backend, {}, 'api');
    monitor.setServices([web, api]);
    await eventually('results', () => (monitor!.history('web', 'http')?.results.length ?? 0) >= 3, {
      timeoutMs: 3000,
    });
    const before = monitor.history('web', 'http')!.results.length;

    // A fresh parse of the same settings is unchanged; api's check gets another interval.
    monitor.setServices([service(backend), service(backend, { interval: '60ms' }, 'api')]);
    expect(monitor.history('web', 'http')!.results.length).toBeGreaterThanOrEqual(before);
    expect(monitor.status('web')[0]!.state).toBe('passing');
    expect(monitor.history('api', 'http')!.results).toEqual([]);
    expect(monitor.status('api')[0]!.state).toBe('unknown');

    monitor.setServices([service(backend)]);
    expect(monitor.status().map((s) => s.service)).toEqual(['web']);
    expect(monitor.history('api', 'http')).toBeUndefined();
  });

  it('refuses two checks of one name in a service, and changes nothing', async () => {
    monitor = new HealthMonitor({ firstRunSpreadMs: 0 });
    monitor.setServices([service(backend)]);
    const twice = service(backend);
    twice.health.push({ ...twice.health[0]! });
    expect(() => monitor!.setServices([twice])).toThrow('service web has two checks named http');
    expect(monitor.status().map((s) => `${s.service}/${s.check}`)).toEqual(['web/http']);
  });

  it('close stops the checks', async () => {
    monitor = new HealthMonitor({ firstRunSpreadMs: 0 });
    monitor.setServices([service(backend)]);
    await eventually('a run', () => backend.requests >= 1, { timeoutMs: 3000 });
    await monitor.close();
    const n = backend.requests;
    await new Promise((r) => setTimeout(r, 200));
    expect(backend.requests).toBe(n);
    expect(monitor.status()).toEqual([]);
  });
});
