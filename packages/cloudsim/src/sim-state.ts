import { MetricValues, type SimCloud, type SimWorld } from './world.ts';

/**
 * Faults a test can inject. Each matches a cloud and optionally one action, fires `times`
 * times (Infinity for always) and is then removed.
 */
/** `bad_token` repeats the paging token; `empty_pages` answers empty pages with a fresh token forever. */
export type FaultKind = 'throttle' | 'server_error' | 'timeout' | 'auth' | 'bad_token' | 'empty_pages';

export interface Fault {
  cloud: SimCloud;
  action?: string;
  kind: FaultKind;
  times: number;
}

export interface CallRecord {
  cloud: SimCloud;
  action: string;
  accessKeyId?: string;
  region?: string;
  /** Decoded request parameters (query/body), for tests that assert what was asked. */
  params: Record<string, unknown>;
  at: number;
}

export interface SimOptions {
  /** Added to every call before it is answered (benchmarks use 50 ms). */
  latencyMs?: number;
  /**
   * Per-account, per-action rate limits keyed `cloud:Action` (`cloud:*` sets a default): calls
   * per second, or calls per window for limits the cloud states per minute.
   */
  rateLimits?: Record<string, number | { calls: number; windowMs: number }>;
  /** How long a `timeout` fault holds the request before dropping it. */
  timeoutMs?: number;
  /** CloudWatch GetMetricData results per page before a NextToken (default 500, one full call). */
  cloudwatchPageSize?: number;
}

export class SimState {
  readonly values = new MetricValues();
  readonly calls: CallRecord[] = [];
  private faults: Fault[] = [];
  private readonly windows = new Map<string, number[]>();

  constructor(
    public world: SimWorld,
    public options: SimOptions = {},
  ) {}

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Takes the first matching fault (decrementing its count), if any. */
  takeFault(cloud: SimCloud, action: string): FaultKind | undefined {
    const idx = this.faults.findIndex(
      (f) => f.cloud === cloud && (f.action === undefined || f.action === action),
    );
    if (idx < 0) return undefined;
    const fault = this.faults[idx]!;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(idx, 1);
    return fault.kind;
  }

  record(call: Omit<CallRecord, 'at'>): void {
    this.calls.push({ ...call, at: Date.now() });
  }

  /** Calls recorded for one action (all clouds' actions are distinct by the `cloud` field). */
  callsOf(cloud: SimCloud, action: string): CallRecord[] {
    return this.calls.filter((c) => c.cloud === cloud && c.action === action);
  }

  countByAction(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.calls) out[`${c.cloud}:${c.action}`] = (out[`${c.cloud}:${c.action}`] ?? 0) + 1;
    return out;
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /**
   * True when the account already made `limit` calls of the action within the window (one
   * second unless stated), the way the clouds state their limits ("20 calls per second", "500
   * per minute"). Refused calls do not count.
   */
  overRateLimit(cloud: SimCloud, action: string, accessKeyId: string, now = Date.now()): boolean {
    const limits = this.options.rateLimits ?? {};
    const spec = limits[`${cloud}:${action}`] ?? limits[`${cloud}:*`];
    if (!spec) return false;
    const { calls, windowMs } = typeof spec === 'number' ? { calls: spec, windowMs: 1000 } : spec;
    const key = `${cloud}:${action}:${accessKeyId}`;
    const recent = (this.windows.get(key) ?? []).filter((t) => now - t < windowMs);
    const over = recent.length >= calls;
    if (!over) recent.push(now);
    this.windows.set(key, recent);
    return over;
  }
}
