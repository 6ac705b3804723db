import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, formatConsoleLine, pruneRotated, REDACT_PATHS, silentLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, polling; fails after `ms`. */
async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(20);
  }
}

const SECRETS = {
  access_key_secret: 'S01',
  account: { access_key_secret: 'S02', password: 'S03', accessKeySecret: 'S04' },
  headers: { authorization: 'Basic S05', Authorization: 'Basic S06', cookie: 'sid=S07' },
  req: { body: { token: 'S08', api_key: 'S09' } },
  cfg: { aws: { SecretAccessKey: 'S10', SessionToken: 'S11' }, tencent: { SecretKey: 'S12' } },
  secret: 'S13',
  secretKey: 'S14',
  client_secret: 'S15',
};

describe('createLogger redaction', () => {
  it('never writes a secret, at the top level or one or two levels down', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ stdout: stream });
    log.info(SECRETS, 'loaded');
    log.info({ accounts: [{ password: 'S16' }] }, 'array');
    await tick();
    const text = lines.join('\n');
    for (const s of [
      'S01',
      'S02',
      'S03',
      'S04',
      'S05',
      'S06',
      'S07',
      'S08',
      'S09',
      'S10',
      'S11',
      'S12',
      'S13',
      'S14',
      'S15',
      'S16',
    ])
      expect(text).not.toContain(s);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 30, msg: 'loaded', access_key_secret: '[REDACTED]' });
    expect(rec.account).toEqual({
      access_key_secret: '[REDACTED]',
      password: '[REDACTED]',
      accessKeySecret: '[REDACTED]',
    });
    expect(rec.cfg.aws.SecretAccessKey).toBe('[REDACTED]');
    // The caller's object is left alone.
    expect(SECRETS.account.password).toBe('S03');
  });

  it('redacts in console format, in child loggers and in the log file too', async () => {
    const { stream, lines } = capture();
    const dir = tmp('log-secret-');
    const log = createLogger({
      stdout: stream,
      format: 'console',
      output: 'both',
      file: { path: join(dir, 'app.log') },
    });
    const child = log.child({ account: { password: 'S20' } });
    child.info({ headers: { authorization: 'S21' } }, 'with child bindings');
    log.info(SECRETS, 'loaded');
    await eventually(() =>
      readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes('loaded')),
    );
    const files = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('');
    for (const text of [lines.join('\n'), files]) {
      for (const s of ['S01', 'S03', 'S05', 'S10', 'S20', 'S21']) expect(text).not.toContain(s);
      expect(text).toContain('[REDACTED]');
    }
    // The file gets JSON whatever the console format.
    expect(JSON.parse(files.split('\n')[0]!)).toMatchObject({ msg: 'with child bindings' });
  });

  it('covers every secret key at three depths', () => {
    for (const k of ['password', 'access_key_secret', 'token', 'authorization', 'api_key', 'SecretKey'])
      expect(REDACT_PATHS).toEqual(expect.arrayContaining([k, `*.${k}`, `*.*.${k}`]));
  });
});

describe('createLogger output', () => {
  it('writes JSON lines by default with time, level, pid and name', async () => {
    const { stream, lines } = capture();
    createLogger({ stdout: stream, name: 'core' }).debug('hidden at info');
    createLogger({ stdout: stream, name: 'core', level: 'debug' }).debug({ n: 1 }, 'shown');
    await tick();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 20,
      name: 'core',
      pid: process.pid,
      n: 1,
      msg: 'shown',
    });
    expect(typeof JSON.parse(lines[0]!).time).toBe('number');
  });

  it('writes one readable line per record in console format, honouring the level', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ stdout: stream, format: 'console', level: 'warn', name: 'exporter' });
    log.info('hidden');
    log.warn({ region: 'cn-hangzhou', n: 3 }, 'slow region');
    log.error({ err: new Error('boom'), note: 'two words', empty: '', obj: { a: 1 } }, 'failed');
    await tick();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\S+Z WARN {2}\[exporter\] slow region region=cn-hangzhou n=3$/,
    );
    expect(lines[1]).toMatch(
      / ERROR \[exporter\] failed err="boom" note="two words" empty="" obj=\{"a":1\}$/,
    );
  });

  it('treats output "console" like stdout', async () => {
    const { stream, lines } = capture();
    createLogger({ stdout: stream, output: 'console' }).info('x');
    await tick();
    expect(lines).toHaveLength(1);
  });

  it('gives a silent logger for tests', () => {
    const log = silentLogger();
    expect(log.isLevelEnabled('fatal')).toBe(false);
    log.error('nothing');
  });
});

/** The file transport starts in a worker; lines logged before it opens its file land in one write. */
const transportReady = (dir: string, n = 1) =>
  eventually(() => existsSync(dir) && readdirSync(dir).length >= n);

describe('createLogger file rotation', () => {
  it('rotates the log file by size and keeps max_backups old files', async () => {
    const dir = tmp('log-');
    const log = createLogger({
      output: 'file',
      file: { path: join(dir, 'exporter.log'), max_size: 0.001, max_backups: 2 },
    });
    await transportReady(dir);
    for (let i = 0; i < 40; i++) {
      log.info({ i, pad: 'x'.repeat(200) }, 'line');
      await wait(5);
    }
    await eventually(() =>
      readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes('"i":39')),
    );
    await wait(100);
    const files = readdirSync(dir).filter((f) => f.startsWith('exporter'));
    expect(files.every((f) => /^exporter\.\d+\.log$/.test(f))).toBe(true);
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.length).toBeLessThanOrEqual(3);
  });

  it('gzips rotated files when compress is on, and keeps max_backups of them', async () => {
    const dir = tmp('log-gz-');
    const log = createLogger({
      output: 'file',
      file: { path: join(dir, 'exporter.log'), max_size: 0.001, max_backups: 2, compress: true },
    });
    await transportReady(dir);
    for (let i = 0; i < 40; i++) {
      log.info({ i, pad: 'x'.repeat(200) }, 'line');
      await wait(5);
    }
    const names = () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('exporter'))
        .sort();
    // The file being written stays plain; every earlier one is gzipped, two of them kept.
    await eventually(() => {
      const n = names();
      return (
        n.filter((f) => f.endsWith('.log')).length === 1 &&
        n.filter((f) => f.endsWith('.log.gz')).length === 2
      );
    });
    const gz = names().filter((f) => f.endsWith('.gz'));
    const text = gunzipSync(readFileSync(join(dir, gz.at(-1)!))).toString('utf8');
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ msg: 'line' });
  });

  it('keeps every rotated file when max_backups is 0', async () => {
    const dir = tmp('log-all-');
    const log = createLogger({
      output: 'file',
      file: { path: join(dir, 'sub', 'app.log'), max_size: 0.001, max_backups: 0 },
    });
    await transportReady(join(dir, 'sub'));
    for (let i = 0; i < 30; i++) {
      log.info({ i, pad: 'x'.repeat(200) }, 'line');
      await wait(5);
    }
    await eventually(() => readdirSync(join(dir, 'sub')).length >= 5);
  });

  it('deletes rotated files older than max_age at start and at each rotation', async () => {
    const dir = tmp('log-age-');
    const old = (Date.now() - 10 * 86_400_000) / 1000;
    for (const f of ['app.2.log', 'app.3.log']) writeFileSync(join(dir, f), 'earlier run\n');
    utimesSync(join(dir, 'app.2.log'), old, old);
    const log = createLogger({
      output: 'file',
      file: { path: join(dir, 'app.log'), max_size: 0.001, max_age: 7, max_backups: 0 },
    });
    expect(existsSync(join(dir, 'app.2.log'))).toBe(false);
    await transportReady(dir);
    // app.3.log (the newest) is where writing resumes; it ages while the process runs, and
    // goes at the rotation after the one that retires it.
    for (let i = 0; i < 5; i++) {
      log.info({ i, pad: 'x'.repeat(200) }, 'line');
      await wait(5);
    }
    await eventually(() => existsSync(join(dir, 'app.4.log')));
    utimesSync(join(dir, 'app.3.log'), old, old);
    for (let i = 0; i < 10; i++) {
      log.info({ i, pad: 'x'.repeat(200) }, 'line');
      await wait(5);
    }
    await eventually(() => !existsSync(join(dir, 'app.3.log')));
    expect(existsSync(join(dir, 'app.4.log'))).toBe(true);
  });
});

describe('pruneRotated and formatConsoleLine', () => {
  it('deletes rotated files older than max_age days and keeps the rest', () => {
    const dir = tmp('prune-');
    for (const f of ['app.1.log', 'app.2.log', 'app.3.log', 'other.1.log', 'app.log', 'app.1.log.bak'])
      writeFileSync(join(dir, f), 'x');
    const old = (Date.now() - 10 * 86_400_000) / 1000;
    for (const f of ['app.1.log', 'app.3.log', 'other.1.log', 'app.log', 'app.1.log.bak'])
      utimesSync(join(dir, f), old, old);
    pruneRotated(join(dir, 'app.log'), 7);
    expect(readdirSync(dir).sort()).toEqual([
      'app.1.log.bak',
      'app.2.log',
      'app.3.log',
      'app.log',
      'other.1.log',
    ]);
    // app.3.log is the newest number, the file being written: it stays whatever its age.
    pruneRotated(join(dir, 'app.log'), 0);
    expect(readdirSync(dir)).toHaveLength(5);
  });

  it('names files the way pino-roll does for paths without an extension', () => {
    const dir = tmp('prune-noext-');
    for (const f of ['app.1.log', 'app.2.log']) writeFileSync(join(dir, f), 'x');
    const old = (Date.now() - 10 * 86_400_000) / 1000;
    utimesSync(join(dir, 'app.1.log'), old, old);
    pruneRotated(join(dir, 'app'), 1);
    expect(readdirSync(dir)).toEqual(['app.2.log']);
  });

  it('passes non-JSON through untouched', () => {
    expect(formatConsoleLine('plain text')).toBe('plain text\n');
    expect(formatConsoleLine('{"no":"time"}')).toBe('{"no":"time"}\n');
  });
});
