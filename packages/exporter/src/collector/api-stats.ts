/**
 * Per-(provider, api) call statistics for `/api/discovery/status`: totals by status and a
 * 300-slot ring of one-second buckets for the 1m/5m rates.
 */
const SLOTS = 300;

interface Entry {
  provider: string;
  api: string;
  total: number;
  statusCount: Record<string, number>;
  ring: Uint32Array;
  ringSecond: Float64Array;
}

export class ApiStats {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  record(provider: string, api: string, status: string): void {
    const key = `${provider}|${api}`;
    let e = this.entries.get(key);
    if (!e) {
      e = {
        provider,
        api,
        total: 0,
        statusCount: {},
        ring: new Uint32Array(SLOTS),
        ringSecond: new Float64Array(SLOTS),
      };
      this.entries.set(key, e);
    }
    e.total += 1;
    e.statusCount[status] = (e.statusCount[status] ?? 0) + 1;
    const second = Math.floor(this.now() / 1000);
    const slot = second % SLOTS;
    if (e.ringSecond[slot] !== second) {
      e.ringSecond[slot] = second;
      e.ring[slot] = 0;
    }
    e.ring[slot]! += 1;
  }

  private callsWithin(e: Entry, seconds: number): number {
    const nowSecond = Math.floor(this.now() / 1000);
    let sum = 0;
    for (let i = 0; i < SLOTS; i++) {
      const age = nowSecond - e.ringSecond[i]!;
      if (age >= 0 && age < seconds) sum += e.ring[i]!;
    }
    return sum;
  }

  snapshot(): {
    provider: string;
    api: string;
    total: number;
    status_count: Record<string, number>;
    qps_1m: number;
    qps_5m: number;
  }[] {
    return [...this.entries.values()]
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.api.localeCompare(b.api))
      .map((e) => ({
        provider: e.provider,
        api: e.api,
        total: e.total,
        status_count: { ...e.statusCount },
        qps_1m: Number((this.callsWithin(e, 60) / 60).toFixed(3)),
        qps_5m: Number((this.callsWithin(e, 300) / 300).toFixed(3)),
      }));
  }
}
