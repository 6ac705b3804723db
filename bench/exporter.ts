import { benchCollection, type CollectionFigures, type Cycle, DATA_API, FLEET } from './collection.ts';
import { benchRender, type RenderFigures } from './render.ts';

/** The heap cap the container image and the Helm chart ship (deploy/docker/Dockerfile). */
const IMAGE_NODE_OPTIONS = '--max-old-space-size=256';
/** The fleet scaled so that it exports about 100,000 series. */
const SCALE_100K = 0.62;

const ms = (x: number) => `${x.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ratio = (x: number) => `${x.toFixed(3)}×`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

function callTotals(c: Cycle) {
  const calls = c.clouds.reduce((n, x) => n + x.calls, 0);
  const data = c.clouds.reduce((n, x) => n + x.dataCalls, 0);
  const minimum = c.clouds.reduce((n, x) => n + x.minimumDataCalls, 0);
  const bound = Math.max(...c.clouds.map((x) => x.lowerBound));
  return { calls, data, minimum, bound, bounding: c.clouds.find((x) => x.lowerBound === bound)!.cloud };
}

function cycleTable(c: Cycle): string {
  const rows = c.clouds.map(
    (x) =>
      `| ${x.cloud} | ${x.calls} | ${DATA_API[x.cloud].action} | ${x.dataCalls} | ${x.minimumDataCalls} | ${ratio(x.dataCalls / x.minimumDataCalls)} | ${x.lowerBound.toFixed(1)} s |`,
  );
  return [
    '| cloud | all calls | data API | data calls | minimum | ratio | lower bound |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function listingLine(c: Cycle): string {
  return c.clouds
    .map(
      (x) =>
        `${x.cloud}: ${Object.entries(x.byApi)
          .filter(([api]) => api !== DATA_API[x.cloud].action)
          .map(([api, n]) => `${api} ${n}`)
          .join(', ')}`,
    )
    .join('; ');
}

function renderTable(figures: RenderFigures[]): string {
  return [
    '| series | opsfleet from scratch | prom-client from scratch | ratio | prom-client scrape alone | opsfleet from scratch ÷ it | opsfleet scrape after a collection | after one group changed | text (opsfleet / prom-client) | process RSS (opsfleet / prom-client) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.n.toLocaleString('en')} | **${ms(f.scratch)}** | **${ms(f.reference)}** | **${ratio(f.scratch / f.reference)}** | ${ms(f.referenceScrape)} | ${ratio(f.scratch / f.referenceScrape)} | ${ms(f.cached)} | ${ms(f.oneGroup)} | ${mib(f.bytes)} / ${mib(f.referenceBytes)} | ${f.rssMiB.toFixed(0)} / ${f.referenceRssMiB.toFixed(0)} MiB |`,
    ),
  ].join('\n');
}

/** server.yaml's default `scrape_interval`: one collection a minute. */
const DEFAULT_INTERVAL_S = 60;
const CYCLES_PER_MONTH = (30 * 86_400) / DEFAULT_INTERVAL_S;

/**
 * What each cloud bills for the metric reads, and its free quota per month
 * (shared/research/api-limits.md; AWS: the CloudWatch free tier's API requests exclude GetMetricData).
 */
const BILLING: Record<string, { unit: string; free: number; beyond: string; perUnitUsd?: number }> = {
  aliyun: {
    unit: 'CMS metric-data calls',
    free: 1_000_000,
    beyond: 'blocked unless pay-as-you-go is on (price not published)',
  },
  tencent: {
    unit: 'GetMonitorData calls',
    free: 1_000_000,
    beyond: 'USD 0.035 per 10,000 calls (pay-as-you-go must be on, else blocked)',
    perUnitUsd: 0.035 / 10_000,
  },
  huawei: { unit: 'BatchListMetricData calls', free: Number.NaN, beyond: 'no per-call price found' },
  aws: {
    unit: 'metrics requested (GetMetricData)',
    free: 0,
    beyond: 'USD 0.01 per 1,000 metrics requested',
    perUnitUsd: 0.01 / 1_000,
  },
};

function billingTable(c: Cycle): string {
  const rows = c.clouds.map((x) => {
    const b = BILLING[x.cloud]!;
    const month = x.billed * CYCLES_PER_MONTH;
    const over = Number.isNaN(b.free) ? 0 : Math.max(0, month - b.free);
    const free = Number.isNaN(b.free) ? '—' : b.free.toLocaleString('en');
    const cost =
      b.perUnitUsd === undefined
        ? b.beyond
        : `${b.beyond}: **USD ${(over * b.perUnitUsd).toFixed(0)}** a month`;
    const share = Number.isNaN(b.free) || b.free === 0 ? '' : ` (${ratio(month / b.free)} the free quota)`;
    return `| ${x.cloud} | ${b.unit} | ${x.billed.toLocaleString('en')} | **${month.toLocaleString('en')}**${share} | ${free} | ${cost} |`;
  });
  return [
    `| cloud | billed for | per warm cycle | per month at the default ${DEFAULT_INTERVAL_S} s interval | free per month | beyond the free quota |`,
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function startLine(f: CollectionFigures): string {
  const calls = Object.entries(f.start.beforeCycleCalls)
    .map(
      ([cloud, apis]) =>
        `${cloud}: ${Object.entries(apis)
          .map(([api, n]) => `${api} ${n}`)
          .join(', ')}`,
    )
    .join('; ');
  const total = Object.values(f.start.beforeCycleCalls).reduce(
    (n, apis) => n + Object.values(apis).reduce((a, b) => a + b, 0),
    0,
  );
  const cycle = f.cold.clouds.reduce((n, x) => n + x.calls, 0);
  return `From process start: ${f.start.beforeCycle.toFixed(1)} s and ${total} calls before the first collection started (loading, product discovery${calls ? `: ${calls}` : ''}); the first collection ended **${f.start.toFirstCycleEnd.toFixed(1)} s after the process started, ${(total + cycle).toLocaleString('en')} calls in all**.`;
}

export interface ExporterBench {
  full: CollectionFigures;
  at100k: CollectionFigures;
  at100kUncapped: CollectionFigures;
  render: RenderFigures[];
}

export async function runExporterBench(log: (s: string) => void): Promise<ExporterBench> {
  log('exporter: 10,000-resource fleet with the image heap cap\n');
  const full = await benchCollection(1, IMAGE_NODE_OPTIONS, log);
  log('exporter: fleet scaled to ~100,000 series, image heap cap\n');
  const at100k = await benchCollection(SCALE_100K, IMAGE_NODE_OPTIONS, log);
  log('exporter: same, plain node (no heap cap)\n');
  const at100kUncapped = await benchCollection(SCALE_100K, '', log);
  log('exporter: /metrics rendering at 100,000 and 500,000 series\n');
  const render: RenderFigures[] = [];
  for (const n of [100_000, 500_000]) {
    render.push(await benchRender(n, n > 100_000 ? 2 : 5));
    global.gc?.();
  }
  return { full, at100k, at100kUncapped, render };
}

export function exporterSection(b: ExporterBench): string {
  const { full, at100k, at100kUncapped } = b;
  const cold = callTotals(full.cold);
  const warm = callTotals(full.warm);
  const warmCalls = warm.calls / warm.minimum;
  const warmTime = full.warm.wallSeconds / warm.bound;
  const coldTime = full.cold.wallSeconds / cold.bound;
  const fleet = Object.entries(FLEET)
    .map(
      ([cloud, types]) =>
        `${cloud} ${Object.entries(types)
          .map(([t, n]) => `${n} ${t}`)
          .join(', ')}`,
    )
    .join('; ');
  return `## Exporter: one collection cycle against cloudsim

Workload (\`npm run bench:exporter\`): cloudsim serving **${full.resources.toLocaleString('en')} resources** over
4 clouds × 20 regions each, 17 of each cloud's 20 regions empty (${fleet}); one account per cloud,
\`regions: ["*"]\` (Huawei: the 20 regions listed, since its \`*\` is a fixed list of 9); every call
answered after **50 ms**, and each cloud's data API held to its documented rate limit by cloudsim
(Aliyun DescribeMetricLast 50/s, Tencent GetMonitorData 20/s, Huawei BatchListMetricData 500/min,
AWS GetMetricData 50/s; shared/research/api-limits.md). The exporter runs as the container
image runs it: its own process, the bundled build (\`node dist/opsfleet.mjs exporter\`), default
concurrency (4 regions × 2 products × 5 metric batches) and \`NODE_OPTIONS=${IMAGE_NODE_OPTIONS}\`.
Calls are counted by cloudsim.

The *minimum* is what the batch limits allow for the questions asked: per cloud, the distinct
questions that could share a call (Aliyun and Tencent: same region, namespace, metric and period;
Huawei: same region and period; AWS: same region and window) divided by the batch size (50, 10,
500, 500), rounded up. The *lower bound* on time is, per cloud, the largest of minimum calls ÷
the documented rate, minimum calls × 50 ms ÷ 40 calls in flight, and one call's latency per
dependent step (list, then read); the cycle's bound is the slowest cloud's.

### Warm cycle (resource lists cached; every cycle after the first within \`discovery_ttl\`)

${cycleTable(full.warm)}

- API calls: **${warm.data} data calls against a minimum of ${warm.minimum} (${ratio(warmCalls)})**, goal ≤ 1.05×: ${verdict(warmCalls <= 1.05)}.
  The calls above the minimum are retries of calls cloudsim throttled: the exporter's token
  buckets run a little under each limit, but 50 ms of network lets calls bunch up at the server.
- Wall time: **${full.warm.wallSeconds.toFixed(1)} s against a lower bound of ${warm.bound.toFixed(1)} s (${warm.bounding}) = ${ratio(warmTime)}**, goal ≤ 1.25×: ${verdict(warmTime <= 1.25)}.
  ${warm.bounding === 'tencent' ? 'Tencent bounds the cycle: 10 instances per GetMonitorData call at 20 calls/s; the exporter paces itself at 18/s to stay clear of the limit (a 1.11× floor).' : ''}

What this fleet's metric reads cost, one warm cycle every ${DEFAULT_INTERVAL_S} s (server.yaml's default
\`scrape_interval\`) for 30 days (prices and quotas: shared/research/api-limits.md):

${billingTable(full.warm)}

The calls scale with the number of collections and of resources × metrics, so to cut them: a
longer \`scrape_interval\` (\`300s\` makes a fifth of the calls; most load balancer metrics are
aggregated per minute, storage metrics per day), fewer resource types in each account's
\`resources:\`, and explicit \`regions:\` instead of \`["*"]\`. Every metric the cloud's metadata
lists for a collected namespace is read; there is no per-metric selection.

### Cold cycle (first start: regions enumerated, every region probed, resources listed and tagged)

${cycleTable(full.cold)}

- ${cold.calls} calls in all, ${cold.data} of them data calls (minimum ${cold.minimum}); wall time
  ${full.cold.wallSeconds.toFixed(1)} s against ${cold.bound.toFixed(1)} s for the data calls alone (${ratio(coldTime)}).
- ${startLine(full)}
- Listing and metadata calls: ${listingLine(full.cold)}.

### /metrics and memory

| fleet | series | /metrics (curl, first scrape after the cycle) | unchanged | text | peak RSS (VmHWM) |
|---|---|---|---|---|---|
| 10,000 resources, image heap cap | ${full.series.toLocaleString('en')} | ${ms(full.scrape.ms)} | ${ms(full.scrape.unchangedMs)} | ${mib(full.scrape.bytes)} | ${full.peakRssMiB.toFixed(0)} MiB |
| scaled to ~100k series, image heap cap | ${at100k.series.toLocaleString('en')} | ${ms(at100k.scrape.ms)} | ${ms(at100k.scrape.unchangedMs)} | ${mib(at100k.scrape.bytes)} | **${at100k.peakRssMiB.toFixed(0)} MiB** |
| scaled to ~100k series, plain \`node\` | ${at100kUncapped.series.toLocaleString('en')} | ${ms(at100kUncapped.scrape.ms)} | ${ms(at100kUncapped.scrape.unchangedMs)} | ${mib(at100kUncapped.scrape.bytes)} | ${at100kUncapped.peakRssMiB.toFixed(0)} MiB |

- /metrics at ~100k series: ${ms(at100k.scrape.ms)} end to end, goal ≤ 100 ms: ${verdict(at100k.scrape.ms <= 100)}.
- Peak RSS at ~100k series with the shipped heap cap: ${at100k.peakRssMiB.toFixed(0)} MiB, goal ≤ 300 MB (286 MiB): ${verdict(at100k.peakRssMiB * 2 ** 20 <= 300e6)}.
  Without the cap V8 lets collection garbage pile up before collecting it (the row above);
  what the exporter keeps is about 1 KiB per series on top of ~150 MiB of Node and the five
  clouds' SDKs (the AWS EC2 client alone is 66 MiB and is loaded only for \`["*"]\` AWS accounts;
  running the sources through tsx instead of the build adds ~25 MiB).

### /metrics rendering alone

N series over 40 metric names with 9 labels, in 14 groups; each side in its own process
(\`bench/render-worker.ts\`), averaged over ${b.render.map((f) => `${f.runs} run${f.runs === 1 ? '' : 's'} at ${f.n.toLocaleString('en')}`).join(' and ')} after a warm-up, a full GC before each.
**From scratch** is the headline: opsfleet's \`SeriesStore\` taking every series into a new store
(it renders their lines) and joining the text, against prom-client 15 resetting and setting every
\`Gauge\` and rendering \`Registry.metrics()\` (the public exporter's design). In the exporter the
lines are rendered during the collection, so a scrape after it only lines up the ready chunks
(*opsfleet scrape after a collection*) while prom-client renders everything on every scrape
(*prom-client scrape alone*); those two columns show that difference, not the cost of rendering.
End-to-end scrape times are in the table above.

${renderTable(b.render)}

- From scratch, opsfleet takes ${b.render.map((f) => `${ratio(f.scratch / f.reference)} prom-client's time at ${f.n.toLocaleString('en')} series`).join(' and ')}; against prom-client's scrape alone (its gauges already set), ${b.render.map((f) => `${ratio(f.scratch / f.referenceScrape)} at ${f.n.toLocaleString('en')}`).join(' and ')}.
`;
}
