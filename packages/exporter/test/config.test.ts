import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '@opsfleet/core';
import { describe, expect, it } from 'vitest';
import { buildConfig, loadExporterConfig, parseAccountsFile, parseServerFile } from '../src/config/load.ts';
import { resourceVocabulary } from '../src/providers/index.ts';

const REF = join(import.meta.dirname, '../../../../shared/reference/multicloud-exporter');
const FIX = join(import.meta.dirname, 'fixtures/config');
const vocab = resourceVocabulary();

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('the public exporter’s shipped files', () => {
  it('load unchanged, with the shipped defaults and the template accounts skipped with warnings', () => {
    const config = loadExporterConfig(vocab, {
      SERVER_PATH: join(REF, 'server.yaml'),
      ACCOUNTS_PATH: join(REF, 'accounts.yaml'),
    });
    expect(config.port).toBe(9101);
    expect(config.settings.pageSize).toBe(1000);
    expect(config.settings.discoveryTtlMs).toBe(86_400_000);
    expect(config.intervalMs).toBe(60_000);
    expect(config.server.region_discovery.data_dir).toBe('/app/data');
    expect(config.server.log.file.path).toBe('logs/exporter.log');
    expect(config.accounts).toEqual([]);
    expect(config.warnings.filter((w) => w.includes('template entry'))).toHaveLength(4);
  });
});

describe('server.yaml', () => {
  it('expands environment variables with defaults before parsing (AC-01)', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file syntax under test
    const text = 'server:\n  port: ${PORT:-8080}\n';
    expect(parseServerFile(text, { PORT: '9090' }).server.port).toBe(9090);
    expect(parseServerFile(text, {}).server.port).toBe(8080);
    expect(parseServerFile(text, { PORT: '' }).server.port).toBe(8080);
  });

  it('merges resource_dim_mapping over the built-in defaults (AC-02)', () => {
    const server = parseServerFile(
      'server:\n  resource_dim_mapping:\n    aliyun.acs_oss_dashboard: [BucketName]\n',
      {},
    );
    const config = buildConfig(server, { accounts: {} }, vocab, {});
    expect(config.settings.resourceDimMapping['aliyun.acs_oss_dashboard']).toEqual(['BucketName']);
    expect(config.settings.resourceDimMapping['aliyun.acs_slb_dashboard']).toContain('instanceId');
  });

  it('reports every problem at once, each with its path (AC-03)', () => {
    const problems = problemsOf(() => parseServerFile(readFileSync(join(FIX, 'server.bad.yml'), 'utf8'), {}));
    expect(problems.join('\n')).toMatch(/server\.port: .*65535/);
    expect(problems.join('\n')).toMatch(/server\.region_concurrency: .*20/);
    expect(problems.join('\n')).toMatch(/server\.scrape_interval: .*duration/);
    expect(problems.join('\n')).toMatch(/server\.log\.level: .*debug, info/);
  });

  it('reads SCRAPE_INTERVAL=1m as one minute and EXPORTER_PORT over the file', () => {
    const config = buildConfig(parseServerFile('server: {port: 1234}\n', {}), { accounts: {} }, vocab, {
      SCRAPE_INTERVAL: '1m',
      EXPORTER_PORT: '9200',
    });
    expect(config.intervalMs).toBe(60_000);
    expect(config.port).toBe(9200);
  });
});

describe('accounts.yaml', () => {
  it('treats regions: [] as all regions, resolves aliases and defaults, trims entries', () => {
    const file = parseAccountsFile(readFileSync(join(FIX, 'accounts.ok.yml'), 'utf8'), {
      ALI_AK: 'LTAIa',
      ALI_SK: 'sk',
    });
    const config = buildConfig(parseServerFile('{}', {}), file, vocab, {});
    const [ali, tc] = config.accounts;
    expect(ali).toMatchObject({
      provider: 'aliyun',
      account_id: 'aliyun-prod',
      regions: ['*'],
      resources: ['oss', 'cbwp', 'clb'],
    });
    expect(tc).toMatchObject({
      account_id: 'tencent-prod',
      access_key_secret: 'from-default',
      regions: ['ap-guangzhou', 'ap-shanghai'],
    });
    expect(tc!.resources.length).toBeGreaterThan(0);
  });

  it('lists every problem: missing secret, unknown resource, wrong type, unknown provider', () => {
    const text = readFileSync(join(FIX, 'accounts.bad.yml'), 'utf8');
    const problems = problemsOf(() =>
      buildConfig(parseServerFile('{}', {}), parseAccountsFile(text, {}), vocab, {}),
    );
    const all = problems.join('\n');
    expect(all).toMatch(/accounts\.gcp: unknown provider: use one of aliyun, tencent, huawei, aws/);
    expect(all).toMatch(/accounts\.tencent\[0\]\.regions/);
    const structural = problems.length;
    const fixed = text.replace(/ {2}gcp:\n.*\n/, '').replace('"ap-guangzhou"', '[ap-guangzhou]');
    const semantic = problemsOf(() =>
      buildConfig(parseServerFile('{}', {}), parseAccountsFile(fixed, {}), vocab, {}),
    ).join('\n');
    expect(structural).toBeGreaterThanOrEqual(2);
    expect(semantic).toContain('aliyun: account[0].access_key_secret is required');
    expect(semantic).toMatch(
      /accounts\.aliyun\[0\]\.resources\[1\]: unknown aliyun resource "elb": use one of .*clb/,
    );
  });
});

describe('both files', () => {
  it("lists accounts.yaml's problems with server.yaml's, though server.yaml has some", () => {
    const dir = mkdtempSync(join(tmpdir(), 'exporter-config-'));
    // Parses, but names an unknown resource and lacks a secret: found only when the accounts are built.
    const accounts = readFileSync(join(FIX, 'accounts.bad.yml'), 'utf8')
      .replace(/ {2}gcp:\n.*\n/, '')
      .replace('"ap-guangzhou"', '[ap-guangzhou]');
    writeFileSync(join(dir, 'accounts.yaml'), accounts);
    const all = problemsOf(() =>
      loadExporterConfig(vocab, {
        SERVER_PATH: join(FIX, 'server.bad.yml'),
        ACCOUNTS_PATH: join(dir, 'accounts.yaml'),
      }),
    ).join('\n');
    expect(all).toMatch(/server\.bad\.yml: server\.port/);
    expect(all).toContain('aliyun: account[0].access_key_secret is required');
    expect(all).toMatch(/unknown aliyun resource "elb"/);
  });
});

describe('opsfleet check-config exporter', () => {
  const run = promisify(execFile);
  const cli = join(import.meta.dirname, '../../cli/bin/opsfleet.mjs');

  it('exits 2 and prints every problem for invalid files', async () => {
    const err = await run(process.execPath, [cli, 'check-config', 'exporter'], {
      env: {
        ...process.env,
        SERVER_PATH: join(FIX, 'server.bad.yml'),
        ACCOUNTS_PATH: join(FIX, 'accounts.bad.yml'),
      },
    }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/server\.port/);
    expect(err.stderr).toMatch(/server\.region_concurrency/);
    expect(err.stderr).toMatch(/server\.log\.level/);
    expect(err.stderr).toMatch(/accounts\.bad\.yml: accounts\.gcp: unknown provider/);
    expect(err.stderr).toMatch(/accounts\.bad\.yml: accounts\.tencent\[0\]\.regions/);
  });

  it('exits 0 and summarises a valid configuration', async () => {
    const out = await run(process.execPath, [cli, 'check-config', 'exporter'], {
      env: {
        ...process.env,
        SERVER_PATH: join(REF, 'server.yaml'),
        ACCOUNTS_PATH: join(FIX, 'accounts.ok.yml'),
        ALI_AK: 'a',
        ALI_SK: 'b',
      },
    });
    expect(out.stdout).toMatch(/^ok: /m);
    expect(out.stdout).toMatch(/aliyun: 1, tencent: 1/);
  });
});
