import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Cloudsim, DEMO_ACCOUNTS, demoWorld, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { freePort, stopProcess, waitFor } from './peers.ts';

const CLI = join(import.meta.dirname, '../packages/cli/bin/opsfleet.mjs');
const HANDLERS = { aliyun: aliyunHandler, tencent: tencentHandler };

export interface ExporterOnCloudsim {
  sim: Cloudsim;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, a Prometheus scrape target. */
  target: string;
  process: ChildProcess;
  /** Until its /readyz answers (its first collection is done). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The exporter CLI on cloudsim's demo world for the given clouds: its accounts.yaml and
 * server.yaml are written into `dir`, and it collects every `scrapeInterval`.
 */
export async function startExporterOnCloudsim(
  dir: string,
  clouds: (keyof typeof HANDLERS)[],
  scrapeInterval = '5s',
): Promise<ExporterOnCloudsim> {
  const sim = await startCloudsim({
    world: demoWorld(),
    clouds: Object.fromEntries(clouds.map((c) => [c, { handler: HANDLERS[c] }])),
  });
  const lines = ['accounts:'];
  for (const cloud of clouds) {
    lines.push(`  ${cloud}:`);
    for (const a of DEMO_ACCOUNTS.filter((x) => x.cloud === cloud))
      lines.push(
        `    - {account_id: ${a.accountId}, access_key_id: ${a.accessKeyId}, access_key_secret: ${a.accessKeySecret}, regions: ${JSON.stringify(a.regions)}, endpoint: "${sim.endpoints[cloud]}"}`,
      );
  }
  writeFileSync(join(dir, 'accounts.yaml'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'server.yaml'),
    `server:\n  scrape_interval: ${scrapeInterval}\n  page_size: 1000\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [CLI, 'exporter'], {
    env: {
      ...process.env,
      SERVER_PATH: join(dir, 'server.yaml'),
      ACCOUNTS_PATH: join(dir, 'accounts.yaml'),
      EXPORTER_PORT: String(port),
    },
    stdio: 'ignore',
  });
  return {
    sim,
    url,
    target: `127.0.0.1:${port}`,
    process: child,
    ready: async () => {
      await waitFor(
        'exporter ready',
        async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined),
        90_000,
      );
    },
    stop: async () => {
      await stopProcess(child);
      await sim.close();
    },
  };
}
