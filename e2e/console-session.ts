import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@opsfleet/core';
import { createServer, openDatabase, type Server, type ServerOptions } from '@opsfleet/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { freePort, stopProcess, waitFor } from './peers.ts';

/**
 * What the console stories share: the built console (packages/web) against an in-process server
 * with a fresh database, and one Chromium page on it whose console errors fail the story.
 */

const ROOT = join(import.meta.dirname, '..');
const WEB = join(ROOT, 'packages/web');
const CHROMIUM = '/usr/lib/chromium/chromium';
export const ADMIN_PASSWORD = 'admin-password-1';

export interface ConsoleSession {
  server: Server;
  serverUrl: string;
  /** The console: the server itself, or vite preview proxying to it. */
  baseUrl: string;
  page: Page;
  /** One step of the story: a screenshot after it, or one named `-failed` when it throws. */
  step(name: string, body: () => Promise<void>): Promise<void>;
  /**
   * Console errors the next steps provoke on purpose (Chromium logs every 4xx answer as one);
   * replaces the previous allowance, so `expectErrors()` ends it.
   */
  expectErrors(...patterns: RegExp[]): void;
  /** Through the login form as the admin; resolves on the overview, where a login lands. */
  logIn(): Promise<void>;
  /** The API as the admin, to check what the console stored. */
  apiGet<T>(path: string): Promise<T>;
  /** Picks an option of the antd Select with `testId` by its label, from the open dropdown. */
  pick(testId: string, label: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConsoleSessionOptions {
  /** Names the screenshots folder, test-artifacts/<suite>/, emptied first. */
  suite: string;
  /** Server settings a story needs shorter than the defaults (e.g. `agents.offlineAfterMs`). */
  server?: Pick<ServerOptions, 'agents' | 'outboundAllow' | 'notifyRetry'>;
}

export async function openConsoleSession({
  suite,
  server: serverOptions,
}: ConsoleSessionOptions): Promise<ConsoleSession> {
  const shots = join(ROOT, 'test-artifacts', suite);
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  // vitest sets NODE_ENV=test, which would make vite bundle React's development build.
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: WEB,
    stdio: 'pipe',
    env: { ...process.env, NODE_ENV: 'production' },
  });

  const dir = mkdtempSync(join(tmpdir(), `e2e-${suite}-`));
  let server: Server | undefined;
  let preview: ChildProcess | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await stopProcess(preview);
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  // The caller gets no session to close when opening fails, so what was started ends here.
  try {
    const database = await openDatabase({ dataDir: join(dir, 'server-data') });
    server = await createServer({
      database,
      log: silentLogger(),
      adminPassword: ADMIN_PASSWORD,
      housekeepingMs: 0,
      ...serverOptions,
    });
    const port = await freePort();
    await server.listen(port, '127.0.0.1');
    const serverUrl = `http://127.0.0.1:${port}`;
    const served = await serveConsole(serverUrl);
    preview = served.preview;

    const login = await fetch(`${serverUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { accessToken: string }).accessToken;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(10_000);
    const browserErrors: string[] = [];
    let expectedErrors: RegExp[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedErrors.some((re) => re.test(message.text())))
        browserErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (err) => browserErrors.push(`page: ${err.message}`));

    let shot = 0;
    return {
      server,
      serverUrl,
      baseUrl: served.url,
      page,
      async step(name, body) {
        const file = `${String(++shot).padStart(2, '0')}-${name}`;
        try {
          await body();
        } catch (err) {
          await page
            .screenshot({ path: join(shots, `${file}-failed.png`), fullPage: true })
            .catch(() => undefined);
          throw err;
        }
        await page.screenshot({ path: join(shots, `${file}.png`), fullPage: true, animations: 'disabled' });
        expect(browserErrors, 'errors in the browser console').toEqual([]);
      },
      expectErrors(...patterns) {
        expectedErrors = patterns;
      },
      async logIn() {
        await page.goto(`${served.url}/`);
        await page.getByTestId('login-username').fill('admin');
        await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
        await page.getByTestId('login-submit').click();
        await page.getByTestId('overview').waitFor();
      },
      async apiGet<T>(path: string) {
        const res = await fetch(`${serverUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, `GET ${path}`).toBe(200);
        return (await res.json()) as T;
      },
      async pick(testId, label) {
        await page.getByTestId(testId).click();
        const option = page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${label}"]`);
        await option.click();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The server serves the built console at `/` once that is wired; until then, vite preview does. */
async function serveConsole(serverUrl: string): Promise<{ url: string; preview?: ChildProcess }> {
  const own = await fetch(`${serverUrl}/`)
    .then(async (r) => (r.ok && (await r.text()).includes('opsfleet-console') ? serverUrl : undefined))
    .catch(() => undefined);
  if (own) return { url: own };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const preview = spawn(
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
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  preview.stdout.on('data', keep);
  preview.stderr.on('data', keep);
  // Through the proxy the server answers 401 (no token): both halves are up.
  await waitFor(
    'vite preview',
    async () => ((await fetch(`${url}/api/v1/auth/me`)).status === 401 ? true : undefined),
    20_000,
  ).catch(async (err: Error) => {
    await stopProcess(preview);
    throw new Error(`${err.message}:\n${output}`);
  });
  return { url, preview };
}

/**
 * With OPSFLEET_SCREENSHOTS=docs/screenshots, copies a story's screenshots the docs show there:
 * `kept` maps a step's name to the docs' file name. A step that threw left
 * `NN-<step>-failed.png`, which is never kept.
 */
export function keepScreenshots(suite: string, kept: Record<string, string>): void {
  const wanted = process.env.OPSFLEET_SCREENSHOTS;
  if (!wanted) return;
  const shots = join(ROOT, 'test-artifacts', suite);
  mkdirSync(join(ROOT, wanted), { recursive: true });
  for (const file of readdirSync(shots)) {
    const match = Object.entries(kept).find(([step]) => new RegExp(`^\\d+-${step}\\.png$`).test(file));
    if (match) copyFileSync(join(shots, file), join(ROOT, wanted, match[1]));
  }
}
