import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { dataDir, quick, supervisor, svc, waitState } from './helpers.ts';

describe('crash loop', () => {
  it('restarts with growing delays, goes FATAL after maxRestarts in the window, and tries again after the cool-down', async () => {
    const { sup, of } = supervisor({ dataDir: dataDir() });
    const restart = { ...quick, maxRestarts: 3, window: '10s', fatalCooldown: '1s' };
    await sup.apply([svc('crashy', 'crash.mjs', ['30', '3'], { restart })]);

    const fatal = await waitState(sup, 'crashy', 'fatal');
    expect(fatal).toMatchObject({ restarts: 3, lastExit: { code: 3, signal: null } });
    expect(fatal.reason).toBe('3 restarts in 10s, then exit code 3; trying again in 1s');
    expect(Date.parse(fatal.nextStartAt!) - Date.parse(fatal.lastExit!.at)).toBe(1000);

    // The delays the policy chose: initialDelay × 2^n.
    const events = of('crashy');
    const backoffs = events.filter((e) => e.status.state === 'backoff');
    expect(
      backoffs.map((e) => Date.parse(e.status.nextStartAt!) - Date.parse(e.status.lastExit!.at)),
    ).toEqual([100, 200, 400]);
    expect(backoffs.map((e) => e.status.reason)).toEqual([
      'exit code 3; restarting in 100ms',
      'exit code 3; restarting in 200ms',
      'exit code 3; restarting in 400ms',
    ]);
    // ... and the supervisor waited at least that long before each next start.
    for (const [i, b] of backoffs.entries()) {
      const next = events.find((e) => e.at >= b.at && e.status.state === 'starting');
      expect(next, `start after backoff ${i}`).toBeDefined();
      expect(next!.at - b.at).toBeGreaterThanOrEqual([100, 200, 400][i]! - 2);
    }

    // FATAL is not forever: tried again after the cool-down, as a fresh series.
    const fatalEvent = events.find((e) => e.status.state === 'fatal')!;
    const retried = await eventually('the start after the cool-down', () =>
      of('crashy').find((e) => e.at > fatalEvent.at && e.status.state === 'starting'),
    );
    expect(retried.at - fatalEvent.at).toBeGreaterThanOrEqual(1000 - 2);
    expect(retried.status.restarts).toBe(4);
    const nextBackoff = await eventually('a backoff after the retry', () =>
      of('crashy').find((e) => e.at > retried.at && e.status.state === 'backoff'),
    );
    expect(nextBackoff.status.reason).toBe('exit code 3; restarting in 100ms');
  });

  it('on-failure leaves a clean exit stopped; always restarts it', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([
      svc('once', 'exit0.mjs', ['20']),
      svc('again', 'exit0.mjs', ['20'], { restart: { ...quick, policy: 'always' } }),
    ]);
    const once = await waitState(sup, 'once', 'stopped', (s) => s.lastExit !== undefined);
    expect(once).toMatchObject({
      restarts: 0,
      lastExit: { code: 0 },
      reason: 'exit code 0 (restart policy on-failure)',
    });
    await waitState(sup, 'again', 'running', (s) => s.restarts >= 2);
  });

  it('a command that cannot start is retried per the policy, with the cause as reason', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    await sup.apply([
      {
        ...svc('missing', 'forever.mjs', [], { restart: { ...quick, maxRestarts: 1 } }),
        command: '/nonexistent/bin',
      },
    ]);
    const s = await waitState(sup, 'missing', 'fatal');
    expect(s.reason).toBe(
      `1 restart in 30s, then could not start: /nonexistent/bin: command not found (cwd ${process.cwd()}); trying again in 1s`,
    );
  });
});
