import { describe, expect, it } from 'vitest';
import {
  globRegExp,
  inWindow,
  matches,
  type Route,
  type RoutedFile,
  routeFor,
  routeMatchSchema,
} from './routing.ts';

const FILE: RoutedFile = {
  path: '/var/dumps/shop/app-1.hprof',
  source: 'dumps',
  agentId: 'a1b2',
  agentName: 'web-1',
  labels: { app: 'shop', env: 'prod' },
  size: 5_000,
};
// A Wednesday, 10:30 UTC.
const NOON = new Date('2026-12-09T10:30:00Z');

describe('route matching', () => {
  it.each([
    ['*.hprof', FILE.path, true],
    ['*.hprof', '/var/dumps/app.log', false],
    ['/var/dumps/*.hprof', FILE.path, false],
    ['/var/dumps/*/*.hprof', FILE.path, true],
    ['/var/**/*.hprof', FILE.path, true],
    ['/var/dumps/**/app-?.hprof', FILE.path, true],
    ['/var/dumps/**/app-?.hprof', '/var/dumps/app-1.hprof', true],
    ['**/*.{hprof,core}', '/x/y/z.core', true],
    ['**/*.{hprof,core}', '/x/y/z.log', false],
    ['app-1.hprof', FILE.path, true],
    ['app-1(hprof', '/d/app-1(hprof', true],
    ['a.b', '/d/axb', false],
  ])('glob %s on %s: %s', (glob, path, want) => {
    expect(matches({ pathGlob: glob }, { ...FILE, path }, NOON)).toBe(want);
  });

  it.each([
    ['source', { source: 'dumps' }, true],
    ['other source', { source: 'logs' }, false],
    ['agent by name', { agent: 'web-1' }, true],
    ['agent by id', { agent: 'a1b2' }, true],
    ['other agent', { agent: 'web-2' }, false],
    ['labels subset', { labels: { app: 'shop' } }, true],
    ['label value differs', { labels: { app: 'blog' } }, false],
    ['label missing', { labels: { team: 'x' } }, false],
    ['min size below', { minSize: 5_000 }, true],
    ['min size above', { minSize: 5_001 }, false],
    ['max size', { maxSize: 5_000 }, true],
    ['max size below', { maxSize: 4_999 }, false],
    ['all together', { source: 'dumps', labels: { env: 'prod' }, pathGlob: '**/*.hprof', minSize: 1 }, true],
    ['empty match', {}, true],
  ] as const)('%s', (_name, match, want) => {
    expect(matches(match, FILE, NOON)).toBe(want);
  });

  it.each([
    ['inside a day window', { from: '09:00', to: '17:00' }, '2026-12-09T10:30:00Z', true],
    ['at its end (exclusive)', { from: '09:00', to: '10:30' }, '2026-12-09T10:30:00Z', false],
    ['at its start (inclusive)', { from: '10:30', to: '11:00' }, '2026-12-09T10:30:00Z', true],
    ['wrong day', { days: ['mon', 'tue'], from: '09:00', to: '17:00' }, '2026-12-09T10:30:00Z', false],
    ['right day', { days: ['wed'], from: '09:00', to: '17:00' }, '2026-12-09T10:30:00Z', true],
    ['in a time zone', { from: '09:00', to: '12:00', tz: 'Asia/Shanghai' }, '2026-12-09T02:00:00Z', true],
    [
      'out of it in that zone',
      { from: '09:00', to: '12:00', tz: 'Asia/Shanghai' },
      '2026-12-09T10:30:00Z',
      false,
    ],
    ['night window, evening', { from: '22:00', to: '06:00' }, '2026-12-09T23:00:00Z', true],
    ['night window, morning', { from: '22:00', to: '06:00' }, '2026-12-10T05:59:00Z', true],
    ['night window, day', { from: '22:00', to: '06:00' }, '2026-12-10T06:00:00Z', false],
    // Friday's night window reaches into Saturday; Saturday's own evening is not in it.
    [
      'Friday night, Saturday 03:00',
      { days: ['fri'], from: '22:00', to: '06:00' },
      '2026-12-12T03:00:00Z',
      true,
    ],
    [
      'Friday night, Saturday 23:00',
      { days: ['fri'], from: '22:00', to: '06:00' },
      '2026-12-12T23:00:00Z',
      false,
    ],
    [
      'Friday night, Friday 03:00',
      { days: ['fri'], from: '22:00', to: '06:00' },
      '2026-12-11T03:00:00Z',
      false,
    ],
    [
      'from = to is the whole day',
      { days: ['wed'], from: '00:00', to: '00:00' },
      '2026-12-09T23:59:00Z',
      true,
    ],
  ] as const)('window: %s', (_name, window, at, want) => {
    expect(inWindow(window as never, new Date(at))).toBe(want);
  });

  it('the first enabled route by position wins', () => {
    const route = (id: string, position: number, enabled: boolean, match: object): Route => ({
      id,
      position,
      enabled,
      match,
      actionIds: [id],
      mode: 'sequence',
    });
    const routes = [
      route('catch-all', 9, true, {}),
      route('disabled', 0, false, { source: 'dumps' }),
      route('logs', 1, true, { source: 'logs' }),
      route('dumps', 2, true, { source: 'dumps' }),
    ];
    expect(routeFor(routes, FILE, NOON)?.id).toBe('dumps');
    expect(routeFor(routes, { ...FILE, source: 'other' }, NOON)?.id).toBe('catch-all');
    expect(routeFor(routes.slice(1, 3), { ...FILE, source: 'other' }, NOON)).toBeUndefined();
  });

  it('refuses a match it cannot apply, by field', () => {
    const r = routeMatchSchema.safeParse({
      minSize: 10,
      maxSize: 5,
      window: { from: '25:00', to: '06:00', tz: 'Mars/Base' },
    });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['minSize', 'window.from', 'window.tz']);
    expect(routeMatchSchema.safeParse({ minSize: 10, maxSize: 5 }).error?.issues[0]?.path).toEqual([
      'minSize',
    ]);
    expect(routeMatchSchema.safeParse({ pathGlob: '*.x', extra: 1 }).success).toBe(false);
  });

  it('a glob is anchored at both ends', () => {
    expect(globRegExp('*.hprof').test('a.hprof.gz')).toBe(false);
  });
});
