import { describe, expect, it } from 'vitest';
import type { InboundAlert } from './ingest.ts';
import { deliveryKey, REPEAT_WINDOW_MS, RecentDeliveries } from './repeats.ts';

const alert = (over: Partial<InboundAlert> = {}): InboundAlert => ({
  fingerprint: 'f1',
  status: 'firing',
  labels: { alertname: 'A' },
  annotations: { summary: 's' },
  startsAt: new Date('2026-12-07T10:00:00Z'),
  endsAt: new Date('2026-12-07T10:05:00Z'),
  generatorURL: null,
  source: 'alertmanager',
  ...over,
});

describe('deliveryKey', () => {
  it('is the same for the same delivery', () => {
    expect(deliveryKey([alert(), alert({ fingerprint: 'f2' })])).toBe(
      deliveryKey([alert(), alert({ fingerprint: 'f2' })]),
    );
  });
  it.each<[string, Partial<InboundAlert>]>([
    ['status', { status: 'resolved' }],
    ['endsAt', { endsAt: new Date('2026-12-07T10:06:00Z') }],
    ['startsAt (another episode)', { startsAt: new Date('2026-12-07T10:01:00Z') }],
    ['annotations', { annotations: { summary: 't' } }],
    ['link', { generatorURL: 'http://prom/graph' }],
    ['source', { source: 'vmalert' }],
    ['alert', { fingerprint: 'f9' }],
  ])('differs when the %s differs', (_, change) => {
    expect(deliveryKey([alert(change)])).not.toBe(deliveryKey([alert()]));
  });
  it('is none for a generic report without startsAt: which episode it names depends on when it is stored', () => {
    expect(deliveryKey([alert(), alert({ source: 'generic', startsAt: null })])).toBeNull();
  });
});

describe('RecentDeliveries', () => {
  it('answers a copy within the window and forgets it after', () => {
    let now = 1_000_000;
    const recent = new RecentDeliveries<number>(() => now);
    const stored = Promise.resolve(7);
    recent.remember('k', stored);
    now += REPEAT_WINDOW_MS;
    expect(recent.repeatOf('k')).toBe(stored);
    now += 1;
    expect(recent.repeatOf('k')).toBeUndefined();
  });
  it('forgets a delivery that failed, so its copy is stored on its own', async () => {
    const recent = new RecentDeliveries<number>();
    const failed = Promise.reject(new Error('deadlock'));
    recent.remember('k', failed);
    await failed.catch(() => {});
    expect(recent.repeatOf('k')).toBeUndefined();
  });
  it('drops deliveries older than the window as new ones arrive', () => {
    let now = 0;
    const recent = new RecentDeliveries<number>(() => now);
    recent.remember('old', Promise.resolve(1));
    now = REPEAT_WINDOW_MS + 1;
    recent.remember('new', Promise.resolve(2));
    now = 0;
    expect(recent.repeatOf('old')).toBeUndefined();
    expect(recent.repeatOf('new')).toBeDefined();
  });
});
