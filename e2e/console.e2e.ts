import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type ConsoleSession, openConsoleSession } from './console-session.ts';
import { peerAvailable } from './peers.ts';

/**
 * The operator console in a real browser: the built console (packages/web) against an in-process
 * server, driven through Chromium. Log in to the overview, see an alert arrive over the live
 * stream without a reload, acknowledge it with a note, read the history, silence it, see only
 * the actions its state allows and why a stale one is refused; the admin pages list the users.
 * Screenshots of every step land in test-artifacts/console/.
 */

const ALERT_NAME = 'ConsoleE2EDiskFull';
const NOTE = 'on it: cleaning /var/log';

describe.runIf(peerAvailable('chromium', 'chromium'))('the console in Chromium', () => {
  let session: ConsoleSession;
  let fingerprint = '';

  beforeAll(async () => {
    session = await openConsoleSession({ suite: 'console' });
  });

  afterAll(async () => {
    await session?.close();
  });

  it('logs in as admin and opens the live alert list', async () => {
    const { baseUrl, page, step } = session;
    await step('login', async () => {
      await page.goto(`${baseUrl}/`);
      await page.getByTestId('login-username').fill('admin');
      await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    });
    await step('overview-empty', async () => {
      await page.getByTestId('login-submit').click();
      await page.locator('[data-testid="overview"][data-loaded="24h"]').waitFor();
      expect(new URL(page.url()).pathname).toBe('/overview');
    });
    await step('alerts-empty', async () => {
      await page.getByTestId('nav-alerts').click();
      await page.getByTestId('alerts-table').waitFor();
      await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
      expect(await page.getByTestId('current-user').textContent()).toBe('admin');
      expect(new URL(page.url()).pathname).toBe('/alerts');
    });
  });

  it('shows an alert the server receives, live, without a reload', async () => {
    const { server, serverUrl, page, step } = session;
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
            generatorURL: 'http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2',
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
    const { server, page, step } = session;
    await step('alert-detail', async () => {
      await page.getByTestId(`alert-row-${fingerprint}`).click();
      await page.getByTestId('alert-detail').waitFor();
      await page.locator('[data-testid="alert-detail-state"][data-state="firing"]').waitFor();
      await page.getByTestId('alert-history').waitFor();
      // The sender's link back to its rule.
      expect(await page.getByTestId('alert-generator-link').getAttribute('href')).toBe(
        'http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2',
      );
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

  it('silences the alert from a form prefilled with its labels', async () => {
    const { page, step } = session;
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

  it('offers only what the state allows, and shows why the server refuses a stale action (409)', async () => {
    const { server, page, step, expectErrors } = session;
    const offered = async () =>
      (await page.getByTestId('alert-actions').locator('button').allTextContents()).map((t) => t.trim());
    expect(await offered()).toEqual(['Acknowledge', 'Unacknowledge', 'Resolve']);
    expectErrors(/status of 409/);
    await step('unacknowledge-stale', async () => {
      await page.getByTestId('action-unacknowledge').click();
      // Someone else resolves it while this dialog is open.
      await server.alerts.act(fingerprint, 'resolve', 'bob');
      await page.getByTestId('action-confirm').click();
      const error = page.getByTestId('action-error');
      await error.waitFor();
      expect(await error.textContent()).toContain('only open alerts can be unacknowledged');
    });
    expectErrors();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('action-error').waitFor({ state: 'hidden' });
    await step('resolved-offers-close', async () => {
      await page.locator('[data-testid="alert-detail-state"][data-state="resolved"]').waitFor();
      await expect.poll(offered).toEqual(['Close']);
      await page.getByTestId('action-close').click();
      await page.getByTestId('action-confirm').click();
      await page.locator('[data-testid="alert-detail-state"][data-state="closed"]').waitFor();
      expect(await page.getByTestId('alert-actions').locator('button').count()).toBe(0);
    });
  });

  it('lists the users on the admin page', async () => {
    const { page, step } = session;
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
    const { server, page, step } = session;
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
