import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from './logger.ts';

// shutdown.ts keeps process-wide state (handlers, installed listeners); each test loads a
// fresh copy and drives it through a signal nobody else uses here.
const SIGNAL = 'SIGUSR2' as const;

async function fresh() {
  vi.resetModules();
  return import('./shutdown.ts');
}

const flush = () => new Promise((r) => setTimeout(r, 0));

/** Exit codes and log messages, in order, and a log that records them. */
function recorder() {
  const exits: number[] = [];
  const logged: string[] = [];
  const log = {
    info: (_o: unknown, m: string) => void logged.push(m),
    error: (_o: unknown, m: string) => void logged.push(m),
  };
  return { exits, logged, log };
}

afterEach(() => {
  process.removeAllListeners(SIGNAL);
  vi.useRealTimers();
});

describe('shutdownNow', () => {
  it('runs handlers newest first, once, and carries on past one that fails', async () => {
    const { onShutdown, shutdownNow } = await fresh();
    const order: string[] = [];
    const errors: unknown[] = [];
    const log = { info: () => {}, error: (o: unknown) => void errors.push(o) };
    onShutdown(() => void order.push('db'), { signals: [], log });
    onShutdown(
      async () => {
        order.push('http');
        throw new Error('close failed');
      },
      { signals: [] },
    );
    onShutdown(
      async () => {
        await new Promise((r) => setTimeout(r, 10));
        order.push('collector');
      },
      { signals: [] },
    );
    const first = shutdownNow();
    expect(shutdownNow()).toBe(first);
    await first;
    await shutdownNow();
    expect(order).toEqual(['collector', 'http', 'db']);
    expect(errors).toEqual([{ err: 'close failed' }]);
  });

  it('leaves out a handler that was unregistered', async () => {
    const { onShutdown, shutdownNow } = await fresh();
    const order: string[] = [];
    onShutdown(() => void order.push('a'), { signals: [] });
    const off = onShutdown(() => void order.push('b'), { signals: [] });
    off();
    off();
    await shutdownNow();
    expect(order).toEqual(['a']);
  });

  it('installs no signal listener when given no signals', async () => {
    const { onShutdown } = await fresh();
    const before = process.listenerCount('SIGTERM');
    // A pino Logger is an acceptable log.
    onShutdown(() => {}, { signals: [], log: silentLogger() });
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('onShutdown on a signal', () => {
  it('drains then exits 0, installing one listener however many handlers', async () => {
    const { onShutdown } = await fresh();
    const exits: number[] = [];
    const order: string[] = [];
    onShutdown(() => void order.push('first'), { signals: [SIGNAL], exit: (c) => void exits.push(c) });
    onShutdown(() => void order.push('second'), { signals: [SIGNAL] });
    expect(process.listenerCount(SIGNAL)).toBe(1);
    process.emit(SIGNAL, SIGNAL);
    await flush();
    expect(order).toEqual(['second', 'first']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 once the timeout passes while a handler hangs, and only once', async () => {
    vi.useFakeTimers();
    const { onShutdown } = await fresh();
    const exits: number[] = [];
    let release: () => void = () => {};
    onShutdown(() => new Promise<void>((r) => (release = r)), {
      signals: [SIGNAL],
      timeoutMs: 500,
      exit: (c) => void exits.push(c),
    });
    process.emit(SIGNAL, SIGNAL);
    await vi.advanceTimersByTimeAsync(499);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    release();
    await vi.advanceTimersByTimeAsync(10);
    expect(exits).toEqual([1]);
  });

  it('uses the latest options given and the 10 s default otherwise', async () => {
    vi.useFakeTimers();
    const { onShutdown } = await fresh();
    const exits: number[] = [];
    onShutdown(() => new Promise<void>(() => {}), { signals: [SIGNAL], exit: (c) => void exits.push(c) });
    onShutdown(() => {}, { signals: [SIGNAL], timeoutMs: undefined });
    process.emit(SIGNAL, SIGNAL);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
  });

  it('exits 1 at once on a second signal a second or more into draining', async () => {
    vi.useFakeTimers();
    const { onShutdown } = await fresh();
    const { exits, logged, log } = recorder();
    onShutdown(() => new Promise<void>(() => {}), {
      signals: [SIGNAL],
      timeoutMs: 60_000,
      log,
      exit: (c) => void exits.push(c),
    });
    process.emit(SIGNAL, SIGNAL);
    await vi.advanceTimersByTimeAsync(1_000);
    process.emit(SIGNAL, SIGNAL);
    expect(exits).toEqual([1]);
    expect(logged).toEqual(['shutting down', 'second signal while shutting down, exiting now']);
  });

  it('takes the same signal again within a second for one delivery sent twice (timeout(1) signals the process and its group)', async () => {
    vi.useFakeTimers();
    const { onShutdown } = await fresh();
    const { exits, logged, log } = recorder();
    let release = () => {};
    onShutdown(() => new Promise<void>((r) => (release = r)), {
      signals: [SIGNAL],
      log,
      exit: (c) => void exits.push(c),
    });
    process.emit(SIGNAL, SIGNAL);
    await vi.advanceTimersByTimeAsync(20);
    process.emit(SIGNAL, SIGNAL);
    expect(exits).toEqual([]);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([0]);
    expect(logged).toEqual(['shutting down']);
  });
});
