import { describe, expect, it } from 'vitest';
import type { HealthState } from '../spec.ts';
import { serviceHealth } from './service-health.ts';

describe('serviceHealth', () => {
  const cases: [string, [string, HealthState][], Record<string, HealthState>][] = [
    ['no checks: no health', [], {}],
    ['one passing check', [['web', 'passing']], { web: 'passing' }],
    [
      'the worst check wins',
      [
        ['web', 'passing'],
        ['web', 'critical'],
        ['web', 'warning'],
      ],
      { web: 'critical' },
    ],
    [
      'a pending check does not hide a warning',
      [
        ['web', 'unknown'],
        ['web', 'warning'],
      ],
      { web: 'warning' },
    ],
    [
      'a pending check is not passing',
      [
        ['web', 'passing'],
        ['web', 'unknown'],
      ],
      { web: 'unknown' },
    ],
    [
      'services apart',
      [
        ['web', 'critical'],
        ['db', 'passing'],
      ],
      { web: 'critical', db: 'passing' },
    ],
  ];
  it.each(cases)('%s', (_name, checks, expected) => {
    const got = serviceHealth(checks.map(([service, state]) => ({ service, state })));
    expect(Object.fromEntries(got)).toEqual(expected);
  });
});
