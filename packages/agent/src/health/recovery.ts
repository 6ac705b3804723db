import type { Check } from '../spec.ts';
import type { CheckStatus } from './checkers/checker.ts';
import type { CheckState } from './state.ts';

/**
 * When a critical check runs its recovery action, as pure functions. The action runs when the
 * check enters critical; while it stays critical it runs again only after another
 * `failuresBeforeCritical` counted failures (failures in the grace after a restart do not
 * count) and no sooner than `failuresBeforeCritical × interval` after the previous attempt, and
 * never while an attempt is still running. A pass or a warning clears the failure count.
 * Repeated restarts are further slowed, and eventually stopped (FATAL), by the supervisor's own
 * backoff.
 */
export interface RecoveryBook {
  /** Counted failures since the last attempt (or since the last pass or warning). */
  failures: number;
  running: boolean;
  /** When the last attempt started, ms since the epoch. */
  lastAt?: number;
  /** Attempts since the check was last passing. */
  attempts: number;
}

export const emptyBook = (): RecoveryBook => ({ failures: 0, running: false, attempts: 0 });

/** The book after a result: `counted` is false for results ignored in the grace period. */
export function bookAfterResult(book: RecoveryBook, status: CheckStatus, counted: boolean): RecoveryBook {
  if (!counted) return book;
  if (status === 'critical') return { ...book, failures: book.failures + 1 };
  return { ...book, failures: 0, attempts: status === 'passing' ? 0 : book.attempts };
}

export function recoveryDue(
  book: RecoveryBook,
  state: CheckState,
  check: Pick<Check, 'failuresBeforeCritical' | 'interval' | 'onCritical'>,
  now: number,
): boolean {
  if (check.onCritical.action === 'none' || state.status !== 'critical' || book.running) return false;
  if (book.failures < check.failuresBeforeCritical) return false;
  return book.lastAt === undefined || now - book.lastAt >= check.failuresBeforeCritical * check.interval;
}

export function bookAtStart(book: RecoveryBook, now: number): RecoveryBook {
  return { failures: 0, running: true, lastAt: now, attempts: book.attempts + 1 };
}

export function bookAtEnd(book: RecoveryBook): RecoveryBook {
  return { ...book, running: false };
}
