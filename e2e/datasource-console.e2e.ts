import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, keepScreenshots, openConsoleSession } from './console-session.ts';
import { type Prometheus, peerAvailable, READER, startAuthedPrometheus, waitFor } from './peers.ts';

/**
 * The data source pages in a real browser against a real Prometheus behind its own basic auth
 * (as in datasources.e2e.ts). Prometheus scrapes the console's own server (its /metrics needs
 * no credentials here), so `up` is 1 — a scrape of Prometheus itself would be refused by the
 * basic auth it demands, and `up` would be 0. The server allows loopback outbound calls. In the
 * browser: the data source is created in the form, Test shows the version, the metric browser
 * finds `up` and its job, the query preview draws it and lists it at 1, a broken expression
 * shows the peer's error, a moved URL asks for the password again on its field, and a wrong
 * password makes Test show Prometheus's 401. Screenshots land in
 * test-artifacts/datasource-console/; with OPSFLEET_SCREENSHOTS=docs/screenshots the query one is
 * copied there as datasource-query.png.
 */

const SUITE = 'datasource-console';
/** How long the page may take to show something (a busy machine), as playwright's own waits. */
const UI = { timeout: 10_000, interval: 200 };
const KEPT: Record<string, string> = { 'query-up': 'datasource-query.png' };

describe.runIf(peerAvailable('chromium', 'chromium') && peerAvailable('prometheus', 'prometheus'))(
  'the data source console in Chromium',
  () => {
    let session: ConsoleSession;
    let prom: Prometheus;

    beforeAll(async () => {
      session = await openConsoleSession({ suite: SUITE, server: { outboundAllow: ['127.0.0.1/32'] } });
      prom = await startAuthedPrometheus([new URL(session.serverUrl).host]);
    });

    afterAll(async () => {
      await session?.close();
      await prom?.stop();
      keepScreenshots(SUITE, KEPT);
    });

    it('creates a Prometheus data source, tests it, browses `up` and charts it; a wrong password shows the 401', async () => {
      const { page, step } = session;
      const row = page.getByTestId('datasource-row-prom');
      const form = page.locator('#datasource');
      let id = '';

      await step('created', async () => {
        await session.logIn();
        await page.getByTestId('nav-datasources').click();
        await page.getByTestId('datasource-new').click();
        await page.getByTestId('datasource-name').fill('prom');
        await page.getByTestId('datasource-url').fill(prom.url);
        await session.pick('datasource-auth', 'basic');
        await page.getByTestId('datasource-username').fill('reader');
        await page.getByTestId('datasource-password').fill(READER.password);
        await form.getByPlaceholder('team=ops, region=eu').fill('team=ops');
        await page.getByTestId('datasource-form-submit').click();
        await row.waitFor();
        await expect.poll(() => row.textContent(), UI).toContain('secret stored');
        const listed = await session.apiGet<{ items: { id: string; name: string; hasSecret: boolean }[] }>(
          '/api/v1/datasources',
        );
        expect(listed.items).toMatchObject([{ name: 'prom', hasSecret: true }]);
        id = listed.items[0]!.id;
      });

      await step('tested', async () => {
        await row.getByTestId('datasource-test').click();
        const result = row.getByTestId('datasource-test-result');
        await expect.poll(() => result.getAttribute('data-ok'), UI).toBe('true');
        expect(await result.textContent()).toMatch(/^OK: version 2\./);
      });

      // The metric browser reads the names once, so the first scrape must have landed before.
      await waitFor('up scraped', async () => {
        const names = await session.apiGet<{ items: string[] }>(`/api/v1/datasources/${id}/metrics`);
        return names.items.includes('up') ? true : undefined;
      });

      await step('browsed', async () => {
        await row.getByTestId('datasource-open').click();
        await page.getByTestId('datasource-page').waitFor();
        await page.getByTestId('metric-filter').locator('input').fill('up');
        const up = page.locator('[data-testid="metric-name"][data-name="up"]');
        await up.click();
        await expect.poll(() => page.getByTestId('query-expr').inputValue(), UI).toBe('up');
        await session.pick('metric-label', 'job');
        await expect
          .poll(() => page.getByTestId('metric-label-values').textContent(), UI)
          .toContain('opsfleet-exporter');
      });

      await step('query-up', async () => {
        await session.pick('query-range', 'Last 15 min');
        await page.getByTestId('query-run').click();
        await page.getByTestId('query-chart').locator('canvas').waitFor();
        const upRow = page.locator('[data-testid="query-row"][data-series^="up{"]');
        await expect.poll(() => upRow.getByTestId('query-value').textContent(), UI).toBe('1');
        expect(await upRow.getAttribute('data-series')).toContain('job="opsfleet-exporter"');
      });

      await step('query-error', async () => {
        session.expectErrors(/502/);
        await page.getByTestId('query-expr').fill('sum(');
        await page.getByTestId('query-run').click();
        await expect
          .poll(() => page.getByTestId('query-error').textContent(), UI)
          .toMatch(/query: HTTP 400: bad_data: .*parse error/);
      });

      await step('moved-url-asks-password', async () => {
        session.expectErrors(/400/);
        await page.getByTestId('nav-datasources').click();
        await row.getByTestId('datasource-edit').click();
        await expect.poll(() => page.getByTestId('datasource-password').inputValue(), UI).toBe('');
        await page.getByTestId('datasource-url').fill(`${prom.url}/`);
        await page.getByTestId('datasource-form-submit').click();
        const passwordItem = form
          .locator('.ant-form-item')
          .filter({ has: page.getByTestId('datasource-password') });
        await expect
          .poll(() => passwordItem.locator('.ant-form-item-explain-error').textContent(), UI)
          .toMatch(/enter it again/);
      });

      await step('wrong-password', async () => {
        session.expectErrors();
        await page.getByTestId('datasource-url').fill(prom.url);
        await page.getByTestId('datasource-password').fill('not-it');
        await page.getByTestId('datasource-form-submit').click();
        await expect.poll(() => form.isVisible(), UI).toBe(false);
        await row.getByTestId('datasource-test').click();
        const result = row.getByTestId('datasource-test-result');
        await expect.poll(() => result.getAttribute('data-ok'), UI).toBe('false');
        expect(await result.textContent()).toMatch(/401/);
        expect(await result.textContent()).not.toContain('not-it');
      });
    });
  },
);
