import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '@opsfleet/agent';
import { createLogger } from '@opsfleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, openConsoleSession } from './console-session.ts';
import { peerAvailable } from './peers.ts';

/**
 * The Agents page in a real browser, fed by a real agent: it registers with its `agent` API key,
 * supervises a steady service and one that crash-loops into FATAL, and heartbeats every second.
 * The page lists it online with its services, shows its detail, filters by status, and shows it
 * offline once the agent is gone (the server is told to wait 4 s instead of 45). Screenshots land
 * in test-artifacts/agents-console/.
 */

const FIXTURES = join(import.meta.dirname, '../packages/agent/test/fixtures');
const HOST = 'e2e-host';
const OFFLINE_AFTER_MS = 4000;

describe.runIf(peerAvailable('chromium', 'chromium'))('the agents console in Chromium', () => {
  let session: ConsoleSession;
  let agent: Agent | undefined;
  let dir = '';

  beforeAll(async () => {
    session = await openConsoleSession({
      suite: 'agents-console',
      server: { agents: { offlineAfterMs: OFFLINE_AFTER_MS, heartbeatMs: 1000 } },
    });
    const { key } = await session.server.identity.createApiKey('admin', HOST, 'agent');
    dir = mkdtempSync(join(tmpdir(), 'e2e-agents-console-'));
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent:
  name: ${HOST}
  dataDir: ${dir}/agent
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${session.serverUrl}", token: "${key}", heartbeat: 1s }
services:
  - name: web
    command: ${process.execPath}
    args: [${join(FIXTURES, 'forever.mjs')}]
  - name: crashy
    command: ${process.execPath}
    args: [${join(FIXTURES, 'crash.mjs')}, "100", "1"]
    restart: { initialDelay: 100ms, maxRestarts: 2, window: 1m, fatalCooldown: 10m }
`,
    );
    agent = await Agent.start({
      configPath: join(dir, 'agent.yaml'),
      log: createLogger({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await agent?.close(false);
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the registered agent online, with its services', async () => {
    const { page, step, logIn } = session;
    await step('agents-online', async () => {
      await logIn();
      await page.getByTestId('nav-agents').click();
      const row = page.getByTestId(`agent-row-${HOST}`);
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe('online');
      // The page refreshes itself every 15 s; Refresh shows the crash loop sooner.
      await expect
        .poll(
          async () => {
            await page.getByTestId('agents-refresh').click();
            return (await row.getByTestId('agent-services').textContent()) ?? '';
          },
          { timeout: 15_000, interval: 500 },
        )
        .toMatch(/1 fatal[\s\S]*1 running/);
    });
  });

  it('opens the agent: its facts and each service with its state', async () => {
    const { page, step } = session;
    await step('agent-detail', async () => {
      await page.getByTestId(`agent-open-${HOST}`).click();
      const detail = page.getByTestId('agent-detail');
      await detail.waitFor();
      const services = detail.getByTestId('agent-services-table');
      await expect.poll(() => services.locator('tbody tr.ant-table-row').count()).toBe(2);
      expect(await services.textContent()).toMatch(/web[\s\S]*running/);
      expect(await services.textContent()).toMatch(/crashy[\s\S]*fatal/);
      // One name: the agent's own, with the key it signs in with beside it.
      expect(await detail.textContent()).toMatch(/API key\s*e2e-host/);
    });
  });

  it('filters by status, and shows the agent offline once it stops', async () => {
    const { page, step, pick } = session;
    await step('agents-filter-offline', async () => {
      await page.keyboard.press('Escape');
      await page.getByTestId('agent-detail').waitFor({ state: 'detached' });
      await pick('agents-status', 'offline');
      await page.getByTestId(`agent-row-${HOST}`).waitFor({ state: 'detached' });
    });
    await agent!.close(false);
    agent = undefined;
    await step('agent-offline', async () => {
      const row = page.getByTestId(`agent-row-${HOST}`);
      await expect
        .poll(
          async () => {
            await page.getByTestId('agents-refresh').click();
            return row.count();
          },
          { timeout: OFFLINE_AFTER_MS + 10_000, interval: 1000 },
        )
        .toBe(1);
      expect(await row.getAttribute('data-status')).toBe('offline');
    });
  });
});
