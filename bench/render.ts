/**
 * Renders N business series through opsfleet's SeriesStore and through prom-client gauges
 * (what the public exporter's design would use), side by side in one process, and reports
 * time per render and text size. Writes its section of docs/benchmarks.md.
 */
import { cpus, totalmem } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import { FIXED_LABELS } from '../packages/exporter/src/naming.ts';
import { groupKey, type Series, SeriesStore } from '../packages/exporter/src/series-store.ts';

function makeSeries(n: number): Series[] {
  const out: Series[] = [];
  const metrics = 40;
  for (let i = 0; i < n; i++) {
    const m = i % metrics;
    out.push({
      name: `clb_metric_${m}`,
      labels: {
        cloud_provider: i % 2 ? 'aliyun' : 'tencent',
        account_id: `acc-${i % 7}`,
        region: `region-${i % 20}`,
        resource_type: 'clb',
        resource_id: `lb-${Math.floor(i / metrics)}`,
        namespace: 'acs_slb_dashboard',
        metric_name: `Metric${m}`,
        code_name: `svc-${i % 50}`,
        port: String(80 + (i % 3)),
      },
      value: i * 1.5,
    });
  }
  return out;
}

/** Average time of `runs` calls after one warm-up; with `selfTimed`, `fn` returns the part to count. */
function time(fn: () => unknown, runs: number, selfTimed = false): number {
  fn();
  let total = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const own = fn();
    total += selfTimed ? (own as number) : performance.now() - t0;
  }
  return total / runs;
}

async function timeAsync(fn: () => Promise<unknown>, runs: number): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - t0) / runs;
}

export interface RenderFigures {
  n: number;
  runs: number;
  /** Storing every series, lines rendered (work done in the collection, off the scrape path). */
  store: number;
  /** The first scrape after a full collection. */
  cold: number;
  /** The first scrape after one group (~1/14 of the series) was replaced. */
  partial: number;
  /** Nothing changed since the last scrape. */
  unchanged: number;
  reference: number;
  bytes: number;
  referenceBytes: number;
  /** Process RSS holding the store and its rendered text, before the reference is built. */
  rssMiB: number;
}

export async function benchRender(n: number, runs = 5): Promise<RenderFigures> {
  const series = makeSeries(n);
  const help = () => 'help';
  let storeMs = 0;
  const cold = time(
    () => {
      const fresh = new SeriesStore();
      const t0 = performance.now();
      fresh.replace([], series);
      storeMs += performance.now() - t0;
      const t1 = performance.now();
      fresh.renderChunks(help);
      return performance.now() - t1;
    },
    runs,
    true,
  );
  const storeAvg = storeMs / (runs + 1);
  const store = new SeriesStore();
  store.replace([], series);
  const bytes = store.renderChunks(help).reduce((n, c) => n + c.length, 0);
  const first = series[0]!.labels;
  const oneGroup = groupKey(first.cloud_provider!, first.account_id!, first.namespace!);
  const groupSeries = series.filter(
    (s) => groupKey(s.labels.cloud_provider!, s.labels.account_id!, s.labels.namespace!) === oneGroup,
  );
  const partial = time(
    () => {
      store.replace([oneGroup], groupSeries);
      const t1 = performance.now();
      store.renderChunks(help);
      return performance.now() - t1;
    },
    runs,
    true,
  );
  const unchanged = time(() => store.renderChunks(help), runs);
  const rssMiB = process.memoryUsage().rss / 2 ** 20;

  const registry = new Registry();
  const gauges = new Map<string, Gauge>();
  for (const s of series) {
    let g = gauges.get(s.name);
    if (!g) {
      g = new Gauge({
        name: s.name,
        help: 'help',
        labelNames: [...FIXED_LABELS, 'port'],
        registers: [registry],
      });
      gauges.set(s.name, g);
    }
    g.set(s.labels, s.value);
  }
  const reference = await timeAsync(() => registry.metrics(), runs);
  const referenceBytes = (await registry.metrics()).length;
  return { n, runs, store: storeAvg, cold, partial, unchanged, reference, bytes, referenceBytes, rssMiB };
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
