import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingHttpHeaders,
} from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, openConsoleSession } from './console-session.ts';
import { freePort, peerAvailable, waitFor } from './peers.ts';

/**
 * The notification pages of the console in a real browser, against an in-process server: a
 * webhook channel pointed at a receiver in this test (Send test reaches it), a template set
 * previewed as it is typed (and a broken one named), a rule sending to the channel with that
 * set, and the delivery log and dead letters listed. Screenshots land in
 * test-artifacts/notify-console/.
 */

const CHANNEL = 'e2e-hook';
const TEMPLATES = 'e2e-short';
const RULE = 'e2e-db';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface ChannelAnswer {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
}

interface TemplateSetAnswer {
  id: string;
  name: string;
  templates: Record<string, { title: string; body: string }>;
}

interface RuleAnswer {
  id: string;
  name: string;
  enabled: boolean;
  matchers: unknown[];
  groupBy: string[];
  steps: { afterMinutes: number; channelIds: string[] }[];
  templateId: string | null;
}

describe.runIf(peerAvailable('chromium', 'chromium'))('the notification console in Chromium', () => {
  let session: ConsoleSession;
  let receiver: HttpServer | undefined;
  let receiverUrl = '';
  const received: Received[] = [];

  /** A webhook receiver that records every request and answers 200. */
  async function startReceiver(): Promise<void> {
    receiver = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => receiver!.listen(port, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${port}`;
  }

  beforeAll(async () => {
    await startReceiver();
    session = await openConsoleSession({
      suite: 'notify-console',
      // The test's receiver is on loopback, which the server refuses unless allowed.
      server: { outboundAllow: ['127.0.0.1/32'] },
    });
  });

  afterAll(async () => {
    await session?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  it('logs in and opens the channels page from the Notifications menu', async () => {
    const { page, step, logIn } = session;
    await step('channels-empty', async () => {
      await logIn();
      await page.getByTestId('nav-notify-channels').click();
      await page.getByTestId('channels-table').waitFor();
      expect(new URL(page.url()).pathname).toBe('/notify/channels');
    });
  });

  it('creates a webhook channel and sends a test message to the receiver', async () => {
    const { page, step, apiGet } = session;
    await step('channel-form', async () => {
      await page.getByTestId('channel-new').click();
      await page.getByTestId('channel-name').fill(CHANNEL);
      // A new channel starts as a webhook with its example configuration.
      expect(await page.getByTestId('channel-config').inputValue()).toContain('"url"');
      await page
        .getByTestId('channel-config')
        .fill(JSON.stringify({ url: `${receiverUrl}/hook`, secret: 's3cret-e2e', headers: {} }, null, 2));
    });
    await step('channel-created', async () => {
      await page.getByTestId('channel-form-submit').click();
      const row = page.getByTestId(`row-${CHANNEL}`);
      await row.waitFor();
      expect(await row.textContent()).toContain('webhook');
      const channels = await apiGet<ChannelAnswer[]>('/api/v1/notify/channels');
      const stored = channels.find((c) => c.name === CHANNEL);
      expect(stored).toMatchObject({ kind: 'webhook', config: { url: `${receiverUrl}/hook` } });
      // The secret comes back masked, never as written.
      expect(JSON.stringify(stored?.config)).not.toContain('s3cret-e2e');
    });
    await step('channel-test-sent', async () => {
      await page.getByTestId(`channel-test-${CHANNEL}`).click();
      const ok = page.getByTestId('channel-test-ok');
      await ok.waitFor();
      expect(await ok.textContent()).toContain(CHANNEL);
      await waitFor(
        'the test message at the receiver',
        async () => (received.length > 0 ? true : undefined),
        5_000,
      );
      expect(received[0]?.path).toBe('/hook');
      expect(received[0]?.headers['x-opsfleet-idempotency-key']).toBeTruthy();
      // Signed with the stored secret, which the masked answer did not reveal.
      expect(received[0]?.headers['x-opsfleet-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    });
  });

  it('keeps the stored secret when the channel is edited as shown', async () => {
    const { page, step } = session;
    await step('channel-edited', async () => {
      await page.getByTestId(`channel-edit-${CHANNEL}`).click();
      const config = page.getByTestId('channel-config');
      await expect.poll(() => config.inputValue()).toContain('••••••');
      await page.getByTestId('channel-form-submit').click();
      await page.getByTestId('channel-config').waitFor({ state: 'hidden' });
      const before = received.length;
      await page.getByTestId(`channel-test-${CHANNEL}`).click();
      await waitFor(
        'a second test message',
        async () => (received.length > before ? true : undefined),
        5_000,
      );
      expect(received[before]?.headers['x-opsfleet-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    });
  });

  it('creates a template set, previewing it as it is typed and naming a part that does not parse', async () => {
    const { page, step, expectErrors, apiGet } = session;
    await step('template-preview', async () => {
      await page.getByTestId('nav-notify-templates').click();
      await page.getByTestId('templates-table').waitFor();
      await page.getByTestId('template-new').click();
      await page.getByTestId('template-name').fill(TEMPLATES);
      // The defaults are filled in and previewed with the sample alert.
      await expect.poll(() => page.getByTestId('template-title-firing').inputValue()).toContain('{{');
      await page.getByTestId('template-title-firing').fill('[E2E] {{groupName}} x{{count}}');
      await expect
        .poll(() => page.getByTestId('template-preview-title').textContent())
        .toBe('[E2E] DiskFull x1');
    });
    expectErrors(/status of 400/);
    await step('template-broken', async () => {
      await page.getByTestId('template-body-firing').fill('{% for alert in alerts %}- {{ alert.name }}');
      const error = page.getByTestId('template-preview-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/body: .*tag .* not closed/);
    });
    expectErrors();
    await step('template-fixed', async () => {
      await page
        .getByTestId('template-body-firing')
        .fill('{% for alert in alerts %}- {{ alert.name }} on {{ alert.labels.instance }}\n{% endfor %}');
      await page.getByTestId('template-preview-error').waitFor({ state: 'detached' });
      await expect
        .poll(() => page.getByTestId('template-preview-markdown').textContent())
        .toContain('- DiskFull on db-1');
    });
    await step('template-created', async () => {
      await page.getByTestId('template-form-submit').click();
      const row = page.getByTestId(`row-${TEMPLATES}`);
      await row.waitFor();
      expect(await row.textContent()).toContain('firing');
      const sets = await apiGet<TemplateSetAnswer[]>('/api/v1/notify/templates');
      const stored = sets.find((s) => s.name === TEMPLATES);
      // Only the event that differs from the defaults is stored as an override.
      expect(Object.keys(stored?.templates ?? {})).toEqual(['firing']);
      expect(stored?.templates.firing?.title).toBe('[E2E] {{groupName}} x{{count}}');
    });
  });

  it('creates a rule that notifies the channel with the template set', async () => {
    const { page, step, apiGet, pick } = session;
    await step('rule-form', async () => {
      await page.getByTestId('nav-notify-rules').click();
      await page.getByTestId('rules-table').waitFor();
      await page.getByTestId('rule-new').click();
      await page.getByTestId('rule-name').fill(RULE);
      await page.getByTestId('rule-matchers').click();
      await page.keyboard.type('team="db"');
      await page.keyboard.press('Enter');
      await page.getByTestId('rule-matchers').getByText('team="db"').waitFor();
      await pick('rule-step-0-channels', CHANNEL);
      await page.getByTestId('rule-name').click();
      await pick('rule-template', TEMPLATES);
    });
    await step('rule-created', async () => {
      await page.getByTestId('rule-form-submit').click();
      const row = page.getByTestId(`row-${RULE}`);
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      expect(text).toContain('team="db"');
      expect(text).toContain(CHANNEL);
      const channel = (await apiGet<ChannelAnswer[]>('/api/v1/notify/channels')).find(
        (c) => c.name === CHANNEL,
      );
      const set = (await apiGet<TemplateSetAnswer[]>('/api/v1/notify/templates')).find(
        (s) => s.name === TEMPLATES,
      );
      const rule = (await apiGet<RuleAnswer[]>('/api/v1/notify/rules')).find((r) => r.name === RULE);
      expect(rule).toMatchObject({
        enabled: true,
        matchers: ['team="db"'],
        groupBy: ['alertname'],
        steps: [{ afterMinutes: 0, channelIds: [channel?.id] }],
        templateId: set?.id,
      });
    });
    await step('rule-disabled', async () => {
      await page.getByTestId(`rule-enabled-${RULE}`).click();
      await expect
        .poll(
          async () =>
            (await apiGet<RuleAnswer[]>('/api/v1/notify/rules')).find((r) => r.name === RULE)?.enabled,
        )
        .toBe(false);
    });
  });

  it('shows the delivery log and the dead letters', async () => {
    const { page, step } = session;
    await step('deliveries', async () => {
      await page.getByTestId('nav-notify-deliveries').click();
      await page.getByTestId('deliveries-table').locator('.ant-table-tbody').waitFor();
      await page.getByTestId('deliveries-status').waitFor();
      await page.getByTestId('deliveries-auto').click();
      expect(await page.getByTestId('deliveries-auto').getAttribute('aria-checked')).toBe('true');
      expect(new URL(page.url()).pathname).toBe('/notify/deliveries');
    });
    await step('dead-letters', async () => {
      await page.getByTestId('nav-notify-dead-letters').click();
      await page.getByTestId('dead-letters-table').locator('.ant-table-tbody').waitFor();
      expect(new URL(page.url()).pathname).toBe('/notify/dead-letters');
    });
  });
});
