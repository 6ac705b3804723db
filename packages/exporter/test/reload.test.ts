import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloudsim, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { silentLogger } from '@opsfleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExporterConfig } from '../src/config/load.ts';
import { createExporter, type Exporter } from '../src/exporter.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { PROVIDERS, resourceVocabulary } from '../src/providers/index.ts';

/** Reads Server-Sent Events frames off a streaming response; heartbeats are counted, not returned. */
class EventReader {
  private buffer = '';
  heartbeats = 0;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  async next(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const frame = this.buffer.slice(0, end + 2);
        this.buffer = this.buffer.slice(end + 2);
        if (frame.startsWith(':')) {
          this.heartbeats += 1;
          continue;
        }
        return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      this.pending ??= this.reader.read();
      const got = await Promise.race([
        this.pending,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left)),
      ]);
      if (got === 'timeout') return undefined;
      this.pending = undefined;
      if (got.done) return undefined;
      this.buffer += new TextDecoder().decode(got.value);
    }
  }

  cancel() {
    return this.reader.cancel();
  }
}

describe('hot reload and the discovery stream (AC-07, AC-28)', () => {
  let sim: Cloudsim;
  let exporter: Exporter;
  let url = '';
  const dir = mkdtempSync(join(tmpdir(), 'reload-'));
  const accountsPath = join(dir, 'accounts.yaml');
  const accounts = (resources: string) =>
    `accounts:\n  aliyun:\n    - account_id: acc\n      access_key_id: LTAIreload\n      access_key_secret: \${ALI_SK:-reload-secret}\n      regions: [cn-hangzhou]\n      resources: [${resources}]\n      endpoint: ${sim.endpoints.aliyun}\n`;

  beforeAll(async () => {
    sim = await startCloudsim({
      world: {
        accounts: [
          { cloud: 'aliyun', accessKeyId: 'LTAIreload', accessKeySecret: 'reload-secret', uid: '1' },
        ],
        regions: { aliyun: ['cn-hangzhou'] },
        resources: [
          { cloud: 'aliyun', owner: 'LTAIreload', region: 'cn-hangzhou', type: 'bwp', id: 'cbwp-r' },
          { cloud: 'aliyun', owner: 'LTAIreload', region: 'cn-hangzhou', type: 'clb', id: 'lb-r' },
        ],
      },
      clouds: { aliyun: { handler: aliyunHandler } },
    });
    writeFileSync(accountsPath, accounts('bwp'));
    writeFileSync(join(dir, 'server.yaml'), 'server:\n  page_size: 1000\n');
    const env = { SERVER_PATH: join(dir, 'server.yaml'), ACCOUNTS_PATH: accountsPath };
    const load = () => loadExporterConfig(resourceVocabulary(), env);
    exporter = await createExporter({
      config: load(),
      catalog: loadMappings(defaultMappingPath()).catalog,
      providers: PROVIDERS,
      log: silentLogger(),
      env,
      schedule: false,
      loadConfig: load,
      watchConfig: true,
      stream: { maxSubscribers: 3, heartbeatMs: 300 },
    });
    url = (await exporter.listen(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
    await exporter.collectOnce();
  });
  afterAll(async () => {
    await exporter?.close();
    await sim?.close();
  });

  it('streams init, then an update when the accounts file changes, and applies it', async () => {
    const stream = new EventReader(await fetch(`${url}/api/discovery/stream`));
    expect(await stream.next(2000)).toBe('event: init\ndata: {"version":1}\n\n');
    expect(await (await fetch(`${url}/metrics`)).text()).not.toMatch(/^clb_/m);

    writeFileSync(accountsPath, accounts('bwp, clb'));
    expect(await stream.next(5000)).toBe('event: update\ndata: {"version":2}\n\n');
    await exporter.collectOnce();
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^clb_\w+\{[^}]*resource_id="lb-r"/m);

    writeFileSync(accountsPath, accounts('bwp, clb'));
    expect(await stream.next(1500)).toBeUndefined();
    expect(stream.heartbeats).toBeGreaterThan(0);

    writeFileSync(accountsPath, 'accounts:\n  aliyun: [unclosed\n');
    expect(await stream.next(1500)).toBeUndefined();
    const bad = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(400);
    const problem = await bad.json();
    expect(problem.title).toMatch(/running configuration was kept/);
    expect(problem.problems[0].message).toMatch(/YAML syntax/);
    expect((await (await fetch(`${url}/api/discovery/config`)).json()).version).toBe(2);

    writeFileSync(accountsPath, accounts('bwp'));
    expect(await stream.next(5000)).toBe('event: update\ndata: {"version":3}\n\n');
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).not.toMatch(/^clb_/m);
    expect(text).toMatch(/^bwp_\w+\{[^}]*resource_id="cbwp-r"/m);
    await stream.cancel();
  });

  it('answers POST /-/reload with the version after a good reload', async () => {
    const res = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'reloaded', version: 3 });
  });

  it('refuses streams past the subscriber cap with 503', async () => {
    const open = await Promise.all([1, 2, 3].map(() => fetch(`${url}/api/discovery/stream`)));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(`${url}/api/discovery/stream`);
    expect(refused.status).toBe(503);
    expect(await refused.text()).toBe('too many subscribers');
    const status = await (await fetch(`${url}/api/discovery/status`)).json();
    expect(status.subscribers).toBe(3);
    await Promise.all(open.map((r) => r.body?.cancel()));
  });
});
