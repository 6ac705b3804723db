import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloudsim, DEMO_ACCOUNTS, demoWorld, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../bin/opsfleet.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The (account, region, namespace) products a replica's /metrics holds series for. */
async function productsOf(url: string): Promise<Set<string>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('multicloud_') || !line.includes('cloud_provider=')) continue;
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(line)?.[1];
    out.add(`${label('account_id')}|${label('region')}|${label('namespace')}`);
  }
  return out;
}

describe('three exporter processes sharing one fleet (EXPORT_SHARD_TOTAL=3)', () => {
  let sim: Cloudsim;
  const children: ChildProcess[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    sim = await startCloudsim({
      world: demoWorld(),
      clouds: { aliyun: { handler: aliyunHandler }, tencent: { handler: tencentHandler } },
    });
    const dir = mkdtempSync(join(tmpdir(), 'shards-'));
    const lines = ['accounts:'];
    for (const cloud of ['aliyun', 'tencent'] as const) {
      lines.push(`  ${cloud}:`);
      for (const a of DEMO_ACCOUNTS.filter((x) => x.cloud === cloud)) {
        lines.push(
          `    - {account_id: ${a.accountId}, access_key_id: ${a.accessKeyId}, access_key_secret: ${a.accessKeySecret}, regions: ${JSON.stringify(a.regions)}, resources: [bwp, clb], endpoint: "${sim.endpoints[cloud]}"}`,
        );
      }
    }
    writeFileSync(join(dir, 'accounts.yaml'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'server.yaml'), 'server:\n  scrape_interval: 1h\n');
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      urls.push(`http://127.0.0.1:${port}`);
      children.push(
        spawn(process.execPath, [CLI, 'exporter'], {
          env: {
            ...process.env,
            SERVER_PATH: join(dir, 'server.yaml'),
            ACCOUNTS_PATH: join(dir, 'accounts.yaml'),
            EXPORTER_PORT: String(port),
            EXPORT_SHARD_TOTAL: '3',
            EXPORT_SHARD_INDEX: String(index),
            FIRST_RUN_STRATEGY: 'immediate',
          },
          stdio: 'ignore',
        }),
      );
    }
    for (const url of urls) {
      for (let i = 0; i < 300; i++) {
        if (
          await fetch(`${url}/readyz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 90_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await sim?.close();
  });

  it('collects every product exactly once across the replicas', async () => {
    const perReplica = await Promise.all(urls.map(productsOf));
    const all = perReplica.flatMap((s) => [...s]);
    expect(all.length).toBe(new Set(all).size);
    expect(perReplica.every((s) => s.size > 0)).toBe(true);
    const status = await Promise.all(urls.map(async (u) => (await fetch(`${u}/status`)).json()));
    expect(status.map((s) => s.shard)).toEqual([
      { total: 3, index: 0, source: 'static' },
      { total: 3, index: 1, source: 'static' },
      { total: 3, index: 2, source: 'static' },
    ]);
  });

  it('together cover every product a single replica collects', async () => {
    const union = new Set((await Promise.all(urls.map(productsOf))).flatMap((s) => [...s]));
    const aliyunNs = ['acs_bandwidth_package', 'acs_slb_dashboard'];
    const expected = new Set<string>();
    for (const r of demoWorld().resources) {
      if (r.cloud !== 'aliyun' && r.cloud !== 'tencent') continue;
      if (r.type !== 'clb' && r.type !== 'bwp') continue;
      const account = DEMO_ACCOUNTS.find((a) => a.accessKeyId === r.owner)!;
      if (!account.regions.includes('*') && !account.regions.includes(r.region)) continue;
      const ns =
        r.cloud === 'aliyun' ? aliyunNs[r.type === 'bwp' ? 0 : 1] : r.type === 'bwp' ? 'QCE/BWP' : 'QCE/LB';
      expected.add(`${account.accountId}|${r.region}|${ns}`);
    }
    expect(union).toEqual(expected);
  });
});
