import { describe, expect, it } from 'vitest';
import type { Check } from '../spec.ts';
import {
  bookAfterResult,
  bookAtEnd,
  bookAtStart,
  emptyBook,
  type RecoveryBook,
  recoveryDue,
} from './recovery.ts';
import { initialState } from './state.ts';

const check = (action: Check['onCritical']['action'] = 'restart') =>
  ({ failuresBeforeCritical: 3, interval: 1000, onCritical: { action } }) as Pick<
    Check,
    'failuresBeforeCritical' | 'interval' | 'onCritical'
  >;
const critical = { ...initialState('critical'), consecutiveFailures: 3 };

describe('recovery timing', () => {
  it.each<[string, RecoveryBook, Check['onCritical']['action'], number, boolean]>([
    ['entering critical: due', { failures: 3, running: false, attempts: 0 }, 'restart', 10_000, true],
    ['script action: due the same way', { failures: 3, running: false, attempts: 0 }, 'script', 10_000, true],
    ['action none: never', { failures: 3, running: false, attempts: 0 }, 'none', 10_000, false],
    [
      'while one runs: not due',
      { failures: 9, running: true, lastAt: 0, attempts: 1 },
      'restart',
      10_000,
      false,
    ],
    [
      'too few failures since the last attempt',
      { failures: 2, running: false, lastAt: 0, attempts: 1 },
      'restart',
      10_000,
      false,
    ],
    [
      'enough failures but too soon (3 × 1 s)',
      { failures: 3, running: false, lastAt: 8000, attempts: 1 },
      'restart',
      10_000,
      false,
    ],
    [
      'enough failures and long enough',
      { failures: 3, running: false, lastAt: 7000, attempts: 1 },
      'restart',
      10_000,
      true,
    ],
  ])('%s', (_name, book, action, now, due) => {
    expect(recoveryDue(book, critical, check(action), now)).toBe(due);
  });

  it('is never due unless critical', () => {
    const book = { failures: 5, running: false, attempts: 0 };
    for (const status of ['passing', 'warning', 'unknown'] as const)
      expect(recoveryDue(book, initialState(status), check(), 0)).toBe(false);
  });

  it('counts failures, ignores grace, clears on a pass or warning', () => {
    let b = emptyBook();
    b = bookAfterResult(b, 'critical', true);
    b = bookAfterResult(b, 'critical', false);
    b = bookAfterResult(b, 'critical', true);
    expect(b.failures).toBe(2);
    b = bookAtStart(b, 5);
    expect(b).toEqual({ failures: 0, running: true, lastAt: 5, attempts: 1 });
    b = bookAtEnd(bookAfterResult(b, 'warning', true));
    expect(b).toEqual({ failures: 0, running: false, lastAt: 5, attempts: 1 });
    expect(bookAfterResult(b, 'passing', true).attempts).toBe(0);
  });
});
