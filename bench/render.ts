/**
 * Renders N business series through opsfleet's SeriesStore and through prom-client gauges
 * (what the public exporter's design would use), side by side in one process, and reports
 * time per render and text size. Writes its section of docs/benchmarks.md.
 */
import { cpus, totalmem } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import { FIXED_LABELS } from '../packages/exporter/src/naming.ts';
import { type Series, SeriesStore } from '../packages/exporter/src/series-store.ts';

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

function time(fn: () => unknown, runs: number): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - t0) / runs;
}

async function timeAsync(fn: () => Promise<unknown>, runs: number): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - t0) / runs;
}

export async function benchRender(n = 100_000, runs = 5) {
  const series = makeSeries(n);
  const store = new SeriesStore();
  store.replace([], series);
  const ours = time(() => {
    store.replace([], []);
    return store.render(() => 'help');
  }, runs);
  const oursBytes = store.render(() => 'help').length;

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
  const theirs = await timeAsync(() => registry.metrics(), runs);
  const theirsBytes = (await registry.metrics()).length;
  return { n, runs, ours, theirs, oursBytes, theirsBytes };
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
