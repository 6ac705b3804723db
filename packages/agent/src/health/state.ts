import type { HealthState } from '../spec.ts';
import type { CheckStatus } from './checkers/checker.ts';

/**
 * The hysteresis of one check, as a pure function of (state, result, time). The rules:
 *
 * - A check starts `unknown` (or the initial state given) with both counters at 0.
 * - A passing result adds to `consecutivePasses` and clears `consecutiveFailures`; after
 *   `successBeforePassing` passes in a row the check becomes passing.
 * - A critical result adds to `consecutiveFailures` and clears `consecutivePasses`; after
 *   `failuresBeforeCritical` failures in a row the check becomes critical.
 * - A warning result makes the check `warning` at once, from any state, and clears both
 *   counters: the service answered, so it is neither failing nor fully well. Flapping between
 *   warning and critical therefore never reaches critical — the service keeps answering.
 * - Within `grace` after the service (re)started, warning and critical results are recorded in
 *   the history but change neither the state nor the counters; passes count as usual, so a
 *   service that comes up quickly is passing quickly (Nomad's check_restart grace).
 * - While the service is stopped on purpose the check is suspended: back to `unknown`, counters
 *   cleared (`suspend`).
 */
export interface StateOptions {
  successBeforePassing: number;
  failuresBeforeCritical: number;
  /** Milliseconds after the service started during which failures do not count. */
  grace: number;
}

export interface CheckState {
  status: HealthState;
  consecutivePasses: number;
  consecutiveFailures: number;
  /** When the status last changed (ms since the epoch); undefined until it first changes. */
  since?: number;
}

export interface Transition {
  from: HealthState;
  to: HealthState;
  at: number;
}

export interface StepInput {
  status: CheckStatus;
  /** When the result came, ms since the epoch. */
  now: number;
  /** When the service's current process started, ms since the epoch, if known. */
  startedAt?: number;
}

export interface StepOutcome {
  state: CheckState;
  /** Set when the status changed. */
  transition?: Transition;
  /** False when the result fell into the grace period and was ignored. */
  counted: boolean;
}

export function initialState(status: HealthState = 'unknown'): CheckState {
  return { status, consecutivePasses: 0, consecutiveFailures: 0 };
}

export function inGrace(now: number, startedAt: number | undefined, grace: number): boolean {
  return grace > 0 && startedAt !== undefined && now >= startedAt && now < startedAt + grace;
}

export function step(state: CheckState, input: StepInput, opts: StateOptions): StepOutcome {
  const { status, now } = input;
  if (status !== 'passing' && inGrace(now, input.startedAt, opts.grace)) return { state, counted: false };

  let next: CheckState;
  let target: HealthState = state.status;
  if (status === 'passing') {
    next = { ...state, consecutivePasses: state.consecutivePasses + 1, consecutiveFailures: 0 };
    if (next.consecutivePasses >= opts.successBeforePassing) target = 'passing';
  } else if (status === 'warning') {
    next = { ...state, consecutivePasses: 0, consecutiveFailures: 0 };
    target = 'warning';
  } else {
    next = { ...state, consecutivePasses: 0, consecutiveFailures: state.consecutiveFailures + 1 };
    if (next.consecutiveFailures >= opts.failuresBeforeCritical) target = 'critical';
  }
  if (target === state.status) return { state: next, counted: true };
  return {
    state: { ...next, status: target, since: now },
    transition: { from: state.status, to: target, at: now },
    counted: true,
  };
}

/** The check stops knowing: `unknown`, counters cleared; a transition unless it was unknown already. */
export function suspend(state: CheckState, now: number): Omit<StepOutcome, 'counted'> {
  if (state.status === 'unknown')
    return { state: { ...initialState(), ...(state.since === undefined ? {} : { since: state.since }) } };
  return {
    state: { ...initialState(), since: now },
    transition: { from: state.status, to: 'unknown', at: now },
  };
}
