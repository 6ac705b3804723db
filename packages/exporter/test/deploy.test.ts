import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { createSelfMetrics } from '../src/self-metrics.ts';

const DEPLOY = join(import.meta.dirname, '../../../deploy');

describe('Grafana dashboards', () => {
  const known = new Set(
    loadMappings(defaultMappingPath())
      .catalog.entries()
      .map((e) => e.name),
  );
  const registry = new Registry();
  createSelfMetrics(registry);
  for (const m of registry.getMetricsAsArray()) known.add(m.name);

  for (const file of readdirSync(join(DEPLOY, 'grafana')).filter((f) => f.startsWith('opsfleet-exporter'))) {
    it(`${file} only queries metrics the exporter produces`, () => {
      const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', file), 'utf8'));
      const exprs: string[] = [
        ...dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr)),
        ...dash.templating.list.map((v: { query: string }) => v.query),
      ];
      const names = new Set(
        exprs.flatMap((e) =>
          [...e.matchAll(/\b((?:clb|alb|nlb|gwlb|bwp|s3|multicloud)_[a-z0-9_]+)\b/g)].map((m) => m[1]!),
        ),
      );
      expect(names.size).toBeGreaterThan(5);
      for (const name of names)
        expect(known.has(name.replace(/_(bucket|sum|count)$/, '')) ? name : `unknown: ${name}`).toBe(name);
    });
  }
});

describe('Helm chart', () => {
  const chart = join(DEPLOY, 'helm/opsfleet-exporter');

  it('has valid Chart.yaml and values.yaml whose server section the exporter accepts', async () => {
    expect(parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8'))).toMatchObject({
      apiVersion: 'v2',
      name: 'opsfleet-exporter',
    });
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8'));
    const { serverFileSchema } = await import('../src/config/server-config.ts');
    const parsed = serverFileSchema.safeParse({ server: values.server });
    expect(parsed.success).toBe(true);
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true });
  });

  it('probes /healthz and /readyz, reads keys from Secrets and never from values', () => {
    const deployment = readFileSync(join(chart, 'templates/deployment.yaml'), 'utf8');
    expect(deployment).toMatch(/readinessProbe:\s+httpGet: \{path: \/readyz/);
    expect(deployment).toMatch(/livenessProbe:\s+httpGet: \{path: \/healthz/);
    expect(deployment).toContain('secretKeyRef');
    const values = readFileSync(join(chart, 'values.yaml'), 'utf8');
    expect(values).not.toMatch(/access_key_secret:/);
  });
});
