import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@opsfleet/core';
import { describe, expect, it } from 'vitest';
import { resourceVocabulary } from '../providers/index.ts';
import { buildConfig, parseAccountsFile, parseServerFile } from './load.ts';
import { serverSectionSchema } from './server-config.ts';

/**
 * Every key of server.yaml and accounts.yaml is used or refused: a key that was accepted and
 * ignored (a typo, a key of another version, a setting in the wrong place) left the user
 * believing it applied.
 */
const vocab = resourceVocabulary();

function problems(server: string, accounts = 'accounts: {}', env: Record<string, string> = {}): string[] {
  try {
    buildConfig(parseServerFile(server, env), parseAccountsFile(accounts, env), vocab, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('server.yaml keys that would do nothing', () => {
  it.each([
    ['server:\n  scrape_intervall: 30s\n', /^server\.scrape_intervall: unknown key/],
    ['server:\n  log: {level: info, colour: true}\n', /^server\.log\.colour: unknown key/],
    ['server:\n  log: {file: {path: x.log, rotate: daily}}\n', /^server\.log\.file\.rotate: unknown key/],
    ['server:\n  region_discovery: {enable: false}\n', /^server\.region_discovery\.enable: unknown key/],
    ['estimation:\n  alb: {aliyun_bandwidth_cap_bps: 1}\n', /^estimation\.alb: unknown key/],
    ['estimation:\n  clb: {cap_bps: 1}\n', /^estimation\.clb\.cap_bps: unknown key/],
    ['sever:\n  port: 9101\n', /^sever: unknown key/],
    ['server:\n  log_level: debug\n', /^server\.log_level: not used: set log\.level instead/],
    ['server:\n  log_dir: /var/log\n', /^server\.log_dir: not used: set log\.file\.path/],
    ['server:\n  log_dest: file\n', /^server\.log_dest: not used: set log\.output/],
    ['server:\n  service_endpoint: http://x\n', /^server\.service_endpoint: .*`endpoint` on each account/],
    ['server:\n  https_proxy: http://proxy:3128\n', /^server\.https_proxy: not supported/],
    ['server:\n  no_meta: true\n', /^server\.no_meta: not used/],
    ['server:\n  discovery_refresh: 1h\n', /^server\.discovery_refresh: not used: set discovery_ttl/],
    ['server: {port: 9101}\nserverconf: {port: 9200}\n', /^serverconf: both server: and its old name/],
    ['server:\n  log: {format: console, output: file}\n', /^server\.log\.format: console applies to stdout/],
    [
      'server:\n  admin_auth: [{username: ops, password: pw}]\n',
      /^server\.admin_auth: lists credentials but admin_auth_enabled is false/,
    ],
    [
      'regionData:\n  admin_auth_enabled: true\n  admin_auth: [{username: ops, password: pw}]\n',
      /^regionData\.admin_auth: admin auth is read under server:/,
    ],
    [
      'regionData:\n  persistence: {enabled: false, sise: 1Gi}\n',
      /^regionData\.persistence\.sise: unknown key/,
    ],
  ])('%j is refused naming the key', (server, message) => {
    const found = problems(server);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each(['ADMIN_AUTH', 'ADMIN_USERNAME', 'ADMIN_PASSWORD'])(
    '%s without ADMIN_AUTH_ENABLED is refused rather than leaving the admin endpoints without it',
    (name) => {
      expect(problems('{}', 'accounts: {}', { [name]: 'ops:pw' })).toEqual([
        `${name}: is set but ADMIN_AUTH_ENABLED is not, so it would protect nothing: set ADMIN_AUTH_ENABLED=true, or unset ${name}`,
      ]);
      expect(problems('{}', 'accounts: {}', { [name]: 'ops:pw', ADMIN_AUTH_ENABLED: 'false' })).toHaveLength(
        1,
      );
    },
  );

  it.each([
    [
      { FIRST_RUN_STRATEGY: 'random' },
      'FIRST_RUN_STRATEGY: must be auto, immediate or staggered, got "random"',
    ],
    [
      { FIRST_RUN_MAX_DELAY: '3m' },
      'FIRST_RUN_MAX_DELAY: must be a whole number of seconds such as 180, got "3m"',
    ],
  ])('%j is refused rather than read as the default', (env, message) => {
    expect(problems('{}', 'accounts: {}', env)).toEqual([message]);
    expect(
      problems('{}', 'accounts: {}', { FIRST_RUN_STRATEGY: 'staggered', FIRST_RUN_MAX_DELAY: '60' }),
    ).toEqual([]);
  });

  it('lists these with the other problems of the file at once', () => {
    const found = problems('server:\n  port: 70000\n  log_level: debug\n  typo: 1\n  log: {colour: true}\n');
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual([
      'server.log.colour',
      'server.log_level',
      'server.port',
      'server.typo',
    ]);
  });

  it('keeps working settings: admin auth from the file, console lines on stdout and in both', () => {
    expect(
      problems('server:\n  admin_auth_enabled: true\n  admin_auth: [{username: ops, password: pw}]\n'),
    ).toEqual([]);
    expect(problems('server:\n  log: {format: console, output: both}\n')).toEqual([]);
    // Switched on by the environment, the file's list is not what decides.
    expect(
      problems('server:\n  admin_auth: [{username: ops, password: pw}]\n', 'accounts: {}', {
        ADMIN_AUTH_ENABLED: 'true',
        ADMIN_AUTH: 'env:pw',
      }),
    ).toEqual([]);
  });

  it('loads the shipped regionData: with a warning that only the Helm chart reads it', () => {
    const server = parseServerFile(
      'regionData:\n  persistence: {enabled: false, storageClass: , size: 1Gi}\n  admin_auth_enabled: true\n  admin_auth: []\n',
      {},
    );
    const config = buildConfig(server, { accounts: {} }, vocab, {});
    expect(config.warnings.join('\n')).toMatch(/^regionData: not read by the exporter: .*Helm chart/m);
    expect(config.warnings.join('\n')).toMatch(/^regionData\.admin_auth_enabled: not read here/m);
    expect(buildConfig(parseServerFile('{}', {}), { accounts: {} }, vocab, {}).warnings).toEqual([]);
  });
});

describe('accounts.yaml keys that would do nothing', () => {
  const entry = 'account_id: a, access_key_id: k, access_key_secret: s, regions: ["*"]';

  it.each([
    [
      `accounts:\n  aliyun:\n    - {${entry}, region: cn-beijing}\n`,
      /^accounts\.aliyun\[0\]\.region: unknown key/,
    ],
    [
      `accounts:\n  aliyun:\n    - {${entry}, secretName: k}\n`,
      /^accounts\.aliyun\[0\]\.secretName: unknown key/,
    ],
    [
      `accounts:\n  aliyun:\n    - {${entry}, provider: tencent}\n`,
      /^accounts\.aliyun\[0\]\.provider: is "tencent" but the entry is listed under accounts\.aliyun: move it under accounts\.tencent/,
    ],
  ])('%j is refused naming the key', (accounts, message) => {
    const found = problems('{}', accounts);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('takes provider when it names the list the entry is under', () => {
    expect(problems('{}', `accounts:\n  aliyun:\n    - {${entry}, provider: Aliyun}\n`)).toEqual([]);
  });
});

describe('docs/exporter.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../../../docs/exporter.md'), 'utf8');
  it.each(Object.keys(serverSectionSchema.shape))('documents server.%s', (key) => {
    expect(doc).toContain(`\`${key}`);
  });
});
