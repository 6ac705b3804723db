import { describe, expect, it } from 'vitest';
import { ClassifiedError, type ErrorClass } from './errors.ts';
import { backoffDelay, retry, sleep } from './retry.ts';

const classify = (err: unknown): ErrorClass => (err instanceof ClassifiedError ? err.errorClass : 'error');

function failing(classes: ErrorClass[]) {
  let calls = 0;
  return {
    fn: async () => {
      const c = classes[calls++];
      if (c) throw new ClassifiedError(c, c);
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('retry', () => {
  it('backs off 200, 400, 800, 1600 ms capped at the maximum', async () => {
    const waits: number[] = [];
    const f = failing(['limit_error', 'limit_error', 'network_error', 'error']);
    const out = await retry(f.fn, {
      attempts: 5,
      baseMs: 200,
      maxMs: 1000,
      classify,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(out).toBe('ok');
    expect(waits).toEqual([200, 400, 800, 1000]);
  });

  it.each(['auth_error', 'region_skip'] as const)('does not retry %s', async (c) => {
    const f = failing([c, c]);
    await expect(
      retry(f.fn, { attempts: 5, baseMs: 1, maxMs: 1, classify, sleep: async () => {} }),
    ).rejects.toThrow(c);
    expect(f.calls()).toBe(1);
  });

  it('gives up after the attempts and rethrows the last error', async () => {
    const f = failing(['limit_error', 'limit_error', 'limit_error', 'limit_error']);
    await expect(
      retry(f.fn, { attempts: 3, baseMs: 1, maxMs: 1, classify, sleep: async () => {} }),
    ).rejects.toThrow('limit_error');
    expect(f.calls()).toBe(3);
  });

  it('keeps jitter within its fraction of the delay', () => {
    expect(backoffDelay(3, 200, 5000, 0.2, () => 0)).toBe(800);
    expect(backoffDelay(3, 200, 5000, 0.2, () => 1)).toBe(640);
    expect(backoffDelay(10, 200, 5000, 0.5, () => 0.5)).toBe(3750);
  });

  it('stops waiting when aborted', async () => {
    const ctl = new AbortController();
    const f = failing(['limit_error', 'limit_error']);
    const run = retry(f.fn, { attempts: 5, baseMs: 10_000, maxMs: 10_000, classify, signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('stop')), 20);
    await expect(run).rejects.toThrow('stop');
  });
});

describe('retry with jitter and hooks', () => {
  it('keeps every jittered delay within [delay × (1 - jitter), delay]', async () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const waits: number[] = [];
      const f = failing(['error', 'error', 'error', 'error']);
      await retry(f.fn, {
        attempts: 5,
        baseMs: 200,
        maxMs: 1000,
        jitter: 0.5,
        random: () => r,
        classify,
        sleep: async (ms) => void waits.push(ms),
      });
      const nominal = [200, 400, 800, 1000];
      waits.forEach((ms, i) => {
        expect(ms).toBeLessThanOrEqual(nominal[i]!);
        expect(ms).toBeGreaterThanOrEqual(nominal[i]! * 0.5);
        expect(ms).toBeCloseTo(nominal[i]! * (1 - 0.5 * r));
      });
    }
  });

  it('tells onRetry the error, its class, the attempt and the delay, and passes the attempt to fn', async () => {
    const seen: unknown[] = [];
    const attempts: number[] = [];
    const f = failing(['network_error', 'limit_error']);
    await retry(
      (n) => {
        attempts.push(n);
        return f.fn();
      },
      {
        attempts: 3,
        baseMs: 100,
        maxMs: 1000,
        classify,
        sleep: async () => {},
        onRetry: (err, c, attempt, delay) => seen.push([(err as Error).message, c, attempt, delay]),
      },
    );
    expect(attempts).toEqual([1, 2, 3]);
    expect(seen).toEqual([
      ['network_error', 'network_error', 1, 100],
      ['limit_error', 'limit_error', 2, 200],
    ]);
  });

  it('lets retryOn narrow what is retried', async () => {
    const f = failing(['error', 'error']);
    await expect(
      retry(f.fn, {
        attempts: 5,
        baseMs: 1,
        maxMs: 1,
        classify,
        retryOn: (c) => c === 'limit_error',
        sleep: async () => {},
      }),
    ).rejects.toThrow('error');
    expect(f.calls()).toBe(1);
  });

  it('returns at once on success and tries once with attempts 1', async () => {
    const sleeps: number[] = [];
    expect(
      await retry(async () => 7, {
        attempts: 3,
        baseMs: 1,
        maxMs: 1,
        classify,
        sleep: async (ms) => void sleeps.push(ms),
      }),
    ).toBe(7);
    const f = failing(['limit_error']);
    await expect(retry(f.fn, { attempts: 1, baseMs: 1, maxMs: 1, classify })).rejects.toThrow('limit_error');
    expect([f.calls(), sleeps]).toEqual([1, []]);
  });

  it('does not start another attempt once the signal is aborted', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const run = retry(
      async () => {
        calls++;
        ctl.abort(new Error('stop'));
        throw new ClassifiedError('limit_error', 'throttled');
      },
      { attempts: 5, baseMs: 1, maxMs: 1, classify, signal: ctl.signal },
    );
    await expect(run).rejects.toThrow('throttled');
    expect(calls).toBe(1);
  });
});

describe('backoffDelay', () => {
  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1600],
    [5, 3200],
    [6, 5000],
    [30, 5000],
  ])('attempt %i → %i ms (base 200, max 5000)', (attempt, ms) =>
    expect(backoffDelay(attempt, 200, 5000)).toBe(ms),
  );
});

describe('sleep', () => {
  it('waits about the time asked', async () => {
    const t0 = performance.now();
    await sleep(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('rejects with the abort reason, before or during the wait', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('early'));
    await expect(sleep(10_000, ctl.signal)).rejects.toThrow('early');
    const late = new AbortController();
    const p = sleep(10_000, late.signal);
    late.abort(new Error('late'));
    await expect(p).rejects.toThrow('late');
  });
});
