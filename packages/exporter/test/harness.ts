import { createLogger, silentLogger } from '@opsfleet/core';
import { Registry } from 'prom-client';
import { createCloudCalls } from '../src/collector/cloud-calls.ts';
import { mergeDimMapping } from '../src/config/server-config.ts';
import { ALL_REGIONS } from '../src/discovery/region-manager.ts';
import type { Account, CollectSettings, Product, Provider, Sample } from '../src/providers/provider.ts';
import { createSelfMetrics } from '../src/self-metrics.ts';

export function settings(over: Partial<CollectSettings> = {}): CollectSettings {
  return {
    pageSize: 1000,
    periodFallback: 60,
    regionConcurrency: 4,
    productConcurrency: 2,
    metricConcurrency: 5,
    discoveryTtlMs: 60_000,
    resourceDimMapping: mergeDimMapping({}),
    defaultRegions: [],
    cloudwatchDelayMs: 120_000,
    ...over,
  };
}

/**
 * Runs one provider for one account the way the collector does, with the real cloud-call
 * gateway and self-metrics, and returns the samples and the metrics text.
 */
export async function runProvider(
  provider: Provider,
  account: Account,
  opts: {
    settings?: CollectSettings;
    products?: Product[];
    owns?: (region: string, ns: string) => boolean;
  } = {},
) {
  const registry = new Registry();
  const selfMetrics = createSelfMetrics(registry);
  const calls = createCloudCalls({
    cloud: provider.cloud,
    accountId: account.account_id,
    classify: provider.classify,
    selfMetrics,
    backoff: { baseMs: 1, maxMs: 4 },
    // Pacing is exercised by its own tests; here it would only slow the suite down.
    rateLimits: { '*': 1000 },
  });
  const s = opts.settings ?? settings();
  const log = process.env.TEST_LOG ? createLogger({ level: 'debug', format: 'console' }) : silentLogger();
  const products =
    opts.products ??
    (await provider.discover({ account, resources: account.resources, settings: s, calls, log }));
  const samples: Sample[] = [];
  await provider.collect({
    account,
    products: products.filter((p) => account.resources.includes(p.resource)),
    settings: s,
    calls,
    regionPlan: ALL_REGIONS,
    emit: (x) => samples.push(x),
    owns: opts.owns ?? (() => true),
    signal: new AbortController().signal,
    log,
  });
  return { samples, metrics: await registry.metrics(), products };
}

/** The value of one self-metric series, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return 0;
}
