import { eventually } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';
import { dataDir, supervisor, svc, waitState } from './helpers.ts';

describe('recovery asked by a health check', () => {
  it('restarts through the policy: counted, backed off, and FATAL when it keeps happening', async () => {
    const { sup } = supervisor({ dataDir: dataDir() });
    const spec = svc('web', 'forever.mjs');
    await sup.apply([
      { ...spec, restart: { ...spec.restart, initialDelay: 100, maxRestarts: 2, window: 30_000 } },
    ]);
    const first = await waitState(sup, 'web', 'running');

    const after = await sup.recover('web', 'http: 503');
    expect(after).toMatchObject({ state: 'backoff', restarts: 0 });
    expect(after.reason).toMatch(/health check critical: http: 503/);
    const second = await waitState(sup, 'web', 'running');
    expect(second.pid).not.toBe(first.pid);
    expect(second.restarts).toBe(1);

    await sup.recover('web', 'http: 503');
    await eventually(
      'the second restart',
      () => sup.get('web')?.restarts === 2 && sup.get('web')?.state === 'running',
    );
    const fatal = await sup.recover('web', 'http: 503');
    expect(fatal.state).toBe('fatal');
    await sup.close();
  });
});
