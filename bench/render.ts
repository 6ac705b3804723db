/**
 * /metrics rendering: N business series turned into exposition text by opsfleet's SeriesStore
 * and by prom-client gauges (what the public exporter's design uses), each side in its own
 * process (bench/render-worker.ts), so neither's heap or compiled code weighs on the other.
 */
import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface RenderFigures {
  n: number;
  runs: number;
  /** opsfleet from scratch: a new store takes every series (lines rendered) and the text is joined. */
  scratch: number;
  /** opsfleet's scrape after a full collection: the lines are ready, the chunks are lined up. */
  cached: number;
  /** opsfleet: one group (~1/14 of the series) replaced, then the scrape's chunks. */
  oneGroup: number;
  bytes: number;
  rssMiB: number;
  /** prom-client from scratch: every gauge reset and set, then `Registry.metrics()`. */
  reference: number;
  /** prom-client's scrape alone: `Registry.metrics()` over gauges already set. */
  referenceScrape: number;
  referenceBytes: number;
  referenceRssMiB: number;
}

const WORKER = join(import.meta.dirname, 'render-worker.ts');

async function worker(side: 'opsfleet' | 'prom-client', n: number, runs: number) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', WORKER, side, String(n), String(runs)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as Record<string, number>;
}

export async function benchRender(n: number, runs = 5): Promise<RenderFigures> {
  const ours = await worker('opsfleet', n, runs);
  const ref = await worker('prom-client', n, runs);
  return {
    n,
    runs,
    scratch: ours.scratch!,
    cached: ours.cached!,
    oneGroup: ours.oneGroup!,
    bytes: ours.bytes!,
    rssMiB: ours.rssMiB!,
    reference: ref.scratch!,
    referenceScrape: ref.scrape!,
    referenceBytes: ref.bytes!,
    referenceRssMiB: ref.rssMiB!,
  };
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
