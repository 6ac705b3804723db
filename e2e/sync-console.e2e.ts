import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, keepScreenshots, openConsoleSession } from './console-session.ts';
import { peerAvailable } from './peers.ts';

/**
 * The config sync pages in a real browser, with the real promtool and vmalert checking the rule
 * group saves that make new versions. A data source, a rule group and a registered agent come
 * from the API; in the browser a Prometheus target is created for that agent and shows version 1,
 * a change of the group through the API makes version 2, the diff of 1 and 2 shows the changed
 * line under the group's file name, pinning version 1 rolls the target back to it (the dry run
 * shows what the peer would load), and a failed attempt the agent reports with its own key shows
 * as `failed` with the tool's first line in the list and its whole output on the target's page,
 * until the next attempt succeeds.
 * An Alertmanager target without a route is refused on its base configuration field. Screenshots
 * land in test-artifacts/sync-console/; with OPSFLEET_SCREENSHOTS=docs/screenshots the target
 * page after the failure is copied there as config-sync.png.
 */

const SUITE = 'sync-console';
const UI = { timeout: 10_000, interval: 200 };
const KEPT: Record<string, string> = { failed: 'config-sync.png' };
const TOOL_OUTPUT = [
  'promtool: /etc/prometheus/rules/opsfleet/node.yml: 6:11: group "node", rule 1, "DiskFull": could not parse expression',
  '  1:28: parse error: unexpected end of input',
  'kept the last good configuration; nothing reloaded',
].join('\n');

interface Target {
  id: string;
  desiredVersion: number | null;
  pinnedVersion: number | null;
  appliedVersion: number | null;
  lastError: string | null;
}

describe.runIf(
  peerAvailable('chromium', 'chromium') &&
    peerAvailable('promtool', 'prometheus') &&
    peerAvailable('vmalert', 'vmalert'),
)('the config sync console in Chromium', () => {
  let session: ConsoleSession;
  let agentKey = '';
  let groupId = '';
  let sourceId = '';
  let token = '';
  const call = async (method: 'POST' | 'PUT', path: string, body: object, key?: string) => {
    const res = await fetch(`${session.serverUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(key ? { 'x-api-key': key } : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const group = (forTime: string) => ({
    name: 'node',
    datasource_id: sourceId,
    rules: [{ name: 'DiskFull', expr: 'node_filesystem_avail_bytes < 1e9', for: forTime }],
  });

  beforeAll(async () => {
    session = await openConsoleSession({ suite: SUITE });
    ({ accessToken: token } = await session.server.identity.login('admin', 'admin-password-1'));
    // The data source is only where the rule groups belong: nothing queries it here.
    const source = await call('POST', '/api/v1/datasources', {
      name: 'prom',
      kind: 'prometheus',
      url: 'https://prometheus.example.com',
    });
    sourceId = source.id as string;
    groupId = (await call('POST', '/api/v1/rule-groups', group('5m'))).id as string;
    // The agent on the Prometheus host, registered with its own key as the real agent does.
    const created = await session.server.identity.createApiKey('admin', 'prom-host-key', 'agent');
    agentKey = created.key;
    await call(
      'POST',
      '/api/v1/agents/register',
      { name: 'prom-host', hostname: 'prom-host.example.com', version: '0.1.0', services: [] },
      agentKey,
    );
  });

  afterAll(async () => {
    await session?.close();
    keepScreenshots(SUITE, KEPT);
  });

  it('creates a target, diffs two versions, pins one and shows a failed attempt', async () => {
    const { page, step } = session;
    const targets = () => session.apiGet<{ items: (Target & { name: string })[] }>('/api/v1/sync-targets');
    const desired = page.getByTestId('sync-desired');
    const refresh = () => page.getByTestId('sync-target-refresh').click();
    let target: Target | undefined;

    await step('created', async () => {
      await session.logIn();
      await page.getByTestId('nav-config-sync').click();
      await page.getByTestId('sync-target-new').click();
      await page.getByTestId('sync-target-name').fill('prom-eu');
      await session.pick('sync-target-agent', 'prom-host');
      await session.pick('sync-target-datasource', 'prom');
      await page.getByTestId('sync-target-form-submit').click();
      await expect.poll(() => desired.textContent(), UI).toBe('1');
      expect(await page.getByTestId('sync-state').getAttribute('data-state')).toBe('pending');
      target = (await targets()).items.find((t) => t.name === 'prom-eu');
      expect(target).toMatchObject({ desiredVersion: 1, pinnedVersion: null, appliedVersion: null });
    });

    await step('diff', async () => {
      await call('PUT', `/api/v1/rule-groups/${groupId}`, group('10m'));
      await refresh();
      await expect.poll(() => desired.textContent(), UI).toBe('2');
      for (const n of [1, 2])
        await page.getByTestId(`sync-version-row-${n}`).locator('.ant-checkbox-input').check();
      const diff = page.getByTestId('sync-diff');
      const lines = async (op: string) =>
        (await diff.locator(`[data-op="${op}"]`).allTextContents()).map((l) => l.replace(/\s+/g, ''));
      await expect.poll(() => lines('del'), UI).toContain('-for:5m');
      expect(await lines('add')).toContain('+for:10m');
      expect((await lines('file'))[0]).toMatch(/^---.*\.yml$/);
    });

    await step('pinned', async () => {
      await page.getByTestId('sync-version-row-1').getByTestId('sync-pin').click();
      await page.getByTestId('sync-pin-confirm').click();
      await expect.poll(() => desired.textContent(), UI).toBe('1');
      await page.getByTestId('sync-pinned').waitFor();
      expect((await session.apiGet<Target>(`/api/v1/sync-targets/${target!.id}`)).pinnedVersion).toBe(1);
      // Nothing applied yet: the dry run adds the pinned version's whole rule file.
      await page.getByTestId('tab-sync-dry-run').click();
      const dryRun = page.getByTestId('sync-dry-run');
      await expect.poll(() => dryRun.getAttribute('data-changed'), UI).toBe('true');
      const added = await page.getByTestId('sync-dry-run-diff').locator('[data-op="add"]').allTextContents();
      expect(added.map((l) => l.replace(/\s+/g, ''))).toContain('+for:5m');
    });

    await step('failed', async () => {
      // The host's ConfigAgent reports with its own key that version 1 failed validation.
      await call(
        'POST',
        `/api/v1/agent/sync-targets/${target!.id}/status`,
        { appliedVersion: null, attemptedVersion: 1, ok: false, error: TOOL_OUTPUT },
        agentKey,
      );
      await refresh();
      const state = page.getByTestId('sync-state');
      await expect.poll(() => state.getAttribute('data-state'), UI).toBe('failed');
      expect(await page.getByTestId('sync-last-error').textContent()).toBe(TOOL_OUTPUT);
      await page.getByTestId('tab-sync-versions').click();
      for (const n of [1, 2])
        await page.getByTestId(`sync-version-row-${n}`).locator('.ant-checkbox-input').check();
      await page.getByTestId('sync-diff').waitFor();
      await page.locator('.ant-message-notice').waitFor({ state: 'hidden' });
    });

    await step('listed', async () => {
      await page.getByTestId('nav-config-sync').click();
      const row = page.getByTestId('sync-target-row-prom-eu');
      await expect.poll(() => row.getAttribute('data-status'), UI).toBe('failed');
      expect(await row.getByTestId('sync-versions').textContent()).toBe('1 / —');
      expect(await row.getByTestId('sync-last-error-line').textContent()).toBe(TOOL_OUTPUT.split('\n')[0]);
    });

    await step('recovered', async () => {
      // The next attempt loads version 1: in sync, and the error is gone.
      await call(
        'POST',
        `/api/v1/agent/sync-targets/${target!.id}/status`,
        { appliedVersion: 1, attemptedVersion: 1, ok: true },
        agentKey,
      );
      await page.reload();
      const row = page.getByTestId('sync-target-row-prom-eu');
      await expect.poll(() => row.getAttribute('data-status'), UI).toBe('in-sync');
      expect(await row.getByTestId('sync-versions').textContent()).toBe('1 / 1');
      expect(await row.getByTestId('sync-last-error-line').textContent()).toBe('');
    });

    await step('alertmanager-refused', async () => {
      session.expectErrors(/400/);
      await page.getByTestId('sync-target-new').click();
      await page.getByTestId('sync-target-name').fill('am-eu');
      await session.pick('sync-target-kind', 'alertmanager');
      await page.getByTestId('sync-target-base').fill('global:\n  resolve_timeout: 5m\n');
      await page.getByTestId('sync-target-password-file').fill('/etc/alertmanager/opsfleet.key');
      await page.getByTestId('sync-target-form-submit').click();
      const baseItem = page.locator('.ant-form-item').filter({ has: page.getByTestId('sync-target-base') });
      await expect
        .poll(() => baseItem.locator('.ant-form-item-explain-error').allTextContents(), UI)
        .toContainEqual(expect.stringMatching(/no route/));
      expect((await targets()).items.map((t) => t.name)).toEqual(['prom-eu']);
    });

    await step('alertmanager-created', async () => {
      session.expectErrors();
      await page
        .getByTestId('sync-target-base')
        .fill('route:\n  receiver: pager\nreceivers:\n  - name: pager\n');
      await page.getByTestId('sync-target-form-submit').click();
      await expect.poll(() => desired.textContent(), UI).toBe('1');
      // The server minted the key its Alertmanager sends alerts with; the page says so, never shows it.
      expect(await page.getByTestId('sync-ingest-key').textContent()).toMatch(/^held by the server/);
      const am = (await targets()).items.find((t) => t.name === 'am-eu');
      expect(am).toMatchObject({ desiredVersion: 1, hasIngestKey: true });
    });
  });
});
