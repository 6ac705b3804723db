import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@opsfleet/core';
import { eventually } from '@opsfleet/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverServices } from '../../src/config/discover.ts';
import { type LoadedConfig, loadAgentConfig, parseAgentConfig } from '../../src/config/load.ts';
import { watchConfig } from '../../src/config/watch.ts';

const data = (f: string) => join(import.meta.dirname, 'testdata', f);
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('agent.yaml', () => {
  it('reads a full configuration with variables and defaults', () => {
    const { config } = loadAgentConfig(data('full.ok.yml'), { AGENT_TOKEN: 't0k3n' });
    expect(config.agent.labels).toEqual({ env: 'staging' });
    expect(config.agent.server).toEqual({ url: 'http://opsfleet:8080', token: 't0k3n', heartbeat: 15_000 });
    const api = config.services.find((s) => s.name === 'api')!;
    expect(api.restart).toMatchObject({
      policy: 'always',
      initialDelay: 500,
      maxRestarts: 10,
      window: 120_000,
    });
    expect(api.health[0]).toMatchObject({
      type: 'http',
      interval: 5000,
      failuresBeforeCritical: 2,
      timeout: 2000,
    });
    expect(config.services.find((s) => s.name === 'db')).toMatchObject({
      stopSignal: 'SIGINT',
      stopTimeout: 30_000,
    });
  });

  it.each([
    [
      'duplicate-and-unknown.bad.yml',
      [
        'services[1].name: api is declared twice (also services[0]); rename one',
        'services[0].dependsOn: cache is not a service here; declare it or remove the dependency',
      ],
    ],
    [
      'types.bad.yml',
      [
        'agent.grpc.listen',
        'services[0].name',
        'services[0].stopTimeout',
        'services[0].restart.policy',
        'services[0].health[0].tcp',
      ],
    ],
    [
      'ignored-settings.bad.yml',
      [
        'agent.grpc.tokn: unknown key: check the spelling or remove it',
        'agent.metricInterval: unknown key',
        'services[0].stopTimout: unknown key',
        'services[0].stopSignal: is not a signal',
        'services[0].restart.polcy: unknown key',
        'services[0].logs.keeep: unknown key',
        "services[0].health[0].tcp: is for a tcp check, and this check's type is http",
        'services[0].health[0].onCritical.script: runs only with action: script',
      ],
    ],
  ])('%s: reports every problem with its path', (file, expected) => {
    const got = problems(() => loadAgentConfig(data(file), {}));
    for (const e of expected)
      expect(
        got.some((g) => g.startsWith(e)),
        `${e} in ${got.join(' | ')}`,
      ).toBe(true);
  });
});

describe('variables in agent.yaml', () => {
  const text = `agent: { server: { url: "http://opsfleet:8080", token: "\${AGENT_KEY}" } }
services:
  - name: sh
    command: sh
    args: [-c, "echo $$HOME $$1 \${GREETING:-hi} $WHO"]
`;
  it('an unset variable without a default is a problem naming its field', () => {
    expect(problems(() => parseAgentConfig(text, { WHO: 'me' }))).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the variable
      'agent.server.token: ${AGENT_KEY} is not set: set AGENT_KEY in the environment, give a default with ${AGENT_KEY:-default}, or write $$ for a literal $',
    ]);
    expect(problems(() => parseAgentConfig(text, { AGENT_KEY: 'k' }))[0]).toMatch(
      /^services\[0\]\.args\[1\]: \$\{WHO\} is not set/,
    );
  });
  it('$$ is a literal $', () => {
    const { config } = parseAgentConfig(text, { AGENT_KEY: 'k', WHO: 'me', HOME: '/root' });
    expect(config.services[0]!.args).toEqual(['-c', 'echo $HOME $1 hi me']);
  });
});

describe('package.json discovery', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsfleet-discover-'));
  const pkg = (dir: string, body: unknown) => {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'package.json'), typeof body === 'string' ? body : JSON.stringify(body));
  };
  pkg('apps/api', { name: '@shop/api', scripts: { start: 'node server.js' } });
  pkg('apps/worker', {
    name: 'worker',
    opsfleet: { service: { command: 'node', args: ['worker.js'], dependsOn: ['shop-api'] } },
  });
  pkg('apps/lib', { name: 'lib' });
  pkg('apps/broken', '{ not json');
  pkg('apps/api/node_modules/dep', { name: 'dep', scripts: { start: 'x' } });

  it('finds packages with a start script or an opsfleet block, and reports unreadable ones', () => {
    const found = discoverServices([root]);
    expect(found.services.map((s) => [s.name, s.command, s.args.join(' ')]).sort()).toEqual([
      ['shop-api', 'npm', 'run start'],
      ['worker', 'node', 'worker.js'],
    ]);
    expect(found.problems.map((p) => p.path)).toEqual([join(root, 'apps/broken/package.json')]);
  });

  it('joins the declared services; a declared name wins', () => {
    const { config, warnings } = parseAgentConfig(
      `agent: { discover: ["${root}"] }\nservices:\n  - { name: worker, command: /usr/bin/worker }\n`,
      {},
    );
    expect(config.services.map((s) => `${s.name}:${s.command}`).sort()).toEqual([
      'shop-api:npm',
      'worker:/usr/bin/worker',
    ]);
    expect(warnings).toHaveLength(1);
  });
});

describe('hot reload', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  it('hands over a changed valid file, and keeps the old one when the new one is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-reload-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'services: [{ name: a, command: node }]\n');
    const changes: LoadedConfig[] = [];
    const invalid: ConfigError[] = [];
    const w = watchConfig(
      file,
      { onChange: (c) => changes.push(c), onInvalid: (e) => invalid.push(e) },
      { debounceMs: 50 },
    );
    closers.push(w.close);
    writeFileSync(file, 'services: [{ name: a, command: node }, { name: b, command: node }]\n');
    await eventually('the change', () => changes.length === 1, { timeoutMs: 5000 });
    expect(changes[0]!.config.services.map((s) => s.name)).toEqual(['a', 'b']);
    writeFileSync(file, 'services: [{ name: a, command: node, stopTimeout: never }]\n');
    await eventually('the invalid file', () => invalid.length === 1, { timeoutMs: 5000 });
    expect(invalid[0]!.problems[0]!.path).toBe('services[0].stopTimeout');
    expect(changes).toHaveLength(1);
  });

  it('does not apply again the text the agent wrote itself, but does apply a later edit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsfleet-reload-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'services: [{ name: a, command: node }]\n');
    const changes: LoadedConfig[] = [];
    const w = watchConfig(
      file,
      { onChange: (c) => changes.push(c), onInvalid: () => {} },
      { debounceMs: 50 },
    );
    closers.push(w.close);
    const mine = 'services: [{ name: b, command: node }]\n';
    w.applied(mine);
    writeFileSync(file, mine);
    await new Promise((r) => setTimeout(r, 400));
    expect(changes).toHaveLength(0);
    writeFileSync(file, 'services: [{ name: c, command: node }]\n');
    for (let i = 0; i < 100 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(changes.map((c) => c.config.services[0]!.name)).toEqual(['c']);
  });
});
