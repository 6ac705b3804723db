import {
  type CloudHandler,
  type Cloudsim,
  type SimCloud,
  type SimResource,
  startCloudsim,
} from '@opsfleet/cloudsim';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Account, Product } from '../src/providers/provider.ts';

export interface CloudFixtureOptions {
  cloud: SimCloud;
  handler: CloudHandler;
  accessKeyId: string;
  secret: string;
  /** Regions the cloud's region API reports. */
  regions: string[];
  /** Region and resources a test account gets unless it says otherwise. */
  accountDefaults: { regions: string[]; resources: string[] };
}

/**
 * One simulated cloud for a provider test file: cloudsim started once, its calls, faults,
 * values and resources reset before each test, and helpers for accounts (each with a fresh id,
 * so provider caches never leak between tests), resources and products.
 */
export function cloudFixture(opts: CloudFixtureOptions) {
  let sim: Cloudsim | undefined;
  let n = 0;
  beforeAll(async () => {
    sim = await startCloudsim({
      world: {
        accounts: [
          {
            cloud: opts.cloud,
            accessKeyId: opts.accessKeyId,
            accessKeySecret: opts.secret,
            uid: '123456789012',
          },
        ],
        regions: { [opts.cloud]: opts.regions },
        resources: [],
      },
      clouds: { [opts.cloud]: { handler: opts.handler } },
    });
  });
  afterAll(async () => sim?.close());
  beforeEach(() => {
    const s = sim!;
    s.state.resetCalls();
    s.state.clearFaults();
    s.state.values.clear();
    s.state.world.resources = [];
  });
  return {
    get sim(): Cloudsim {
      return sim!;
    },
    account(over: Partial<Account> = {}): Account {
      n += 1;
      return {
        provider: opts.cloud,
        account_id: `${opts.cloud}-${n}`,
        access_key_id: opts.accessKeyId,
        access_key_secret: opts.secret,
        ...opts.accountDefaults,
        endpoint: sim!.endpoints[opts.cloud],
        ...over,
      };
    },
    res(over: Partial<SimResource> & Pick<SimResource, 'type' | 'id'>): SimResource {
      return {
        cloud: opts.cloud,
        owner: opts.accessKeyId,
        region: opts.accountDefaults.regions[0]!,
        ...over,
      };
    },
    product(namespace: string, resource: string, metrics: string[], period?: number): Product[] {
      return [
        { namespace, resource, autoDiscover: true, groups: [{ metrics, ...(period ? { period } : {}) }] },
      ];
    },
  };
}
