import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatConsoleLine, pruneRotated } from './logger.ts';

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

describe('createLogger', () => {
  it('never writes secrets, at any of the usual depths', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ stdout: stream });
    log.info(
      {
        access_key_secret: 'S1',
        account: { access_key_secret: 'S2', password: 'S3' },
        headers: { authorization: 'Basic S4' },
      },
      'loaded',
    );
    log.info({ req: { body: { token: 'S5' } } }, 'nested');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('\n');
    for (const s of ['S1', 'S2', 'S3', 'S4', 'S5']) expect(text).not.toContain(s);
    expect(text).toContain('[REDACTED]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'loaded' });
  });

  it('writes one readable line per record in console format, honouring the level', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ stdout: stream, format: 'console', level: 'warn', name: 'exporter' });
    log.info('hidden');
    log.warn({ region: 'cn-hangzhou', n: 3 }, 'slow region');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\S+Z WARN {2}\[exporter\] slow region region=cn-hangzhou n=3$/,
    );
  });

  it('rotates the log file by size and keeps max_backups old files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = createLogger({
      output: 'file',
      file: { path: join(dir, 'exporter.log'), max_size: 0.001, max_backups: 2 },
    });
    for (let i = 0; i < 40; i++) {
      log.info({ i, pad: 'x'.repeat(200) }, 'line');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 300));
    const files = readdirSync(dir).filter((f) => f.startsWith('exporter'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.length).toBeLessThanOrEqual(3);
    const content = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(content).toContain('"i":39');
  });
});

describe('pruneRotated and formatConsoleLine', () => {
  it('deletes rotated files older than max_age days and keeps the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prune-'));
    for (const f of ['app.1.log', 'app.2.log', 'other.1.log']) writeFileSync(join(dir, f), 'x');
    const old = (Date.now() - 10 * 86_400_000) / 1000;
    utimesSync(join(dir, 'app.1.log'), old, old);
    utimesSync(join(dir, 'other.1.log'), old, old);
    pruneRotated(join(dir, 'app.log'), 7);
    expect(existsSync(join(dir, 'app.1.log'))).toBe(false);
    expect(existsSync(join(dir, 'app.2.log'))).toBe(true);
    expect(existsSync(join(dir, 'other.1.log'))).toBe(true);
  });

  it('passes non-JSON through untouched', () => {
    expect(formatConsoleLine('plain text')).toBe('plain text\n');
  });
});
