import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  type ConsoleSession,
  keepScreenshots,
  openConsoleSession,
} from './console-session.ts';
import { type Prometheus, peerAvailable, READER, startAuthedPrometheus } from './peers.ts';

/**
 * The alerting rule pages in a real browser, with the real promtool and vmalert checking every
 * save and a real Prometheus behind basic auth (as in datasource-console.e2e.ts) answering Test.
 * The data source is created through the API; in the browser a group is created whose broken
 * expression shows promtool's message on the expression field, the fixed one saves as revision
 * 1, Test of a rule true 10 minutes in every 20 charts when it would have fired, a longer `for`
 * saves revision 2, the diff of 1 and 2 shows the changed line, and restoring revision 1 saves
 * its rules as revision 3 with the rule's id unchanged. Screenshots land in
 * test-artifacts/rules-console/; with OPSFLEET_SCREENSHOTS=docs/screenshots the tested editor is
 * copied there as rules-editor.png.
 */

const SUITE = 'rules-console';
/** True for the first 10 minutes of every 20: Prometheus computes it for any past time. */
const HALF_THE_TIME = 'vector(1) and on() (vector(time()) % 1200 < 600)';
const UI = { timeout: 10_000, interval: 200 };
const KEPT: Record<string, string> = { tested: 'rules-editor.png' };

interface Group {
  id: string;
  revision: number;
  rules: { id: string; name: string; for: string; expr: string }[];
}

describe.runIf(
  peerAvailable('chromium', 'chromium') &&
    peerAvailable('prometheus', 'prometheus') &&
    peerAvailable('promtool', 'prometheus') &&
    peerAvailable('vmalert', 'vmalert'),
)('the alerting rule console in Chromium', () => {
  let session: ConsoleSession;
  let prom: Prometheus;

  beforeAll(async () => {
    session = await openConsoleSession({ suite: SUITE, server: { outboundAllow: ['127.0.0.1/32'] } });
    prom = await startAuthedPrometheus([new URL(session.serverUrl).host]);
    const login = await fetch(`${session.serverUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const created = await fetch(`${session.serverUrl}/api/v1/datasources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({
        name: 'prom',
        kind: 'prometheus',
        url: prom.url,
        auth: { type: 'basic', username: 'reader', password: READER.password },
      }),
    });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await session?.close();
    await prom?.stop();
    keepScreenshots(SUITE, KEPT);
  });

  it('creates a group past promtool, tests its rule, diffs two revisions and restores the first', async () => {
    const { page, step } = session;
    const rule = page.getByTestId('rule-card-0');
    const revision = page.getByTestId('rule-group-current-revision');
    const groups = () => session.apiGet<{ items: Group[] }>('/api/v1/rule-groups');

    await step('refused-by-promtool', async () => {
      session.expectErrors(/400/);
      await session.logIn();
      await page.getByTestId('nav-alerting-rules').click();
      await page.getByTestId('rule-group-new').click();
      await page.getByTestId('group-name').fill('half-the-time');
      await session.pick('group-datasource', 'prom');
      await rule.getByTestId('rule-name').fill('HalfTheTime');
      await rule.getByTestId('rule-expr').fill('vector(1) and on() (');
      await page.getByTestId('group-comment').fill('first');
      await page.getByTestId('group-save').click();
      const exprItem = rule.locator('.ant-form-item').filter({ has: page.getByTestId('rule-expr') });
      await expect
        .poll(() => exprItem.locator('.ant-form-item-explain-error').allTextContents(), UI)
        .toContainEqual(expect.stringMatching(/^promtool: could not parse expression/));
      expect((await groups()).items).toEqual([]);
    });

    let ruleId = '';
    await step('created', async () => {
      session.expectErrors();
      await rule.getByTestId('rule-expr').fill(HALF_THE_TIME);
      await page.getByTestId('group-save').click();
      await expect.poll(() => revision.textContent(), UI).toBe('revision 1');
      const [group] = (await groups()).items;
      expect(group).toMatchObject({
        revision: 1,
        rules: [{ name: 'HalfTheTime', expr: HALF_THE_TIME, for: '5m' }],
      });
      ruleId = group!.rules[0]!.id;
    });

    await step('tested', async () => {
      await rule.getByTestId('rule-test-run').click();
      await expect
        .poll(() => rule.getByTestId('rule-test-firing-now').getAttribute('data-count'), UI)
        .toMatch(/^[01]$/);
      await rule.getByTestId('rule-test-chart').locator('canvas').waitFor();
    });

    await step('revision-2', async () => {
      await rule.getByTestId('rule-for').fill('10m');
      await page.getByTestId('group-comment').fill('longer');
      await page.getByTestId('group-save').click();
      await expect.poll(() => revision.textContent(), UI).toBe('revision 2');
      // The editor sent the rule's id back: still the same rule, with the new `for`.
      expect((await groups()).items[0]!.rules).toMatchObject([{ id: ruleId, for: '10m' }]);
    });

    await step('diff', async () => {
      await page.getByTestId('tab-revisions').click();
      for (const n of [1, 2])
        await page.getByTestId(`revision-row-${n}`).locator('.ant-checkbox-input').check();
      const diff = page.getByTestId('revision-diff');
      // A changed line's text without its indentation: `-for: 5m`.
      const lines = async (op: string) =>
        (await diff.locator(`[data-op="${op}"]`).allTextContents()).map((l) => l.replace(/\s+/g, ''));
      await expect.poll(() => lines('del'), UI).toContain('-for:5m');
      expect(await lines('add')).toContain('+for:10m');
    });

    await step('restored', async () => {
      await page.getByTestId('revision-row-1').getByTestId('revision-restore').click();
      await page.getByTestId('revision-restore-confirm').click();
      await expect.poll(() => revision.textContent(), UI).toBe('revision 3');
      await expect.poll(() => rule.getByTestId('rule-for').inputValue(), UI).toBe('5m');
      const after = (await groups()).items[0]!;
      expect(after).toMatchObject({ revision: 3, rules: [{ id: ruleId, for: '5m' }] });
    });

    await step('alert-links-rule', async () => {
      // An alert the rendered rule raised carries its opsfleet_rule label: its page links back.
      const { key } = await session.server.identity.createApiKey('admin', 'vmalert', 'ingest');
      const labels = { alertname: 'HalfTheTime', severity: 'warning', opsfleet_rule: ruleId };
      const sent = await fetch(`${session.serverUrl}/api/v1/webhooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ name: 'HalfTheTime', labels, status: 'firing' }),
      });
      expect(sent.status, await sent.text()).toBe(202);
      const listed = await session.apiGet<{
        items: { fingerprint: string; labels: Record<string, string> }[];
      }>('/api/v1/alerts?limit=50');
      const alert = listed.items.find((a) => a.labels.opsfleet_rule === ruleId);
      expect(alert).toBeDefined();
      await page.goto(`${session.baseUrl}/alerts/${alert!.fingerprint}`);
      const link = page.getByTestId('alert-rule-link');
      await expect.poll(() => link.textContent(), UI).toBe('half-the-time / HalfTheTime');
      await link.click();
      await expect.poll(() => new URL(page.url()).pathname, UI).toMatch(/^\/alerting-rules\/[0-9a-f-]{36}$/);
    });
  });
});
