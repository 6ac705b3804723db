import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Cloudsim, startCloudsim } from '@opsfleet/cloudsim';
import { aliyunHandler } from '@opsfleet/cloudsim/aliyun/index.ts';
import { tencentHandler } from '@opsfleet/cloudsim/tencent/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../bin/opsfleet.mjs');
const FIX = join(import.meta.dirname, '../../exporter/test/fixtures/mappings');
const run = promisify(execFile);

describe('opsfleet check-mappings', () => {
  it('accepts the shipped catalog', async () => {
    const out = await run(process.execPath, [CLI, 'check-mappings'], {
      env: { ...process.env, MAPPING_PATH: '' },
    });
    expect(out.stdout).toMatch(/^ok: 373 canonical metrics/);
  });

  it('exits 2 listing every problem of bad files', async () => {
    const err = await run(process.execPath, [CLI, 'check-mappings', FIX]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(
      /vendor-key-typo\.bad\.yml: canonical\.qps\.aliyun\.metrics: unknown key "metrics"/,
    );
    expect(err.stderr).toMatch(/unknown-vendor\.bad\.yml: namespaces\.google/);
    expect(err.stderr).toMatch(/7 problem\(s\) found/);
  });

  it('exits 2 with usage for an unknown command', async () => {
    const err = await run(process.execPath, [CLI, 'frobnicate']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(
      /error: unknown command 'frobnicate'[\s\S]*Usage: opsfleet [\s\S]*check-config/,
    );
  });
});

describe('opsfleet exporter as a process', () => {
  let sim: Cloudsim;
  let child: ChildProcess;
  let logs = '';
  let port = 0;

  beforeAll(async () => {
    sim = await startCloudsim({
      world: {
        accounts: [
          { cloud: 'aliyun', accessKeyId: 'LTAIproc', accessKeySecret: 'proc-secret-ali', uid: '9' },
          { cloud: 'tencent', accessKeyId: 'AKIDproc', accessKeySecret: 'proc-secret-tc', uid: '8' },
        ],
        regions: { aliyun: ['cn-hangzhou'], tencent: ['ap-guangzhou'] },
        resources: [
          {
            cloud: 'aliyun',
            owner: 'LTAIproc',
            region: 'cn-hangzhou',
            type: 'bwp',
            id: 'cbwp-p',
            tags: { CodeName: 'edge' },
          },
          {
            cloud: 'tencent',
            owner: 'AKIDproc',
            region: 'ap-guangzhou',
            type: 'clb',
            id: 'lb-p',
            vips: ['9.9.9.9'],
          },
        ],
      },
      clouds: { aliyun: { handler: aliyunHandler }, tencent: { handler: tencentHandler } },
    });
    const dir = mkdtempSync(join(tmpdir(), 'exporter-'));
    writeFileSync(
      join(dir, 'accounts.yaml'),
      `accounts:\n  aliyun:\n    - {account_id: ali, access_key_id: LTAIproc, access_key_secret: \${ALI_SK}, regions: [cn-hangzhou], resources: [bwp], endpoint: "${sim.endpoints.aliyun}"}\n  tencent:\n    - {account_id: tc, access_key_id: AKIDproc, access_key_secret: \${TC_SK}, regions: [ap-guangzhou], resources: [clb], endpoint: "${sim.endpoints.tencent}"}\n`,
    );
    writeFileSync(join(dir, 'server.yaml'), 'server:\n  scrape_interval: 1h\n  log: {level: debug}\n');
    port = 20_000 + Math.floor(Math.random() * 20_000);
    child = spawn(process.execPath, [CLI, 'exporter'], {
      env: {
        ...process.env,
        SERVER_PATH: join(dir, 'server.yaml'),
        ACCOUNTS_PATH: join(dir, 'accounts.yaml'),
        EXPORTER_PORT: String(port),
        ALI_SK: 'proc-secret-ali',
        TC_SK: 'proc-secret-tc',
      },
    });
    child.stdout!.on('data', (d) => {
      logs += d;
    });
    child.stderr!.on('data', (d) => {
      logs += d;
    });
    for (let i = 0; i < 100; i++) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await sim?.close();
  });

  it('serves unified series from both clouds over HTTP', async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(
      /^bwp_traffic_rx_bps\{account_id="ali",cloud_provider="aliyun",code_name="edge",[^}]*resource_id="cbwp-p"[^}]*\} \d/m,
    );
    expect(text).toMatch(
      /^clb_traffic_rx_bps\{account_id="tc",cloud_provider="tencent",[^}]*resource_id="9\.9\.9\.9"[^}]*\} \d/m,
    );
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('never logs the secrets, even at debug level', () => {
    expect(logs).toContain('exporter listening');
    expect(logs).not.toContain('proc-secret-ali');
    expect(logs).not.toContain('proc-secret-tc');
  });

  it('stops within 10 seconds of SIGTERM with exit code 0', async () => {
    const t0 = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
