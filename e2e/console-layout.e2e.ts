import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, openConsoleSession } from './console-session.ts';
import { freePort, peerAvailable } from './peers.ts';

/**
 * Every page of the console, with data in it, at a desktop width (1400 px) and a phone's (390 px,
 * and 360 px, the narrowest it promises): no table header breaks inside a word, nothing makes the
 * page scroll sideways (wide tables scroll inside their card, and at 1400 px every table fits its
 * card), the collapsed menu shows its icons, the overview draws its charts. A screenshot of each
 * page at 1400 and 390 px lands in test-artifacts/console-layout/ (or the folder in
 * OPSFLEET_SCREENSHOTS: `docs/screenshots` refreshes the ones the docs show).
 */

const ROOT = join(import.meta.dirname, '..');
const SHOTS = process.env.OPSFLEET_SCREENSHOTS
  ? join(ROOT, process.env.OPSFLEET_SCREENSHOTS)
  : join(ROOT, 'test-artifacts', 'console-layout');
const WIDTHS = [1400, 390] as const;
/** The narrowest phone the console promises to work on: checked, not photographed. */
const NARROWEST = 360;
const ROW = '.ant-table-tbody tr.ant-table-row';

interface Shown {
  name: string;
  path: string;
  /** What is on screen once the page has loaded its data. */
  ready: string;
}

/** Where a page's header cells wrap or are cut: `<text>: <lines> lines, <scroll> > <client> px`. */
function brokenHeaders(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const broken: string[] = [];
    for (const th of document.querySelectorAll<HTMLElement>('.ant-table-thead th')) {
      const text = th.textContent?.trim();
      if (!text || th.offsetParent === null) continue;
      const range = document.createRange();
      range.selectNodeContents(th);
      const lines = new Set(
        [...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)),
      ).size;
      if (lines > 1 || th.scrollWidth > th.clientWidth + 1)
        broken.push(`${text}: ${lines} lines, ${th.scrollWidth} > ${th.clientWidth} px`);
    }
    return broken;
  });
}

/** How much wider than their cards the tables on the page are (tables that fit are left out). */
const widerTables = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.ant-table-content')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => el.scrollWidth - el.clientWidth)
      .filter((d) => d > 1),
  );

/** Opens the overview at `width`, logging in first when this tab is not (a test run alone). */
async function enter(session: ConsoleSession, width: number): Promise<void> {
  const { page, baseUrl, logIn } = session;
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${baseUrl}/overview`);
  const landed = page.locator('[data-testid="login-submit"], [data-testid="overview"]').first();
  await landed.waitFor();
  if ((await landed.getAttribute('data-testid')) === 'login-submit') await logIn();
}

/** How far the page scrolls sideways: 0 when everything fits the window. */
const sideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe.runIf(peerAvailable('chromium', 'chromium'))('the console at 1400 and 390 px', () => {
  let session: ConsoleSession;
  const pages: Shown[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    session = await openConsoleSession({
      suite: 'console-layout',
      // The channel points at a closed loopback port: one failed attempt makes a dead letter.
      // The agent registers once and sends no heartbeat: it stays online for the whole run.
      server: {
        outboundAllow: ['127.0.0.1/32'],
        notifyRetry: { baseMs: 1000, capMs: 1000, maxAttempts: 1 },
        agents: { offlineAfterMs: 3_600_000 },
      },
    });
    const { server } = session;
    const { accessToken } = await server.identity.login('admin', 'admin-password-1');
    const call = async (method: 'POST' | 'GET', url: string, payload?: object, key?: string) => {
      const res = await server.app.inject({
        method,
        url,
        headers: key ? { 'x-api-key': key } : { authorization: `Bearer ${accessToken}` },
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      return res.json();
    };

    // Alerts over the last day in every state, one with a long name, one that fired twice.
    const { key: amKey } = await server.identity.createApiKey('admin', 'alertmanager', 'ingest');
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const fire = (alertname: string, severity: string, startsAt: string, more: object = {}) =>
      call(
        'POST',
        '/api/v2/alerts',
        [
          {
            labels: { alertname, severity, instance: 'db-1.prod.example.com:9100', team: 'storage' },
            annotations: { summary: `${alertname} on db-1: the value crossed its threshold` },
            startsAt,
            ...more,
          },
        ],
        amKey,
      );
    const diskFullSince = ago(180);
    await fire('DiskFull', 'critical', diskFullSince);
    await fire('HighRequestLatency', 'high', ago(300));
    await fire('CertificateExpiresSoon', 'warning', ago(1200));
    await fire('KubePersistentVolumeFillingUpWithinFourDays', 'info', ago(30));
    await fire('QueueBacklog', 'warning', ago(600), { endsAt: ago(500) });
    await fire('QueueBacklog', 'warning', ago(120));
    const fingerprints = Object.fromEntries(
      (await server.alerts.list({ limit: 50 })).items.map((a) => [a.name, a.fingerprint]),
    );
    await server.alerts.act(fingerprints.DiskFull!, 'acknowledge', 'admin', 'replacing the disk');
    await server.alerts.act(fingerprints.HighRequestLatency!, 'resolve', 'admin');
    await server.alerts.act(fingerprints.CertificateExpiresSoon!, 'resolve', 'admin');
    await server.alerts.act(fingerprints.CertificateExpiresSoon!, 'close', 'admin');
    await call('POST', '/api/v1/silences', {
      matchers: ['alertname="KubePersistentVolumeFillingUpWithinFourDays"'],
      endsAt: new Date(Date.now() + 4 * 3_600_000).toISOString(),
      comment: 'volume resize scheduled for tonight',
    });

    // Notifications: a template set, a channel nobody answers, a rule sending everything there.
    await call('POST', '/api/v1/notify/templates', {
      name: 'short-pages',
      templates: { firing: { title: '{{ alert.name }}', body: '{{ alert.annotations.summary }}' } },
    });
    const closed = await freePort();
    const channel = await call('POST', '/api/v1/notify/channels', {
      name: 'ops-webhook',
      kind: 'webhook',
      config: { url: `http://127.0.0.1:${closed}/hook` },
    });
    await call('POST', '/api/v1/notify/rules', {
      name: 'everything-to-ops',
      groupWaitSeconds: 0,
      steps: [{ afterMinutes: 0, channelIds: [channel.id] }],
    });
    // The first alert after the rule exists is notified to its channel, and fails there.
    await fire('BackupFailed', 'critical', ago(5));
    await server.notifier.routeNow();
    await server.notifier.deliverNow();
    const dead = await call('GET', '/api/v1/notify/dead-letters');
    expect(dead.items.length).toBeGreaterThan(0);

    // An agent with a few services, registered with its own key as the real agent does.
    const { key: agentKey, id: agentId } = await server.identity.createApiKey('admin', 'web-01', 'agent');
    await call(
      'POST',
      '/api/v1/agents/register',
      {
        hostname: 'web-01.prod.example.com',
        version: '0.1.0',
        labels: { env: 'prod', role: 'web' },
        services: [
          { name: 'nginx', state: 'running', backend: 'direct', restarts: 0, health: 'passing' },
          { name: 'app', state: 'running', backend: 'direct', restarts: 3, health: 'warning' },
        ],
      },
      agentKey,
    );

    // A release project with the agent as its target; a data source; an alerting rule group.
    const project = await call('POST', '/api/v1/release/projects', { name: 'shop-api' });
    const env = await call('POST', `/api/v1/release/projects/${project.id}/environments`, {
      name: 'production',
    });
    await call('POST', `/api/v1/release/projects/${project.id}/targets`, {
      environment: env.id,
      agent: agentId,
      labels: { zone: 'eu-central-1a' },
    });
    await call('POST', `/api/v1/release/projects/${project.id}/versions`, {
      version: '2026.12.07-1',
      status: 'active',
    });
    const source = await call('POST', '/api/v1/datasources', {
      name: 'prometheus-main',
      kind: 'prometheus',
      url: 'https://prometheus.internal.example.com/prometheus',
      auth: { type: 'bearer', token: 'layout-token' },
      labels: { region: 'eu' },
    });
    await call('POST', '/api/v1/rule-groups', {
      name: 'node-exporter',
      datasource_id: source.id,
      rules: [
        {
          name: 'NodeFilesystemAlmostFull',
          expr: 'node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05',
          for: '15m',
        },
      ],
    });
    // A config sync target its agent reports in sync (a failure would raise an alert, and notify).
    const syncTarget = await call('POST', '/api/v1/sync-targets', {
      name: 'prometheus-main-rules',
      kind: 'prometheus',
      agent_id: agentId,
      datasource_id: source.id,
    });
    await call(
      'POST',
      `/api/v1/agent/sync-targets/${syncTarget.id}/status`,
      { appliedVersion: 1, attemptedVersion: 1, ok: true },
      agentKey,
    );

    pages.push(
      { name: 'overview', path: '/overview', ready: '[data-testid="overview"][data-loaded="24h"] canvas' },
      { name: 'alerts', path: '/alerts', ready: `[data-testid="alert-row-${fingerprints.DiskFull}"]` },
      {
        name: 'alert-detail',
        path: `/alerts/${encodeURIComponent(fingerprints.DiskFull!)}`,
        ready: '[data-testid="alert-history"]',
      },
      { name: 'silences', path: '/silences', ready: ROW },
      { name: 'agents', path: '/agents', ready: '[data-testid="agent-row-web-01"]' },
      { name: 'channels', path: '/notify/channels', ready: '[data-testid="row-ops-webhook"]' },
      { name: 'rules', path: '/notify/rules', ready: '[data-testid="row-everything-to-ops"]' },
      { name: 'templates', path: '/notify/templates', ready: '[data-testid="row-short-pages"]' },
      { name: 'deliveries', path: '/notify/deliveries', ready: ROW },
      { name: 'dead-letters', path: '/notify/dead-letters', ready: ROW },
      { name: 'users', path: '/admin/users', ready: '[data-testid="user-row-admin"]' },
      { name: 'api-keys', path: '/admin/api-keys', ready: '[data-testid="apikey-row-web-01"]' },
      { name: 'audit', path: '/admin/audit', ready: ROW },
      { name: 'releases', path: '/release', ready: '[data-testid="release-project-open-shop-api"]' },
      { name: 'release-targets', path: `/release/projects/${project.id}/targets`, ready: ROW },
      { name: 'release-versions', path: `/release/projects/${project.id}/versions`, ready: ROW },
      { name: 'datasources', path: '/datasources', ready: '[data-testid="datasource-open"]' },
      { name: 'alerting-rules', path: '/alerting-rules', ready: '[data-testid="rule-group-open"]' },
      { name: 'config-sync', path: '/config-sync', ready: '[data-testid="sync-target-open"]' },
      {
        name: 'sync-target',
        path: `/config-sync/${syncTarget.id}`,
        ready: '[data-testid="sync-state"][data-state="in-sync"]',
      },
    );
  });

  afterAll(async () => {
    await session?.close();
  });

  it('shows the login page whole at both widths', async () => {
    const { page, baseUrl } = session;
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${baseUrl}/`);
      await page.getByTestId('login-submit').waitFor();
      expect(await sideways(page), `login at ${width} px scrolls sideways`).toBe(0);
      await page.screenshot({ path: join(SHOTS, `login-${width}.png`), animations: 'disabled' });
    }
  });

  for (const width of [...WIDTHS, NARROWEST])
    it(`lays out every page at ${width} px`, async () => {
      const { page, baseUrl } = session;
      await enter(session, width);
      const problems: string[] = [];
      for (const shown of pages) {
        await page.goto(`${baseUrl}${shown.path}`);
        await page.locator(shown.ready).first().waitFor();
        // Fonts and the menu's collapse settle after the data arrives.
        await page.evaluate(() => document.fonts.ready);
        for (const header of await brokenHeaders(page)) problems.push(`${shown.name}: header ${header}`);
        const overflow = await sideways(page);
        if (overflow > 0) problems.push(`${shown.name}: the page scrolls ${overflow} px sideways`);
        // On a desktop every column fits: free text is cut to a readable width, not stretched.
        if (width >= 1400)
          for (const wider of await widerTables(page))
            problems.push(`${shown.name}: a table is ${wider} px wider than its card`);
        if (width !== NARROWEST)
          await page.screenshot({
            path: join(SHOTS, `${shown.name}-${width}.png`),
            fullPage: true,
            animations: 'disabled',
          });
      }
      expect(problems).toEqual([]);
    });

  it('folds the menu to icons on a phone and draws every chart of the overview', async () => {
    const { page, baseUrl } = session;
    await enter(session, 390);
    await page.locator('[data-testid="overview"][data-loaded="24h"]').waitFor();
    await page.locator('.ant-layout-sider-collapsed').waitFor();
    const items = page.locator('.ant-layout-sider .ant-menu-item');
    const icons = page.locator('.ant-layout-sider .ant-menu-item .anticon');
    expect(await items.count()).toBeGreaterThan(10);
    expect(await icons.count()).toBe(await items.count());
    for (const icon of await icons.all()) expect(await icon.isVisible()).toBe(true);
    for (const chart of [
      'overview-trend',
      'overview-noisiest',
      'overview-response',
      'overview-agents',
      'overview-deliveries',
    ])
      await page.getByTestId(chart).locator('canvas').waitFor();
    await page.getByTestId('overview-range').getByText('7 days').click();
    await page.locator('[data-testid="overview"][data-loaded="7d"]').waitFor();
    expect(await page.getByTestId('overview-dead-letters').textContent()).toBe('1 dead letter');
    // A wide table scrolls inside its card, not the page.
    await page.goto(`${baseUrl}/alerts`);
    await page.locator(ROW).first().waitFor();
    const table = await page.locator('[data-testid="alerts-table"] .ant-table-content').evaluate((el) => ({
      scrolls: el.scrollWidth > el.clientWidth,
      overflowX: getComputedStyle(el).overflowX,
    }));
    expect(table).toEqual({ scrolls: true, overflowX: 'auto' });
    expect(await sideways(page)).toBe(0);
  });
});
