import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRender, machine, type RenderFigures } from './render.ts';

/** `npm run bench`: runs every benchmark and rewrites docs/benchmarks.md. */
const figures: RenderFigures[] = [];
for (const n of [100_000, 500_000]) {
  figures.push(await benchRender(n, n > 100_000 ? 2 : 5));
  if (global.gc) global.gc();
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
const rows = figures.map(
  (f) =>
    `| ${f.n.toLocaleString('en')} | ${ms(f.store)} | ${ms(f.cold)} | ${ms(f.partial)} | ${ms(f.unchanged)} | ${ms(f.reference)} | ${(f.cold / f.reference).toFixed(3)}× | ${(f.bytes / 2 ** 20).toFixed(1)} MiB | ${f.rssMiB.toFixed(0)} MiB |`,
);
const md = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machine()}.
Each figure is measured side by side with its reference in the same process and run.

## /metrics rendering of business series

Workload: N series over 40 metric names with 9 labels each (the fixed label set plus \`port\`),
in 14 (provider, account, namespace) groups; average of several renders after one warm-up.
Reference: prom-client 15 \`Registry.metrics()\` over the same series held in \`Gauge\`s, which is what
a design with one gauge vector per metric name (the public exporter's) does on every scrape.

- *store*: the collection hands its series over and their lines are rendered then, off the
  scrape path (a collection of this size takes seconds to minutes against real clouds);
- *scrape after full collection*: the first /metrics answer after every group was replaced;
- *scrape after one group changed*: one group (1/14 of the series) replaced;
- *process RSS*: the benchmark process holding the series and their text, measured before the
  prom-client reference is built (so it includes Node itself, ~50 MiB);
- *unchanged*: nothing changed since the previous scrape (most scrapes: the exporter collects
  every 60 s, Prometheus scrapes every 15–30 s).

| series | store (in collection) | scrape after full collection | scrape after one group changed | scrape, unchanged | prom-client scrape | scrape ÷ prom-client | text | process RSS |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Reproduce: \`npm run bench\`.
`;
writeFileSync(join(import.meta.dirname, '../docs/benchmarks.md'), md);
process.stdout.write(md);
