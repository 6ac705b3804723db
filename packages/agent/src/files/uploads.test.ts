import { describe, expect, it } from 'vitest';
import type { SpoolEntry } from './model.ts';
import { afterFailure, GIVE_UP_MS } from './uploads.ts';

const taken = Date.parse('2026-12-07T10:00:00Z');
const entry = (attempts: number): SpoolEntry => ({
  id: 'f',
  source: 's',
  relPath: 'a.hprof',
  size: 1,
  mtimeMs: 0,
  destination: 'd',
  labels: {},
  state: 'uploading',
  attempts,
  seq: 3,
  detectedAt: new Date(taken).toISOString(),
  updatedAt: new Date(taken).toISOString(),
});
const slow = { retryable: true, code: 'SlowDown', message: 'Please reduce your request rate.' };

describe('afterFailure', () => {
  it.each([
    [0, 30_000],
    [1, 60_000],
    [3, 240_000],
    [5, 600_000],
    [12, 600_000],
  ])('a retryable failure after %d earlier rounds queues the file again in %d ms', (attempts, wait) => {
    const now = taken + 60_000;
    expect(afterFailure(entry(attempts), slow, now)).toEqual({
      change: {
        state: 'queued',
        attempts: attempts + 1,
        lastError: 'SlowDown: Please reduce your request rate.',
      },
      retryAt: now + wait,
    });
  });

  it('fails a refused file at once', () => {
    const denied = { retryable: false, code: 'AccessDenied', message: 'Access Denied' };
    expect(afterFailure(entry(0), denied, taken + 1000)).toEqual({
      change: { state: 'failed', attempts: 1, lastError: 'AccessDenied: Access Denied' },
    });
  });

  it('gives up a day after the file was taken, saying so', () => {
    const r = afterFailure(entry(40), slow, taken + GIVE_UP_MS);
    expect(r.retryAt).toBeUndefined();
    expect(r.change).toMatchObject({ state: 'failed', attempts: 41 });
    expect(r.change.lastError).toMatch(/^gave up after 24 h: SlowDown/);
  });
});
