import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRender, machine } from './render.ts';

/** `npm run bench`: runs every benchmark and rewrites docs/benchmarks.md. */
const render = await benchRender();
const md = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machine()}.
Each figure is measured side by side with its reference in the same run.

## /metrics rendering of business series

Workload: ${render.n.toLocaleString('en')} series (40 metric names, 9 labels each), average of
${render.runs} renders after one warm-up. Reference: prom-client 15 \`Registry.metrics()\` over
the same series held in \`Gauge\`s (what a design with one gauge vector per metric name does).

| renderer | time per render | text size | ratio to reference |
|---|---|---|---|
| opsfleet \`SeriesStore.render\` | ${render.ours.toFixed(1)} ms | ${(render.oursBytes / 2 ** 20).toFixed(1)} MiB | ${(render.ours / render.theirs).toFixed(2)}× |
| prom-client \`Registry.metrics()\` | ${render.theirs.toFixed(1)} ms | ${(render.theirsBytes / 2 ** 20).toFixed(1)} MiB | 1.00× |

Reproduce: \`npm run bench\`.
`;
writeFileSync(join(import.meta.dirname, '../docs/benchmarks.md'), md);
process.stdout.write(md);
