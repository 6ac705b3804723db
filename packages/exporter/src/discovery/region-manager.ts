import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import type { RegionPlan } from '../providers/provider.ts';
import { observe, type RegionMap, rediscover, selectRegions } from './region-state.ts';

/** Visits every region and learns nothing: accounts with explicit regions, or the feature off. */
export const ALL_REGIONS: RegionPlan = { select: (regions) => regions, observe: () => undefined };

export interface RegionManagerOptions {
  enabled: boolean;
  emptyThreshold: number;
  rediscoveryMs: number;
  /** `data_dir/persist_file`; the state is rewritten there after every cycle. */
  file: string;
  log: Logger;
  status: Gauge<'cloud_provider' | 'status'>;
  skips: Counter<'cloud_provider'>;
  now?: () => Date;
}

interface Persisted {
  region_map: RegionMap;
  last_rediscovery?: string;
}

/**
 * Holds the region state of every account, hands providers a plan per account, persists the
 * state atomically (temporary file + rename) and resets it every `discovery_interval`: the reset
 * is checked at each cycle start, so it fires whatever the cycle length (the public exporter's
 * hourly cleanup kept postponing its daily reset forever).
 */
export class RegionManager {
  private map: RegionMap = {};
  private lastRediscovery: Date;
  private readonly providerOf = new Map<string, string>();
  private warned = false;

  constructor(private readonly opts: RegionManagerOptions) {
    this.lastRediscovery = this.now();
    try {
      const saved = JSON.parse(readFileSync(opts.file, 'utf8')) as Persisted;
      this.map = saved.region_map ?? {};
      if (saved.last_rediscovery) this.lastRediscovery = new Date(saved.last_rediscovery);
    } catch {
      // No state yet (first start) or an unreadable file: start from unknown.
    }
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** Called at the start of each cycle. */
  beginCycle(): void {
    if (this.now().getTime() - this.lastRediscovery.getTime() >= this.opts.rediscoveryMs) {
      this.map = rediscover(this.map);
      this.lastRediscovery = this.now();
      this.opts.log.info('region rediscovery: every region is probed again');
    }
  }

  planFor(provider: string, accountId: string): RegionPlan {
    if (!this.opts.enabled) return ALL_REGIONS;
    this.providerOf.set(accountId, provider);
    return {
      select: (regions) => {
        const { regions: visit, skipped } = selectRegions(
          this.map[accountId],
          regions,
          this.opts.emptyThreshold,
        );
        if (skipped.length) this.opts.skips.inc({ cloud_provider: provider }, skipped.length);
        return visit;
      },
      observe: (region, count) => {
        this.map[accountId] ??= {};
        this.map[accountId][region] = observe(this.map[accountId][region], count, this.now());
      },
    };
  }

  /** Called after each cycle: gauges and the persisted file. */
  endCycle(): void {
    if (!this.opts.enabled) return;
    this.opts.status.reset();
    for (const [account, regions] of Object.entries(this.map)) {
      const provider = this.providerOf.get(account) ?? '';
      for (const info of Object.values(regions))
        this.opts.status.inc({ cloud_provider: provider, status: info.status });
    }
    const body: Persisted = { region_map: this.map, last_rediscovery: this.lastRediscovery.toISOString() };
    try {
      mkdirSync(dirname(this.opts.file), { recursive: true });
      const tmp = `${this.opts.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(body, null, 2));
      renameSync(tmp, this.opts.file);
    } catch (err) {
      if (!this.warned)
        this.opts.log.warn(
          { file: this.opts.file, err: (err as Error).message },
          'region state not persisted',
        );
      this.warned = true;
    }
  }

  snapshot(): RegionMap {
    return structuredClone(this.map);
  }
}
