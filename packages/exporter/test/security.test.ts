import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, silentLogger } from '@opsfleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExporterConfig } from '../src/config/load.ts';
import { createExporter, type Exporter } from '../src/exporter.ts';
import { MappingCatalog } from '../src/mappings/catalog.ts';
import { resourceVocabulary } from '../src/providers/index.ts';

/**
 * The exporter's HTTP port as other hosts meet it: admin endpoints refused to a remote caller
 * unless admin auth is on (and then only with credentials, changed by a reload), admin auth on
 * without credentials, bad shard settings and a bad listen address refused at start, and an
 * alias bomb in a watched file rejected by the reload.
 */
const CLI = join(import.meta.dirname, '../../cli/bin/opsfleet.mjs');
const ADMIN = [
  '/status',
  '/collect',
  '/api/discovery/config',
  '/api/discovery/status',
  '/api/status',
  '/api/config',
];
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

function files(server: string, accounts = 'accounts: {}\n') {
  const dir = mkdtempSync(join(tmpdir(), 'exporter-security-'));
  writeFileSync(join(dir, 'server.yaml'), server);
  writeFileSync(join(dir, 'accounts.yaml'), accounts);
  return {
    dir,
    env: { SERVER_PATH: join(dir, 'server.yaml'), ACCOUNTS_PATH: join(dir, 'accounts.yaml') } as Record<
      string,
      string
    >,
  };
}

/** An exporter on `env`'s files that schedules nothing; `reload` lets it re-read them. */
function exporterOn(env: Record<string, string>, reload = true): Promise<Exporter> {
  const load = () => loadExporterConfig(resourceVocabulary(), env);
  return createExporter({
    config: load(),
    catalog: new MappingCatalog(),
    providers: [],
    log: silentLogger(),
    env,
    schedule: false,
    ...(reload ? { loadConfig: load } : {}),
  });
}

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('admin endpoints', () => {
  let exporter: Exporter;
  const { dir, env } = files('server:\n  page_size: 1000\n');
  const get = (url: string, opts: { remote?: boolean; headers?: Record<string, string> } = {}) =>
    exporter.app.inject({
      method: 'GET',
      url,
      headers: opts.headers ?? {},
      ...(opts.remote ? { remoteAddress: '203.0.113.7' } : {}),
    });

  beforeAll(async () => {
    exporter = await exporterOn(env);
  });

  afterAll(async () => {
    await exporter?.close();
  });

  it('answers a remote caller without admin auth with 403 saying how to open them; /metrics stays public', async () => {
    for (const url of ADMIN) {
      const res = await get(url, { remote: true, headers: { 'x-forwarded-for': '127.0.0.1' } });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().detail).toMatch(/only on loopback.*admin_auth_enabled/);
    }
    for (const url of ['/-/reload', '/api/config/reload', '/api/discovery/refresh']) {
      const post = await exporter.app.inject({ method: 'POST', url, remoteAddress: '10.1.2.3' });
      expect(post.statusCode, url).toBe(403);
    }
    expect((await get('/metrics', { remote: true })).statusCode).toBe(200);
    expect((await get('/healthz', { remote: true })).statusCode).toBe(200);
    expect((await get('/status')).statusCode).toBe(200);
  });

  it('takes admin credentials from a reload, for remote and local callers alike, and drops them the same way', async () => {
    writeFileSync(
      join(dir, 'server.yaml'),
      'server:\n  page_size: 1000\n  admin_auth_enabled: true\n  admin_auth: [{ username: ops, password: s3cret-pass }]\n',
    );
    expect(await exporter.reload()).toEqual({ ok: true });
    expect((await get('/status')).statusCode).toBe(401);
    expect(
      (await get('/status', { remote: true, headers: { authorization: basic('ops', 'nope') } })).statusCode,
    ).toBe(403);
    expect(
      (await get('/status', { remote: true, headers: { authorization: basic('ops', 's3cret-pass') } }))
        .statusCode,
    ).toBe(200);
    writeFileSync(join(dir, 'server.yaml'), 'server:\n  page_size: 1000\n');
    expect(await exporter.reload()).toEqual({ ok: true });
    expect((await get('/status')).statusCode).toBe(200);
    expect((await get('/status', { remote: true })).statusCode).toBe(403);
  });

  it('rejects an alias bomb in a watched file and keeps the running configuration', async () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
      'accounts: {}',
    ].join('\n');
    writeFileSync(join(dir, 'accounts.yaml'), bomb);
    const result = await exporter.reload();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]!.message).toMatch(/alias bomb/);
    expect((await get('/healthz')).statusCode).toBe(200);
    writeFileSync(join(dir, 'accounts.yaml'), 'accounts: {}\n');
  });
});

describe("the seed's endpoint spellings", () => {
  it('answer as the public ones do, and /api/config shows no secret', async () => {
    const { env } = files(
      'server:\n  page_size: 1000\n  admin_auth_enabled: true\n  admin_auth: [{ username: ops, password: s3cret-pass }]\n',
      'accounts:\n  aliyun:\n    - account_id: prod\n      access_key_id: LTAI5tAbCdEfGh\n      access_key_secret: very-secret-sk\n      regions: [cn-hangzhou]\n      resources: [clb]\n',
    );
    const exporter = await exporterOn(env);
    try {
      const auth = { authorization: basic('ops', 's3cret-pass') };
      const call = (method: 'GET' | 'POST', url: string) =>
        exporter.app.inject({ method, url, headers: auth });
      expect((await call('GET', '/api/status')).json()).toEqual((await call('GET', '/status')).json());
      expect((await call('POST', '/api/config/reload')).json()).toMatchObject({ status: 'reloaded' });
      expect((await call('POST', '/api/discovery/refresh')).json()).toMatchObject({ status: 'refreshed' });
      const shown = await call('GET', '/api/config');
      expect(shown.statusCode).toBe(200);
      expect(shown.body).not.toContain('very-secret-sk');
      expect(shown.body).not.toContain('s3cret-pass');
      expect(shown.body).not.toContain('LTAI5tAbCdEfGh');
      expect(shown.json()).toMatchObject({
        admin_users: ['ops'],
        accounts: [
          { provider: 'aliyun', account_id: 'prod', access_key_id: 'LTAI********', regions: ['cn-hangzhou'] },
        ],
      });
    } finally {
      await exporter.close();
    }
  });
});

describe('settings refused at start', () => {
  it('refuses admin auth switched on without credentials, in server.yaml or the environment', () => {
    const { env } = files('server:\n  admin_auth_enabled: true\n');
    expect(problemsOf(() => loadExporterConfig(resourceVocabulary(), env))).toEqual([
      { path: 'accounts.yaml: server.admin_auth', message: expect.stringMatching(/lists no credentials/) },
    ]);
    const viaEnv = { ...files('server: {}\n').env, ADMIN_AUTH_ENABLED: 'true', ADMIN_USERNAME: 'ops' };
    expect(problemsOf(() => loadExporterConfig(resourceVocabulary(), viaEnv))).toEqual([
      { path: 'accounts.yaml: ADMIN_USERNAME/ADMIN_PASSWORD', message: expect.stringMatching(/no password/) },
    ]);
    const none = { ...files('server: {}\n').env, ADMIN_AUTH_ENABLED: '1' };
    expect(problemsOf(() => loadExporterConfig(resourceVocabulary(), none))[0]).toMatchObject({
      path: 'accounts.yaml: ADMIN_AUTH_ENABLED',
      message: expect.stringMatching(/set ADMIN_AUTH/),
    });
  });

  it('refuses a shard index outside the fleet and a listen address that is not one', () => {
    const { env } = files('server:\n  listen_address: "my host"\n');
    const problems = problemsOf(() =>
      loadExporterConfig(resourceVocabulary(), { ...env, EXPORT_SHARD_TOTAL: '3', EXPORT_SHARD_INDEX: '3' }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'accounts.yaml: server.listen_address',
      'accounts.yaml: EXPORT_SHARD_INDEX',
    ]);
  });

  it('binds the configured listen address', async () => {
    const { env } = files('server:\n  listen_address: 127.0.0.1\n');
    const exporter = await exporterOn(env, false);
    try {
      expect(await exporter.listen(0)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await exporter.close();
    }
  });

  it('exits 2 from the command line, naming the field', async () => {
    const { env } = files('server:\n  admin_auth_enabled: true\n');
    const run = (args: string[], extra: Record<string, string> = {}) =>
      promisify(execFile)(process.execPath, [CLI, 'exporter', ...args], {
        env: { ...process.env, ...env, ...extra },
      }).catch((e: { code: number; stderr: string }) => e);
    const auth = (await run([])) as { code: number; stderr: string };
    expect(auth.code).toBe(2);
    expect(auth.stderr).toMatch(/server\.admin_auth: admin_auth_enabled is true/);
    const shard = (await run([], { EXPORT_SHARD_TOTAL: '0' })) as { code: number; stderr: string };
    expect(shard.code).toBe(2);
    expect(shard.stderr).toMatch(/EXPORT_SHARD_TOTAL: must be the number of replicas/);
    const flag = (await run(['--web.listen-address', 'nowhere'])) as { code: number; stderr: string };
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--web.listen-address: expected host:port/);
    // Three cold starts of the command through tsx: seconds each, many on a busy machine.
  }, 120_000);
});
