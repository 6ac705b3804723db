import type { HealthState } from '../spec.ts';
import type { CheckStatus } from './checkers/checker.ts';

/** A fixed-size buffer that keeps the newest `capacity` items. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`ring capacity must be ≥ 1, got ${capacity}`);
    this.items = new Array(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  toArray(): T[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    return Array.from({ length: this.count }, (_, i) => this.items[(start + i) % this.capacity] as T);
  }

  /** The newest item. */
  last(): T | undefined {
    return this.count ? this.items[(this.next - 1 + this.capacity) % this.capacity] : undefined;
  }
}

export interface ResultEntry {
  /** UTC ISO time the run ended. */
  at: string;
  status: CheckStatus;
  output: string;
  ms: number;
  /** False when the result fell in the grace period after a start and did not count. */
  counted: boolean;
}

export interface TransitionEntry {
  at: string;
  from: HealthState;
  to: HealthState;
  /** The output of the result that caused it. */
  output: string;
}

export interface HistorySnapshot {
  results: ResultEntry[];
  transitions: TransitionEntry[];
}

export const DEFAULT_HISTORY = 100;

/** The last results and the last transitions of one check. */
export class CheckHistory {
  readonly results: Ring<ResultEntry>;
  readonly transitions: Ring<TransitionEntry>;

  constructor(results = DEFAULT_HISTORY, transitions = DEFAULT_HISTORY) {
    this.results = new Ring(results);
    this.transitions = new Ring(transitions);
  }

  snapshot(): HistorySnapshot {
    return { results: this.results.toArray(), transitions: this.transitions.toArray() };
  }
}
