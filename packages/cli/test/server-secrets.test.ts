import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../bin/opsfleet.mjs');
const run = promisify(execFile);

/**
 * `opsfleet server` with a bad secret: one line naming the variable and how to make a good one,
 * exit 2, and nothing created (no data directory, no database, no generated key).
 */
describe('opsfleet server refuses unusable secrets before creating anything', () => {
  const start = async (env: Record<string, string>, dataDir?: string) => {
    const dir = dataDir ?? join(mkdtempSync(join(tmpdir(), 'opsfleet-secrets-')), 'data');
    const err = await run(process.execPath, [CLI, 'server', '--listen', '127.0.0.1:0'], {
      env: { PATH: process.env.PATH, DATA_DIR: dir, ...env },
      timeout: 60_000,
    }).catch((e) => e);
    return { code: err.code, stderr: String(err.stderr ?? ''), dir };
  };

  it.each([
    [
      { ENCRYPTION_KEY: 'too-short' },
      /^opsfleet server: ENCRYPTION_KEY must be 32 bytes .*openssl rand -base64 32\n$/,
    ],
    [
      { ENCRYPTION_KEY_FILE: '/nonexistent/opsfleet.key' },
      /^opsfleet server: ENCRYPTION_KEY_FILE names \/nonexistent\/opsfleet\.key, which does not exist\n$/,
    ],
    [{ ENCRYPTION_KEY_PREVIOUS: 'abcd' }, /^opsfleet server: ENCRYPTION_KEY_PREVIOUS must be 32 bytes/],
    [
      { AUTH_SECRET: 'short' },
      /^opsfleet server: AUTH_SECRET must be at least 32 bytes.*openssl rand -base64 48/,
    ],
  ])('%j', async (env, message) => {
    const r = await start(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.(ts|js|mjs):\d+/);
    expect(existsSync(r.dir)).toBe(false);
  });

  it('names a damaged generated key file and leaves the data directory as it was', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'opsfleet-secrets-')), 'data');
    mkdirSync(dir);
    writeFileSync(join(dir, 'encryption.key'), 'garbage\n');
    const r = await start({}, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^opsfleet server: .*encryption\.key must be 32 bytes/);
    expect(readdirSync(dir)).toEqual(['encryption.key']);
  });
});
