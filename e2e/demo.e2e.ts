import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@opsfleet/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The demo as a newcomer meets it (`npm start`): every URL it prints answers a plain GET and a
 * POST of garbage without taking anything down, and Ctrl-C (SIGINT to the whole process group,
 * as a terminal sends it) stops every part with no ERROR line and nothing left running.
 */
const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');

describe('the demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-demo-'));
  let demo: ChildProcess | undefined;
  let output = '';
  afterAll(() => {
    if (demo?.pid && demo.exitCode === null) process.kill(-demo.pid, 'SIGKILL');
  });

  it('survives requests to every address it prints, and Ctrl-C stops all of it cleanly', async () => {
    demo = spawn(process.execPath, [CLI, 'demo'], {
      env: { ...process.env, OPSFLEET_DEMO_DIR: dir, LOG_LEVEL: 'info' },
      // A process group of its own, as a terminal's foreground job has.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    demo.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    await eventually('the demo to print its addresses', () => output.includes('Ctrl-C stops the demo'), {
      timeoutMs: 110_000,
    });
    const urls = [...new Set(output.match(/http:\/\/127\.0\.0\.1:\d+[^\s,)]*/g) ?? [])];
    expect(urls.length).toBeGreaterThan(8);
    for (const url of urls) {
      for (const init of [
        {},
        { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } },
      ]) {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
        expect(res.status, `${init.method ?? 'GET'} ${url}`).toBeLessThan(500);
        await res.arrayBuffer();
      }
    }
    expect(demo.exitCode, output).toBeNull();

    // Every console page has something in it, and the host has one name everywhere.
    const server = output.match(/console\s+(http:\/\/127\.0\.0\.1:\d+)\//)![1]!;
    const login = await fetch(`${server}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'opsfleet-demo' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const get = async <T>(path: string): Promise<T> =>
      (await (
        await fetch(`${server}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })
      ).json()) as T;
    const alerts = await get<{ items: { name: string; state: string }[] }>('/api/v1/alerts?limit=100');
    expect(new Set(alerts.items.map((a) => a.state))).toEqual(
      new Set(['firing', 'acknowledged', 'silenced', 'resolved']),
    );
    // A week of history: episodes resolved on several days, with a time to resolve.
    const week = await get<{ resolvedCount: number; mttrSeconds: number | null }>(
      `/api/v1/alerts/stats?from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}&bucket=86400`,
    );
    expect(week.resolvedCount).toBeGreaterThanOrEqual(5);
    expect(week.mttrSeconds).toBeGreaterThan(0);
    expect(await get<unknown[]>('/api/v1/silences?state=active')).toHaveLength(1);
    expect(await get<unknown[]>('/api/v1/notify/templates')).toHaveLength(1);
    await eventually(
      'a dead letter',
      async () => (await get<{ items: unknown[] }>('/api/v1/notify/dead-letters')).items.length,
      { ok: (n) => n > 0, timeoutMs: 30_000 },
    );
    const agents = await eventually(
      "the demo agent with its services' health",
      () =>
        get<{ items: { id: string; name: string; keyName: string }[] }>('/api/v1/agents').then(async (l) =>
          l.items[0]
            ? get<{ name: string; keyName: string; services: { name: string; health?: string }[] }>(
                `/api/v1/agents/${l.items[0].id}`,
              )
            : undefined,
        ),
      { ok: (a) => a?.services.find((x) => x.name === 'demo-web')?.health === 'passing', timeoutMs: 60_000 },
    );
    expect(agents).toMatchObject({ name: 'demo-host', keyName: 'demo-host' });
    // The ping the demo sent over the command channel was answered by the agent.
    const command = output.match(/commands\s+http:\/\/127\.0\.0\.1:\d+(\/api\/v1\/commands\/[\w-]+)/)![1]!;
    const ping = await eventually(
      'the ping answered',
      () => get<{ state: string; result: unknown }>(command),
      {
        ok: (c) => c.state === 'succeeded',
        timeoutMs: 60_000,
      },
    );
    expect(ping.result).toMatchObject({ name: 'demo-host' });
    expect(output).toContain('demo-host');
    // The release the demo deployed: the task succeeded, the installation says so, and the
    // agent switched `current` to it and started the app, detached.
    const taskPath = output.match(
      /release\s+http:\/\/127\.0\.0\.1:\d+(\/api\/v1\/release\/tasks\/[\w-]+)/,
    )![1]!;
    const task = await eventually(
      'the demo deploy over',
      () => get<{ state: string; projectId: string; targets: { error: string | null }[] }>(taskPath),
      { ok: (t) => ['succeeded', 'failed', 'cancelled'].includes(t.state), timeoutMs: 60_000 },
    );
    expect(task.state, JSON.stringify(task.targets)).toBe('succeeded');
    const installed = await get<{ items: { agent: { name: string }; version: string; state: string }[] }>(
      `/api/v1/release/projects/${task.projectId}/installations`,
    );
    expect(installed.items).toEqual([
      expect.objectContaining({
        agent: expect.objectContaining({ name: 'demo-host' }),
        version: '1.0.0',
        state: 'installed',
      }),
    ]);
    const app = join(dir, 'agent', 'deploys', 'demo-app', 'demo');
    expect(readlinkSync(join(app, 'current'))).toBe('releases/1.0.0');
    const appPid = Number(readFileSync(join(app, 'run.pid'), 'utf8'));
    expect(readFileSync(`/proc/${appPid}/cmdline`, 'utf8')).toContain(
      join(app, 'releases', '1.0.0', 'bin', 'start'),
    );

    // With Debian's prometheus and victoria-metrics, the rules loop: the demo agent's
    // ConfigAgent loaded the demo rule group into the demo's Prometheus.
    if (/rules\s+http:/.test(output)) {
      const synced = await eventually(
        'the demo sync target applied',
        () =>
          get<{ items: { name: string; inSync: boolean; lastError: string | null }[] }>(
            '/api/v1/sync-targets',
          ),
        { ok: (l) => l.items.some((t) => t.name === 'demo-prometheus' && t.inSync), timeoutMs: 60_000 },
      );
      expect(synced.items.find((t) => t.name === 'demo-prometheus')?.lastError).toBeNull();
    } else expect(output).toMatch(/rules\s+not set up: .* not installed/);

    // The file pipeline: the sample dump was uploaded, reported, and built by the Jenkins simulator.
    expect(output).toMatch(/files\s+http:.*demo-host uploads/);
    const dump = await eventually(
      'the sample dump uploaded with its Jenkins task done',
      async () => {
        const list = await get<{ items: { id: string; state: string }[] }>('/api/v1/files?state=uploaded');
        if (list.items.length !== 1) return undefined;
        const detail = await get<{ labels: Record<string, string>; tasks: { state: string }[] }>(
          `/api/v1/files/${list.items[0]!.id}`,
        );
        return detail.tasks[0]?.state === 'done' ? detail : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(dump.labels).toEqual({ team: 'payments' });
    const members = () =>
      execFileSync('ps', ['-o', 'pid=', '-g', String(demo!.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    expect(members().length).toBeGreaterThan(0);
    process.kill(-demo.pid!, 'SIGINT');
    await eventually('the demo to exit', () => demo!.exitCode !== null || demo!.signalCode !== null, {
      timeoutMs: 20_000,
    });
    await eventually('every process of the demo to be gone', () => {
      try {
        return members().length === 0;
      } catch {
        return true; // ps exits 1 when the group is empty
      }
    });
    // The agent's services and the deployed app run in sessions of their own: they must be gone too.
    const leftovers = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(dir));
    expect(leftovers).toEqual([]);
    // demo-worker crash-loops on purpose until the agent gives up on it (FATAL, logged as an error).
    const errors = output
      .split('\n')
      .filter((l) => /\bERROR\b|"level":50|Unhandled|TypeError/.test(l))
      .filter((l) => !/FATAL service=demo-worker/.test(l));
    expect(errors).toEqual([]);
  });
});
