import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '@opsfleet/agent';
import { createLogger } from '@opsfleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, keepScreenshots, openConsoleSession } from './console-session.ts';
import { peerAvailable, waitFor } from './peers.ts';

/**
 * The release manager's console pages in a real browser, deploying to two real agents: the
 * project, its environment, targets and versions are made through the API; version 1.0.0 goes
 * to both agents through the API too. In the browser the deploy wizard first shows the server's
 * reason when auto-select finds nothing, then previews 2.0.0 over the agents that have 1.0.0 in
 * two rolling batches; the task it starts succeeds on its page with each agent's log lines (from
 * a tiny inline script) appearing, and the installation matrix shows both on 2.0.0. Screenshots
 * land in test-artifacts/release-console/; with OPSFLEET_SCREENSHOTS=docs/screenshots the best
 * are copied there as release-*.png.
 */

const SUITE = 'release-console';
const R = '/api/v1/release';
/** How long the page may take to show something (a busy machine), as playwright's own waits. */
const UI = { timeout: 10_000, interval: 200 };
const HOSTS = ['rel-web-1', 'rel-web-2'] as const;
const SCRIPT = (v: string) =>
  `echo "deploying $OPSFLEET_VERSION"\necho "step 2 of 2 for $OPSFLEET_PROJECT/$OPSFLEET_ENV"\necho "done ${v}"\n`;
/** The screenshots the docs show: step name → file in docs/screenshots. */
const KEPT: Record<string, string> = {
  'wizard-preview': 'release-wizard.png',
  'task-succeeded': 'release-task.png',
  'matrix-updated': 'release-matrix.png',
};

describe.runIf(peerAvailable('chromium', 'chromium'))('the release console in Chromium', () => {
  let session: ConsoleSession;
  const agents: Agent[] = [];
  let dir = '';
  let adminKey = '';
  const ids = { project: '', env: '', v1: '', v2: '' };

  /**
   * Picks an option in the deploy wizard once its preview has answered (an answer moves the form)
   * and the previous dropdown has closed (the version lists share option names).
   */
  async function choose(testId: string, label: string): Promise<void> {
    const preview = session.page.getByTestId('deploy-preview');
    await expect.poll(() => preview.getAttribute('data-state'), UI).not.toBe('loading');
    await expect.poll(() => session.page.locator('.ant-select-dropdown:visible').count(), UI).toBe(0);
    await session.pick(testId, label);
    await expect.poll(() => preview.getAttribute('data-state'), UI).not.toBe('loading');
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${session.serverUrl}${path}`, {
      method,
      headers: { 'x-api-key': adminKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  beforeAll(async () => {
    session = await openConsoleSession({ suite: SUITE });
    adminKey = (await session.server.identity.createApiKey('admin', 'e2e-release', 'admin')).key;
    dir = mkdtempSync(join(tmpdir(), 'e2e-release-console-'));
    const agentIds: string[] = [];
    for (const host of HOSTS) {
      const { id, key } = await session.server.identity.createApiKey('admin', host, 'agent');
      agentIds.push(id);
      const config = join(dir, `${host}.yaml`);
      writeFileSync(
        config,
        `agent:
  name: ${host}
  dataDir: ${dir}/${host}
  grpc: { listen: "127.0.0.1:0" }
  http: { listen: "127.0.0.1:0" }
  server: { url: "${session.serverUrl}", token: "${key}", heartbeat: 1s }
services: []
`,
      );
      agents.push(await Agent.start({ configPath: config, log: createLogger({ level: 'silent' }) }));
    }
    await waitFor(
      'both agents registered',
      async () => {
        const list = await call<{ items: { id: string; status: string }[] }>('GET', '/api/v1/agents');
        return agentIds.every((id) => list.items.some((a) => a.id === id && a.status === 'online'))
          ? true
          : undefined;
      },
      30_000,
    );

    ids.project = (
      await call<{ id: string }>('POST', `${R}/projects`, { name: 'shop', description: 'the shop API' })
    ).id;
    ids.env = (
      await call<{ id: string }>('POST', `${R}/projects/${ids.project}/environments`, { name: 'prod' })
    ).id;
    for (const [i, agent] of agentIds.entries())
      await call('POST', `${R}/projects/${ids.project}/targets`, {
        environment: ids.env,
        agent,
        labels: { zone: `z${i + 1}` },
        priority: 10 - i,
      });
    const version = async (v: string) =>
      (
        await call<{ id: string }>('POST', `${R}/projects/${ids.project}/versions`, {
          version: v,
          install_script: SCRIPT(v),
          update_script: SCRIPT(v),
          status: 'active',
        })
      ).id;
    ids.v1 = await version('1.0.0');
    ids.v2 = await version('2.0.0');
  });

  afterAll(async () => {
    for (const agent of agents) await agent.close(false);
    await session?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    keepScreenshots(SUITE, KEPT);
  });

  it('opens the project from the list and shows its targets', async () => {
    const { page, step, logIn } = session;
    await step('projects', async () => {
      await logIn();
      await page.getByTestId('nav-release').click();
      await page.getByTestId('release-project-open-shop').click();
      await page.getByTestId('release-project').waitFor();
      await page.getByTestId('release-tab-targets').click();
      const table = page.getByTestId('release-targets-table');
      await expect.poll(() => table.locator('tbody tr.ant-table-row').count(), UI).toBe(2);
      expect(await table.textContent()).toMatch(/rel-web-1[\s\S]*zone=z1/);
    });
  });

  it('creates an environment with a release window, a target and a version through the forms', async () => {
    const { page, step, pick, apiGet } = session;
    await step('environment-created', async () => {
      await page.getByTestId('release-tab-environments').click();
      await page.getByTestId('release-env-new').click();
      await page.getByTestId('release-env-name').fill('staging');
      await page.locator('#release-env_approvalRequired').click();
      await page.locator('#release-env_windowOn').click();
      await page.locator('#release-env_timezone').fill('Europe/Berlin');
      await page.getByTestId('release-env-form-submit').click();
      const table = page.getByTestId('release-envs-table');
      await expect
        .poll(() => table.textContent(), UI)
        .toMatch(/staging\s*mon, tue, wed, thu, fri 09:00–17:00 Europe\/Berlin\s*required/);
    });
    await step('target-added', async () => {
      await page.getByTestId('release-tab-targets').click();
      await page.getByTestId('release-target-new').click();
      await pick('release-target-env', 'staging');
      await pick('release-target-agent', 'rel-web-1');
      await page.locator('#release-target_labels').fill('zone=z9, tier=canary');
      await page.getByTestId('release-target-form-submit').click();
      const table = page.getByTestId('release-targets-table');
      await expect.poll(() => table.locator('tbody tr.ant-table-row').count(), UI).toBe(3);
      expect(await table.textContent()).toMatch(/rel-web-1\s*staging\s*tier=canary\s*zone=z9/);
    });
    await step('version-edited', async () => {
      await page.getByTestId('release-tab-versions').click();
      await page.getByTestId('release-version-new').click();
      await page.getByTestId('release-version-name').fill('3.0.0-rc1');
      await page.getByTestId('release-version-installScript').fill('echo install 3');
      await page.getByTestId('release-version-form-submit').click();
      await page.getByTestId('release-version-edit-3.0.0-rc1').click();
      expect(await page.getByTestId('release-version-installScript').inputValue()).toBe('echo install 3');
      await page.getByTestId('release-version-updateScript').fill('echo update 3');
      await page.getByTestId('release-version-form-submit').click();
      await page.getByTestId('release-version-updateScript').waitFor({ state: 'hidden' });
      const versions = await apiGet<{
        items: { version: string; installScript: string; updateScript: string }[];
      }>(`${R}/projects/${ids.project}/versions`);
      expect(versions.items.find((v) => v.version === '3.0.0-rc1')).toMatchObject({
        installScript: 'echo install 3',
        updateScript: 'echo update 3',
      });
    });
  });

  it("the wizard shows the server's reason when auto-select takes nothing", async () => {
    const { page, step, expectErrors } = session;
    // Chromium logs the preview's 400 answer as a console error.
    expectErrors(/status of 400/);
    await step('wizard-nothing-selected', async () => {
      await page.getByTestId('release-deploy').click();
      await choose('deploy-env', 'prod');
      await choose('deploy-version', '2.0.0');
      await choose('deploy-source-version', '1.0.0');
      const error = page.getByTestId('deploy-preview-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/1\.0\.0/);
    });
    expectErrors();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('deploy-preview').waitFor({ state: 'hidden' });
  });

  it('previews the agents with 1.0.0 in rolling batches, and runs the task to success with its logs', async () => {
    const { page, step } = session;
    const first = await call<{ id: string }>('POST', `${R}/tasks`, {
      project: ids.project,
      environment: ids.env,
      version: ids.v1,
      operation: 'deploy',
      client_ids: (
        await call<{ items: { agent: { id: string } }[] }>('GET', `${R}/projects/${ids.project}/targets`)
      ).items.map((t) => t.agent.id),
    });
    await waitFor(
      '1.0.0 deployed',
      async () =>
        (await call<{ state: string }>('GET', `${R}/tasks/${first.id}`)).state === 'succeeded'
          ? true
          : undefined,
      60_000,
    );

    await step('wizard-preview', async () => {
      await page.getByTestId('release-deploy').click();
      const preview = page.getByTestId('deploy-preview');
      await choose('deploy-env', 'prod');
      await choose('deploy-version', '2.0.0');
      await choose('deploy-source-version', '1.0.0');
      await page.getByTestId('deploy-strategy').getByText('Rolling').click();
      await page
        .locator('input[data-testid="deploy-batch-size"], [data-testid="deploy-batch-size"] input')
        .first()
        .fill('1');
      await expect.poll(() => preview.getAttribute('data-state'), { timeout: 10_000 }).toBe('ok');
      const batches = preview.getByTestId('deploy-preview-batch');
      await expect.poll(() => batches.count(), UI).toBe(2);
      // Higher priority first.
      expect(await batches.nth(0).textContent()).toMatch(/Batch 1:.*rel-web-1/);
      expect(await batches.nth(1).textContent()).toMatch(/Batch 2:.*rel-web-2/);
    });

    await step('task-succeeded', async () => {
      await page.getByTestId('release-deploy-form-submit').click();
      await page.getByTestId('release-task').waitFor();
      const state = page.getByTestId('release-task').getByTestId('task-state').first();
      await expect
        .poll(() => state.getAttribute('data-state'), { timeout: 60_000, interval: 500 })
        .toBe('succeeded');
      for (const host of HOSTS) {
        const log = page.getByTestId(`task-log-${host}`);
        await expect
          .poll(() => log.textContent(), { timeout: 15_000 })
          .toMatch(/deploying 2\.0\.0[\s\S]*step 2 of 2 for shop\/prod[\s\S]*done 2\.0\.0/);
        const row = page.getByTestId(`task-target-${host}`);
        expect(await row.getByTestId('target-state').getAttribute('data-state')).toBe('succeeded');
      }
      // An ended task offers no steps.
      expect(await page.locator('[data-testid^="task-"][data-testid$="pause"]').count()).toBe(0);
    });
  });

  it('shows both agents on 2.0.0 in the installation matrix', async () => {
    const { page, step, baseUrl } = session;
    await step('matrix-updated', async () => {
      await page.goto(`${baseUrl}/release/projects/${ids.project}/installations`);
      for (const host of HOSTS) {
        const cell = page.getByTestId(`release-matrix-row-prod-${host}`).getByTestId('release-matrix-cell');
        await expect.poll(() => cell.getAttribute('data-version'), { timeout: 10_000 }).toBe('2.0.0');
        expect(await cell.getAttribute('data-state')).toBe('installed');
      }
    });
  });

  it('a task in an environment that needs approval waits for it; its creator may only cancel it', async () => {
    const { page, step, baseUrl, pick } = session;
    await step('approval-awaited', async () => {
      await page.goto(`${baseUrl}/release/projects/${ids.project}/tasks`);
      await page.getByTestId('release-deploy').click();
      // Picking first: auto-select in staging, where nothing is installed, would be refused.
      await page.getByTestId('deploy-selection').getByText('Pick targets').click();
      await choose('deploy-env', 'staging');
      await choose('deploy-version', '2.0.0');
      await pick('deploy-clients', 'rel-web-1');
      await page.keyboard.press('Escape');
      const preview = page.getByTestId('deploy-preview');
      await expect.poll(() => preview.getAttribute('data-state'), UI).toBe('ok');
      expect(await preview.getByTestId('deploy-preview-batch').textContent()).toMatch(/Batch 1:.*rel-web-1/);
      await page.getByTestId('release-deploy-form-submit').click();
      const state = page.getByTestId('release-task').getByTestId('task-state').first();
      await expect.poll(() => state.getAttribute('data-state'), UI).toBe('awaiting_approval');
      expect(await page.getByTestId('task-blocked-by').textContent()).toMatch(/approval/);
      // The server refuses its creator's approval, so none is offered; cancelling is.
      expect(await page.getByTestId('task-approve').count()).toBe(0);
      expect(await page.getByTestId('task-pause').count()).toBe(0);
    });
    await step('approval-cancelled', async () => {
      await page.getByTestId('task-cancel').click();
      await page.getByTestId('task-cancel-confirm').click();
      const state = page.getByTestId('release-task').getByTestId('task-state').first();
      await expect.poll(() => state.getAttribute('data-state'), UI).toBe('cancelled');
      await expect.poll(() => page.getByTestId('task-cancel').count(), UI).toBe(0);
      expect(
        await page
          .getByTestId('task-target-rel-web-1')
          .getByTestId('target-state')
          .getAttribute('data-state'),
      ).toBe('skipped');
    });
  });

  it('a canary stops after its first batch, says why, and goes on when promoted', async () => {
    const { page, step, baseUrl } = session;
    await step('canary-awaiting-promotion', async () => {
      await page.goto(`${baseUrl}/release/projects/${ids.project}/tasks`);
      await page.getByTestId('release-deploy').click();
      await choose('deploy-env', 'prod');
      await choose('deploy-version', '1.0.0');
      await choose('deploy-source-version', '2.0.0');
      await page.getByTestId('deploy-strategy').getByText('Canary').click();
      const preview = page.getByTestId('deploy-preview');
      // 10 % of two targets, rounded up: the higher priority one goes first.
      await expect
        .poll(() => preview.getByTestId('deploy-preview-batch').count(), { timeout: 10_000 })
        .toBe(2);
      expect(await preview.getByTestId('deploy-preview-batch').nth(0).textContent()).toMatch(
        /Batch 1:.*rel-web-1/,
      );
      await page.getByTestId('release-deploy-form-submit').click();
      const state = page.getByTestId('release-task').getByTestId('task-state').first();
      await expect
        .poll(() => state.getAttribute('data-state'), { timeout: 60_000, interval: 500 })
        .toBe('awaiting_promotion');
      expect(await page.getByTestId('task-blocked-by').textContent()).toMatch(/promote/);
      expect(
        await page
          .getByTestId('task-target-rel-web-2')
          .getByTestId('target-state')
          .getAttribute('data-state'),
      ).toBe('pending');
      // Only promote and cancel: a canary waiting for promotion neither pauses nor resumes.
      await expect.poll(() => page.getByTestId('task-promote').count(), UI).toBe(1);
      expect(await page.getByTestId('task-pause').count()).toBe(0);
      expect(await page.getByTestId('task-cancel').count()).toBe(1);
    });
    await step('canary-promoted', async () => {
      await page.getByTestId('task-promote').click();
      const state = page.getByTestId('release-task').getByTestId('task-state').first();
      await expect
        .poll(() => state.getAttribute('data-state'), { timeout: 60_000, interval: 500 })
        .toBe('succeeded');
      await page.getByTestId('task-blocked-by').waitFor({ state: 'detached' });
      await expect
        .poll(() => page.getByTestId('task-log-rel-web-2').textContent(), { timeout: 15_000 })
        .toMatch(/deploying 1\.0\.0[\s\S]*done 1\.0\.0/);
    });
  });

  it('fits a phone: the task page and the matrix scroll inside their tables, never sideways', async () => {
    const { page, step, baseUrl } = session;
    const sideways = () =>
      page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.setViewportSize({ width: 390, height: 844 });
    await step('task-390', async () => {
      await page.reload();
      await page.getByTestId('task-log-rel-web-2').getByTestId('task-log-lines').waitFor();
      expect(await sideways()).toBe(0);
    });
    await step('matrix-390', async () => {
      await page.goto(`${baseUrl}/release/projects/${ids.project}/installations`);
      await page.getByTestId('release-matrix-row-prod-rel-web-2').waitFor();
      expect(await sideways()).toBe(0);
    });
  });
});
