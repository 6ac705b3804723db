import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import { createServer, openDatabase, type Server } from '@opsfleet/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, peerAvailable, stopProcess, waitFor } from './peers.ts';

/**
 * The operator console in a real browser: the built console (packages/web) against an in-process
 * server, driven through Chromium. Log in, see an alert arrive over the live stream without a
 * reload, acknowledge it with a note, read the history; the admin pages list the users.
 * Screenshots of every step land in test-artifacts/console/.
 */

const ROOT = join(import.meta.dirname, '..');
const WEB = join(ROOT, 'packages/web');
const SHOTS = join(ROOT, 'test-artifacts/console');
const CHROMIUM = '/usr/lib/chromium/chromium';
const ADMIN_PASSWORD = 'admin-password-1';
const ALERT_NAME = 'ConsoleE2EDiskFull';
const NOTE = 'on it: cleaning /var/log';

describe.runIf(peerAvailable('chromium', 'chromium'))('the console in Chromium', () => {
  let dir = '';
  let server: Server;
  let serverUrl = '';
  let baseUrl = '';
  let preview: ChildProcess | undefined;
  let previewOutput = '';
  let browser: Browser;
  let page: Page;
  let fingerprint = '';
  let shot = 0;
  const browserErrors: string[] = [];
  /** Console errors a step provokes on purpose (Chromium logs every 4xx answer as one). */
  let expectedErrors: RegExp[] = [];

  /** One step of the story: a screenshot after it, or one named `-failed` when it throws. */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    const file = `${String(++shot).padStart(2, '0')}-${name}`;
    try {
      await body();
    } catch (err) {
      await page
        ?.screenshot({ path: join(SHOTS, `${file}-failed.png`), fullPage: true })
        .catch(() => undefined);
      throw err;
    }
    await page.screenshot({ path: join(SHOTS, `${file}.png`), fullPage: true, animations: 'disabled' });
    expect(browserErrors, 'errors in the browser console').toEqual([]);
  }

  /** The server serves the built console at `/` once that is wired; until then, vite preview does. */
  async function consoleUrl(): Promise<string> {
    const own = await fetch(`${serverUrl}/`)
      .then(async (r) => (r.ok && (await r.text()).includes('opsfleet-console') ? serverUrl : undefined))
      .catch(() => undefined);
    if (own) return own;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    preview = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/vite/bin/vite.js'),
        'preview',
        '--port',
        String(port),
        '--strictPort',
        '--host',
        '127.0.0.1',
      ],
      { cwd: WEB, env: { ...process.env, OPSFLEET_API: serverUrl }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      previewOutput = (previewOutput + chunk.toString('utf8')).slice(-4000);
    };
    preview.stdout?.on('data', keep);
    preview.stderr?.on('data', keep);
    // Through the proxy the server answers 401 (no token): both halves are up.
    await waitFor(
      'vite preview',
      async () => ((await fetch(`${url}/api/v1/auth/me`)).status === 401 ? true : undefined),
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}:\n${previewOutput}`);
    });
    return url;
  }

  beforeAll(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    // vitest sets NODE_ENV=test, which would make vite bundle React's development build.
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
      cwd: WEB,
      stdio: 'pipe',
      env: { ...process.env, NODE_ENV: 'production' },
    });

    dir = mkdtempSync(join(tmpdir(), 'e2e-console-'));
    const database = await openDatabase({ dataDir: join(dir, 'server-data') });
    server = await createServer({
      database,
      log: silentLogger(),
      adminPassword: ADMIN_PASSWORD,
      housekeepingMs: 0,
    });
    const port = await freePort();
    await server.listen(port, '127.0.0.1');
    serverUrl = `http://127.0.0.1:${port}`;
    baseUrl = await consoleUrl();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedErrors.some((re) => re.test(message.text())))
        browserErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (err) => browserErrors.push(`page: ${err.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await stopProcess(preview);
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in as admin and opens the live alert list', async () => {
    await step('login', async () => {
      await page.goto(`${baseUrl}/`);
      await page.getByTestId('login-username').fill('admin');
      await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    });
    await step('alerts-empty', async () => {
      await page.getByTestId('login-submit').click();
      await page.getByTestId('alerts-table').waitFor();
      await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
      expect(await page.getByTestId('current-user').textContent()).toBe('admin');
      expect(new URL(page.url()).pathname).toBe('/alerts');
    });
  });

  it('shows an alert the server receives, live, without a reload', async () => {
    await step('alert-live', async () => {
      await page.evaluate(() => {
        (window as unknown as { notReloaded?: boolean }).notReloaded = true;
      });
      const { key } = await server.identity.createApiKey('e2e', 'am', 'ingest');
      const res = await fetch(`${serverUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify([
          {
            labels: { alertname: ALERT_NAME, severity: 'critical', instance: 'db-1', team: 'db' },
            annotations: { summary: 'Disk /var on db-1 is 97% full' },
            startsAt: new Date(Date.now() - 60_000).toISOString(),
          },
        ]),
      });
      expect(res.status).toBe(202);
      const { items } = await server.alerts.list({ limit: 10 });
      fingerprint = items.find((a) => a.name === ALERT_NAME)!.fingerprint;

      const row = page.getByTestId(`alert-row-${fingerprint}`);
      await row.waitFor();
      expect(await row.textContent()).toContain(ALERT_NAME);
      await row.locator('[data-testid="alert-state"][data-state="firing"]').waitFor();
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
        true,
      );
    });
  });

  it('acknowledges the alert with a note and shows it in the history', async () => {
    await step('alert-detail', async () => {
      await page.getByTestId(`alert-row-${fingerprint}`).click();
      await page.getByTestId('alert-detail').waitFor();
      await page.locator('[data-testid="alert-detail-state"][data-state="firing"]').waitFor();
      await page.getByTestId('alert-history').waitFor();
    });
    await step('acknowledge-note', async () => {
      await page.getByTestId('action-acknowledge').click();
      await page.getByTestId('action-note').fill(NOTE);
    });
    await step('acknowledged', async () => {
      await page.getByTestId('action-confirm').click();
      await page.locator('[data-testid="alert-detail-state"][data-state="acknowledged"]').waitFor();
      await page
        .getByTestId(`alert-row-${fingerprint}`)
        .locator('[data-testid="alert-state"][data-state="acknowledged"]')
        .waitFor();
      const entry = page.locator(
        '[data-testid="alert-history"] [data-testid="history-entry"][data-event="acknowledge"]',
      );
      await entry.waitFor();
      expect(await entry.getByTestId('history-actor').textContent()).toBe('admin');
      expect(await entry.getByTestId('history-note').textContent()).toContain(NOTE);
      expect(await entry.textContent()).toContain('firing → acknowledged');

      const stored = await server.alerts.get(fingerprint);
      expect(stored.alert.state).toBe('acknowledged');
      expect(stored.history[0]).toMatchObject({ event: 'acknowledge', actor: 'admin', note: NOTE });
    });
  });

  it('shows why the server refuses an action (409)', async () => {
    expectedErrors = [/status of 409/];
    await step('close-refused', async () => {
      await page.getByTestId('action-close').click();
      await page.getByTestId('action-confirm').click();
      const error = page.getByTestId('action-error');
      await error.waitFor();
      expect(await error.textContent()).toContain('resolve it first');
    });
    expectedErrors = [];
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('action-error').waitFor({ state: 'hidden' });
  });

  it('silences the alert from a form prefilled with its labels', async () => {
    await step('silence-form', async () => {
      await page.getByTestId('action-silence').click();
      const matchers = page.getByTestId('silence-matchers');
      await matchers.getByText(`alertname="${ALERT_NAME}"`).waitFor();
      await matchers.getByText('team="db"').waitFor();
      await page.getByTestId('silence-comment').fill('disk replaced tonight');
    });
    await step('silenced', async () => {
      await page.getByRole('button', { name: 'Create silence' }).click();
      await page.locator('[data-testid="alert-detail-state"][data-state="silenced"]').waitFor();
      await page.locator('[data-testid="history-entry"][data-event="silence"]').waitFor();
    });
  });

  it('lists the users on the admin page', async () => {
    await step('users', async () => {
      await page.locator('.ant-drawer-close').click();
      await page.getByTestId('alert-detail').waitFor({ state: 'detached' });
      await page.getByTestId('nav-users').click();
      const admin = page.getByTestId('user-row-admin');
      await admin.waitFor();
      expect(await admin.textContent()).toContain('admin');
      expect(new URL(page.url()).pathname).toBe('/admin/users');
    });
  });

  it('creates an API key and shows it once with the Alertmanager snippet', async () => {
    await step('api-key', async () => {
      await page.getByTestId('nav-api-keys').click();
      await page.getByTestId('apikey-row-am').waitFor();
      await page.getByTestId('apikey-new').click();
      await page.getByTestId('apikey-name').fill('alertmanager-prod');
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      const secret = (await page.getByTestId('apikey-secret').textContent()) ?? '';
      expect(secret).toMatch(/^ofk_/);
      const snippet = (await page.getByTestId('apikey-alertmanager').textContent()) ?? '';
      expect(snippet).toContain('username: api_key');
      expect(snippet).toContain(`password: ${secret}`);
      expect((await server.identity.listApiKeys()).map((k) => [k.name, k.role])).toContainEqual([
        'alertmanager-prod',
        'ingest',
      ]);
    });
  });
});
