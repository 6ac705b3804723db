/**
 * One side of the /metrics rendering benchmark, alone in its process so neither side's heap
 * or JIT state weighs on the other: `render-worker.ts <opsfleet|prom-client> <series> <runs>`
 * prints one JSON line of figures (ms averaged over `runs` after one warm-up).
 */
import { Gauge, Registry } from 'prom-client';
import { FIXED_LABELS } from '../packages/exporter/src/naming.ts';
import { groupKey, SeriesStore } from '../packages/exporter/src/series-store.ts';
import { makeSeries } from './render-series.ts';

const [side, nArg, runsArg] = process.argv.slice(2);
const n = Number(nArg);
const runs = Number(runsArg);
const series = makeSeries(n);
const help = () => 'help';

/** Average of `runs` timed calls after one warm-up, each after a full GC when exposed. */
async function time(fn: () => unknown): Promise<number> {
  await fn();
  let total = 0;
  for (let i = 0; i < runs; i++) {
    global.gc?.();
    const t0 = performance.now();
    await fn();
    total += performance.now() - t0;
  }
  return total / runs;
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

if (side === 'opsfleet') {
  let bytes = 0;
  // From scratch: a new store takes every series (rendering their lines) and the text is joined.
  const scratch = await time(() => {
    const store = new SeriesStore();
    store.replace([], series);
    bytes = store.render(help).length;
  });
  // What a scrape costs in the exporter, which streams the chunks: the collection already
  // rendered the lines (`replace` of nothing only forgets the joined list).
  const store = new SeriesStore();
  store.replace([], series);
  const cached = await time(() => {
    store.replace([], []);
    return store.renderChunks(help);
  });
  const first = series[0]!.labels;
  const group = groupKey(first.cloud_provider!, first.account_id!, first.namespace!);
  const groupSeries = series.filter(
    (s) => groupKey(s.labels.cloud_provider!, s.labels.account_id!, s.labels.namespace!) === group,
  );
  const oneGroup = await time(() => {
    store.replace([group], groupSeries);
    return store.renderChunks(help);
  });
  process.stdout.write(`${JSON.stringify({ scratch, cached, oneGroup, bytes, rssMiB: rssMiB() })}\n`);
} else if (side === 'prom-client') {
  const registry = new Registry();
  const gauges = new Map<string, Gauge>();
  for (const s of series)
    if (!gauges.has(s.name))
      gauges.set(
        s.name,
        new Gauge({
          name: s.name,
          help: 'help',
          labelNames: [...FIXED_LABELS, 'port'],
          registers: [registry],
        }),
      );
  let bytes = 0;
  // From scratch: every gauge reset and set from the series, then the registry rendered.
  const scratch = await time(async () => {
    for (const g of gauges.values()) g.reset();
    for (const s of series) gauges.get(s.name)!.set(s.labels, s.value);
    bytes = (await registry.metrics()).length;
  });
  // A scrape alone: the registry renders everything on every call.
  const scrape = await time(() => registry.metrics());
  process.stdout.write(`${JSON.stringify({ scratch, scrape, bytes, rssMiB: rssMiB() })}\n`);
} else {
  process.stderr.write('usage: render-worker.ts <opsfleet|prom-client> <series> <runs>\n');
  process.exit(2);
}
