import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, openConsoleSession } from './console-session.ts';
import { peerAvailable } from './peers.ts';

/**
 * Long lists in a real browser: the silences page and the admin's audit log page through the
 * server's cursor (50 to a page), and the audit log filters by action and resource. Screenshots
 * land in test-artifacts/paging-console/.
 */

const SILENCES = 55;

describe.runIf(peerAvailable('chromium', 'chromium'))('paged lists in Chromium', () => {
  let session: ConsoleSession;

  beforeAll(async () => {
    session = await openConsoleSession({ suite: 'paging-console' });
    const { accessToken } = await session.server.identity.login('admin', 'admin-password-1');
    // Each ends an hour after the one before, so the active list (ending soonest first) is 1…55.
    for (let i = 1; i <= SILENCES; i++) {
      const res = await session.server.app.inject({
        method: 'POST',
        url: '/api/v1/silences',
        headers: { authorization: `Bearer ${accessToken}` },
        payload: {
          matchers: [`instance="db-${i}"`],
          endsAt: new Date(Date.now() + i * 3_600_000).toISOString(),
          comment: `maintenance ${i}`,
        },
      });
      expect(res.statusCode).toBe(201);
    }
  });

  afterAll(async () => {
    await session?.close();
  });

  it('pages silences and the audit log, and filters the audit log', async () => {
    const { page, step } = session;
    const rows = (prefix: string) => page.locator(`[data-testid^="${prefix}"]`);
    // antd puts a search field's test id on its wrapper.
    const field = (testId: string) => page.locator(`[data-testid="${testId}"] input`);
    const comments = async () =>
      (await rows('silence-row-').allTextContents()).map((t) => /maintenance \d+/.exec(t)?.[0]);

    await step('log-in', () => session.logIn());

    await step('silences-first-page', async () => {
      await page.getByTestId('nav-silences').click();
      await page.getByTestId('silences-page').waitFor();
      expect(await page.getByTestId('silences-page').textContent()).toBe('Page 1');
      expect(await rows('silence-row-').count()).toBe(50);
      expect((await comments())[0]).toBe('maintenance 1');
    });

    await step('silences-next-page', async () => {
      await page.getByTestId('silences-next').click();
      await page.getByText('maintenance 51', { exact: true }).waitFor();
      expect(await comments()).toEqual([51, 52, 53, 54, 55].map((i) => `maintenance ${i}`));
      expect(await page.getByTestId('silences-next').isDisabled()).toBe(true);
    });

    await step('silences-back', async () => {
      await page.getByTestId('silences-previous').click();
      await page.getByText('maintenance 1', { exact: true }).waitFor();
      expect(await rows('silence-row-').count()).toBe(50);
    });

    await step('audit-first-page', async () => {
      await page.getByTestId('nav-audit').click();
      await page.getByTestId('audit-page').waitFor();
      expect(await rows('audit-row-').count()).toBe(50);
      // Newest first: the last silence created.
      expect(await rows('audit-row-').first().textContent()).toContain('silence.create');
    });

    await step('audit-by-action-second-page', async () => {
      await field('audit-action').fill('silence.create');
      await field('audit-action').press('Enter');
      await page.getByTestId('audit-next').click();
      await page.getByTestId('audit-page').filter({ hasText: 'Page 2' }).waitFor();
      await expect.poll(() => rows('audit-row-').count()).toBe(SILENCES - 50);
    });

    await step('audit-by-resource', async () => {
      await field('audit-action').fill('');
      await field('audit-action').press('Enter');
      await field('audit-resource').fill('user:');
      await field('audit-resource').press('Enter');
      await expect.poll(() => rows('audit-row-').count()).toBe(1);
      const first = rows('audit-row-').first();
      expect(await first.textContent()).toContain('user.create');
      await first.locator('.ant-table-row-expand-icon').click();
      await page.getByText('"username": "admin"').waitFor();
    });
  });
});
