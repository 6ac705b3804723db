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
    '| series | store (in collection) | scrape text ready, after full collection | after one group changed | unchanged | prom-client scrape | ratio | text |',
    '|---|---|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.n.toLocaleString('en')} | ${ms(f.store)} | ${ms(f.cold)} | ${ms(f.partial)} | ${ms(f.unchanged)} | ${ms(f.reference)} | ${ratio(f.cold / f.reference)} | ${mib(f.bytes)} |`,
    ),
  ].join('\n');
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

### Cold cycle (first start: regions enumerated, every region probed, resources listed and tagged)

${cycleTable(full.cold)}

- ${cold.calls} calls in all, ${cold.data} of them data calls (minimum ${cold.minimum}); wall time
  ${full.cold.wallSeconds.toFixed(1)} s against ${cold.bound.toFixed(1)} s for the data calls alone (${ratio(coldTime)}).
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

N series over 40 metric names with 9 labels, in 14 groups, in one process; reference: prom-client
15 \`Registry.metrics()\` over the same series in \`Gauge\`s (the public exporter's design renders
everything on every scrape). *store* is work done in the collection; a scrape only lines up the
cached chunks (the times shown) and streams them; end-to-end scrape times are in the table above.

${renderTable(b.render)}
`;
}
