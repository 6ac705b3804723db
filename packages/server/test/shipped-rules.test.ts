import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerAvailable } from '@opsfleet/core/testing';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '../../../deploy/prometheus');
const PACKAGES = join(import.meta.dirname, '../..');

/** Every `name: 'opsfleet_…'` a metric is registered with in the packages' sources. */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/name: '(opsfleet_[a-z_]+)'/g)) names.add(m[1]!);
    }
  };
  walk(PACKAGES);
  return names;
}

const GRAFANA = join(DIR, '../grafana');
const dashboards = readdirSync(GRAFANA).filter(
  (f) => f.endsWith('.json') && !f.startsWith('opsfleet-exporter'),
);

const ruleFiles = readdirSync(DIR).filter((f) => f.endsWith('.rules.yml'));

describe('shipped Prometheus alert rules (deploy/prometheus)', () => {
  it.each(ruleFiles)('%s names only series opsfleet exports', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const exprs = [...text.matchAll(/expr: \|?\n?([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1]!);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(opsfleet_[a-z_]+)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(0);
    const known = registeredMetrics();
    // Counters are exported with _total already in their registered name.
    expect([...used].filter((n) => !known.has(n))).toEqual([]);
  });

  it.runIf(peerAvailable('promtool', 'prometheus')).each(ruleFiles)(
    '%s passes its promtool unit tests',
    (file) => {
      const tests = file.replace(/\.yml$/, '.test.yml');
      const run = spawnSync('promtool', ['test', 'rules', tests], { cwd: DIR, encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
      expect(run.status).toBe(0);
    },
  );

  it.each(dashboards)('the Grafana dashboard %s queries only series opsfleet exports', (file) => {
    const dash = JSON.parse(readFileSync(join(GRAFANA, file), 'utf8'));
    const exprs: string[] = [
      ...dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr)),
      ...dash.templating.list.map((v: { query: string }) => v.query),
    ];
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(opsfleet_[a-z_]+)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(5);
    const known = registeredMetrics();
    expect([...used].filter((n) => !known.has(n.replace(/_(bucket|sum|count)$/, '')))).toEqual([]);
  });
});
