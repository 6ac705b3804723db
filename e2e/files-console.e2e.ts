import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSession, keepScreenshots, openConsoleSession } from './console-session.ts';
import { peerAvailable } from './peers.ts';

/**
 * The file pipeline's pages in a real browser against a real server and its task runner. In the
 * console an admin creates a webhook action (a URL the server refuses is shown on its field) and
 * a routing rule for heap dumps; an agent then reports three files with its own key, late and out
 * of order as agents do. The files list filtered by state and path shows the right ones, the
 * dump's page its three-report timeline, its object link and the webhook task, which fails on
 * the receiver's 400; its task page shows the answer in the output, a Retry through the UI makes
 * it done once the receiver accepts, and a second Retry is refused with the server's reason. A
 * viewer sees the same pages without any write button. Screenshots land in
 * test-artifacts/files-console/; with OPSFLEET_SCREENSHOTS=docs/screenshots the overview and the
 * task page are copied there as files-overview.png and file-task.png.
 */

const SUITE = 'files-console';
const UI = { timeout: 20_000, interval: 250 };
const KEPT: Record<string, string> = { overview: 'files-overview.png', retried: 'file-task.png' };
const VIEWER_PASSWORD = 'viewer-password-1';

interface Receiver {
  url: string;
  status: number;
  bodies: { type: string; file: { path: string } }[];
  close(): Promise<void>;
}

/** The webhook's receiver: answers `status`, keeps what it got. */
async function startReceiver(): Promise<Receiver> {
  const state = { status: 400, bodies: [] as Receiver['bodies'] };
  const server: HttpServer = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    req.on('end', () => {
      state.bodies.push(JSON.parse(text));
      res.writeHead(state.status, { 'content-type': 'text/plain' }).end(state.status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    get bodies() {
      return state.bodies;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const DUMP = 'app-1/heap-0001.hprof';

/** The agent's reports: the dump uploaded (its uploaded report arriving before its first), a log
 * detected, another dump failed. */
function reports() {
  const dump = {
    id: 'f-dump',
    source: 'dumps',
    path: DUMP,
    size: 7_340_032,
    mtime: at(0),
    labels: { team: 'core' },
  };
  const object = {
    bucket: 'heaps',
    key: `dumps/${DUMP}`,
    url: `https://s3.example.com/heaps/dumps/${DUMP}`,
    etag: '"abc"',
    size: 7_340_032,
  };
  return [
    { ...dump, state: 'uploaded', seq: 3, at: at(30), bytesUploaded: 7_340_032, object },
    { ...dump, state: 'detected', seq: 1, at: at(5) },
    { ...dump, state: 'uploading', seq: 2, at: at(10), bytesUploaded: 5_242_880 },
    {
      id: 'f-log',
      source: 'logs',
      path: 'app-1/gc.log',
      size: 1200,
      mtime: at(0),
      state: 'detected',
      seq: 1,
      at: at(6),
    },
    {
      id: 'f-bad',
      source: 'dumps',
      path: 'app-2/heap-0002.hprof',
      size: 10,
      mtime: at(0),
      state: 'failed',
      seq: 2,
      at: at(20),
      error: 'AccessDenied: the bucket refused the upload',
    },
  ];
}

describe.runIf(peerAvailable('chromium', 'chromium'))('the file pipeline console in Chromium', () => {
  let session: ConsoleSession;
  let receiver: Receiver;
  let agentKey = '';

  beforeAll(async () => {
    receiver = await startReceiver();
    session = await openConsoleSession({ suite: SUITE, server: { outboundAllow: ['127.0.0.1/32'] } });
    ({ key: agentKey } = await session.server.identity.createApiKey('admin', 'dump-host', 'agent'));
    await session.server.identity.createUser('admin', 'watcher', VIEWER_PASSWORD, 'viewer');
  });

  afterAll(async () => {
    await session?.close();
    await receiver?.close();
    keepScreenshots(SUITE, KEPT);
  });

  it('configures an action and a rule, shows the files, and retries a failed task', async () => {
    const { page, step } = session;
    let taskUrl = '';

    await step('action', async () => {
      await session.logIn();
      await page.getByTestId('nav-files').click();
      await page.getByTestId('files-overview').waitFor();
      await page.getByTestId('files-section-actions').click();
      await page.getByTestId('file-action-new').click();
      await page.getByTestId('file-action-name').fill('notify-hook');
      await page.getByTestId('file-action-url').fill('ftp://files.example.com/');
      await page.getByTestId('file-action-attempts').fill('1');
      session.expectErrors(/422/);
      await page.getByTestId('file-action-form-submit').click();
      // The server's refusal, on the field it is about.
      const urlItem = page.locator('.ant-form-item').filter({ has: page.getByTestId('file-action-url') });
      await expect
        .poll(() => urlItem.locator('.ant-form-item-explain-error').textContent(), UI)
        .toContain('http(s)');
      session.expectErrors();
      await page.getByTestId('file-action-url').fill(receiver.url);
      await page.getByTestId('file-action-secret').fill('hook-secret');
      await page.getByTestId('file-action-form-submit').click();
      await page.getByTestId('file-action-row-notify-hook').waitFor();
      await page.getByTestId('file-action-row-notify-hook').getByTestId('file-action-edit').click();
      // Write-only: the edit form says a secret is stored and shows none of it.
      expect(await page.getByTestId('file-action-secret-state').textContent()).toBe('set');
      expect(await page.getByTestId('file-action-secret').inputValue()).toBe('');
      await page.locator('.ant-modal-footer button:visible').filter({ hasText: 'Cancel' }).click();
    });

    await step('route', async () => {
      await page.getByTestId('files-section-routes').click();
      await page.getByTestId('file-route-new').click();
      await page.getByTestId('file-route-name').fill('heap dumps');
      await page.getByTestId('file-route-path').fill('**/*.hprof');
      await session.pick('file-route-actions', 'notify-hook');
      await page.getByTestId('file-route-name').click();
      await page.getByTestId('file-route-form-submit').click();
      const row = page.getByTestId('file-route-row-heap dumps');
      await row.waitFor();
      expect(await row.textContent()).toContain('path **/*.hprof');
      const routes = await session.apiGet<{ match: unknown; actionIds: string[] }[]>('/api/v1/files/routes');
      expect(routes).toMatchObject([{ match: { pathGlob: '**/*.hprof' }, mode: 'sequence' }]);
    });

    await step('files', async () => {
      const res = await fetch(`${session.serverUrl}/api/v1/agent/files/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': agentKey },
        body: JSON.stringify({ events: reports() }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      await page.getByTestId('files-section-list').click();
      const rows = page.locator('[data-testid^="file-row-"]');
      await expect.poll(() => rows.count(), UI).toBe(3);
      await page.getByTestId('files-filter-path').locator('input').fill('hprof');
      await page.getByTestId('files-filter-path').locator('input').press('Enter');
      await expect.poll(() => rows.count(), UI).toBe(2);
      await session.pick('files-filter-state', 'uploaded');
      await expect.poll(() => rows.count(), UI).toBe(1);
      expect(await page.getByTestId(`file-row-${DUMP}`).getAttribute('data-status')).toBe('uploaded');
      // The filter is in the address: a reload shows the same list.
      expect(page.url()).toContain('state=uploaded');
      expect(page.url()).toContain('path=hprof');
      await page.reload();
      await expect.poll(() => rows.count(), UI).toBe(1);
    });

    await step('file', async () => {
      await page.getByTestId(`file-row-${DUMP}`).getByTestId('file-open').click();
      const file = page.getByTestId('file-page');
      await file.waitFor();
      expect(await file.getAttribute('data-state')).toBe('uploaded');
      for (const [seq, state] of [
        [1, 'detected'],
        [2, 'uploading'],
        [3, 'uploaded'],
      ] as const)
        expect(await page.getByTestId(`file-timeline-${seq}`).getAttribute('data-state')).toBe(state);
      expect(await page.getByTestId('file-object').getAttribute('href')).toBe(
        `https://s3.example.com/heaps/dumps/${DUMP}`,
      );
      // The runner routes the dump and the receiver's 400 fails its only attempt.
      const task = page.getByTestId('file-task-notify-hook');
      await expect.poll(() => task.getAttribute('data-status'), UI).toBe('failed');
      expect(receiver.bodies.map((b) => b.file.path)).toEqual([DUMP]);
    });

    await step('failed-task', async () => {
      await page.getByTestId('file-task-notify-hook').getByTestId('file-task-open').click();
      const task = page.getByTestId('file-task-page');
      await task.waitFor();
      taskUrl = page.url();
      expect(await task.getAttribute('data-state')).toBe('failed');
      expect(await page.getByTestId('file-task-output').textContent()).toContain('HTTP 400');
      expect(await page.getByTestId('file-task-error').textContent()).toContain('HTTP 400');
    });

    await step('retried', async () => {
      receiver.status = 200;
      await page.getByTestId('file-task-retry').click();
      const task = page.getByTestId('file-task-page');
      await expect.poll(() => task.getAttribute('data-state'), UI).toBe('done');
      expect(receiver.bodies).toHaveLength(2);
      expect(await page.getByTestId('file-task-history-done').count()).toBe(1);
      expect(await page.getByTestId('file-task-cancel').isDisabled()).toBe(true);
    });

    await step('retry-refused', async () => {
      session.expectErrors(/409/);
      await page.getByTestId('file-task-retry').click();
      await page.getByTestId('file-task-refusal').waitFor();
      expect(await page.getByTestId('file-task-refusal').textContent()).toMatch(/\w/);
      session.expectErrors();
    });

    await step('trigger', async () => {
      await page.getByTestId('file-task-file').click();
      await page.getByTestId('file-page').waitFor();
      await session.pick('file-trigger-action', 'notify-hook');
      await page.getByTestId('file-trigger').click();
      const tasks = page.getByTestId('file-task-notify-hook');
      await expect.poll(() => tasks.count(), UI).toBe(2);
      await expect.poll(() => receiver.bodies.length, UI).toBe(3);
    });

    await step('overview', async () => {
      await page.getByTestId('nav-files').click();
      const overview = page.getByTestId('files-overview');
      await overview.waitFor();
      await expect.poll(() => overview.getAttribute('data-loaded'), UI).toBe('1h');
      await page.getByTestId('files-window').getByText('7d').click();
      await expect.poll(() => overview.getAttribute('data-loaded'), UI).toBe('7d');
      // The agent's two watched folders, whichever of the report times the window goes by.
      await expect.poll(() => page.locator('[data-testid^="files-source-"]').count(), UI).toBe(2);
    });

    await step('viewer', async () => {
      await page.getByTestId('logout').click();
      await page.getByTestId('login-username').fill('watcher');
      await page.getByTestId('login-password').fill(VIEWER_PASSWORD);
      await page.getByTestId('login-submit').click();
      // A login lands back on the page it left.
      await expect.poll(() => page.getByTestId('current-user').textContent(), UI).toBe('watcher');
      await page.getByTestId('files-section-actions').click();
      await page.getByTestId('file-action-row-notify-hook').waitFor();
      expect(await page.getByTestId('file-action-new').count()).toBe(0);
      expect(await page.getByTestId('file-action-edit').count()).toBe(0);
      await page.getByTestId('files-section-routes').click();
      await page.getByTestId('file-route-row-heap dumps').waitFor();
      expect(await page.getByTestId('file-route-new').count()).toBe(0);
      await page.goto(taskUrl);
      await page.getByTestId('file-task-page').waitFor();
      expect(await page.getByTestId('file-task-retry').count()).toBe(0);
      expect(await page.getByTestId('file-task-cancel').count()).toBe(0);
      await page.getByTestId('file-task-file').click();
      await page.getByTestId('file-page').waitFor();
      expect(await page.getByTestId('file-trigger').count()).toBe(0);
    });
  });
});
