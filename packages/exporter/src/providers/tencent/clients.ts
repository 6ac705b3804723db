import { createRequire } from 'node:module';
import COS from 'cos-nodejs-sdk-v5';
import type { Account } from '../provider.ts';

// The SDK has no `exports` map, so each product loads on its own: the whole package costs
// ~90 MB of memory, the four products the exporter needs about a third of that.
const require = createRequire(import.meta.url);
const { monitor } = require('tencentcloud-sdk-nodejs/tencentcloud/services/monitor');
const { clb } = require('tencentcloud-sdk-nodejs/tencentcloud/services/clb');
const { vpc } = require('tencentcloud-sdk-nodejs/tencentcloud/services/vpc');
const { cvm } = require('tencentcloud-sdk-nodejs/tencentcloud/services/cvm');

type AnyClient = Record<string, (req: Record<string, unknown>) => Promise<Record<string, unknown>>>;

const PRODUCTS = {
  monitor: { ctor: monitor.v20180724.Client, host: 'monitor.tencentcloudapi.com' },
  clb: { ctor: clb.v20180317.Client, host: 'clb.tencentcloudapi.com' },
  vpc: { ctor: vpc.v20170312.Client, host: 'vpc.tencentcloudapi.com' },
  cvm: { ctor: cvm.v20170312.Client, host: 'cvm.tencentcloudapi.com' },
} as const;
export type TencentProduct = keyof typeof PRODUCTS;

/** Official SDK clients for one account, per product and region; an account endpoint replaces every host. */
export class TencentApi {
  private readonly clients = new Map<string, AnyClient>();
  private cosClient: COS | undefined;

  constructor(private readonly account: Account) {}

  client(product: TencentProduct, region: string): AnyClient {
    const key = `${product}|${region}`;
    let c = this.clients.get(key);
    if (!c) {
      const custom = this.account.endpoint ? new URL(this.account.endpoint) : undefined;
      c = new PRODUCTS[product].ctor({
        credential: { secretId: this.account.access_key_id, secretKey: this.account.access_key_secret },
        region,
        profile: {
          httpProfile: custom
            ? { endpoint: custom.host, protocol: `${custom.protocol}//`, reqTimeout: 15 }
            : { endpoint: PRODUCTS[product].host, reqTimeout: 15 },
        },
      }) as AnyClient;
      this.clients.set(key, c);
    }
    return c;
  }

  call(
    product: TencentProduct,
    action: string,
    region: string,
    req: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return this.client(product, region)[action]!(req);
  }

  /** The COS client; against an endpoint it addresses buckets by path, which cloudsim serves. */
  cos(): COS {
    if (!this.cosClient) {
      const custom = this.account.endpoint ? new URL(this.account.endpoint) : undefined;
      this.cosClient = new COS({
        SecretId: this.account.access_key_id,
        SecretKey: this.account.access_key_secret,
        Timeout: 15_000,
        ...(custom
          ? {
              Protocol: custom.protocol as 'http:' | 'https:',
              Domain: `${custom.host}/{Bucket}`,
              ServiceDomain: custom.host,
            }
          : {}),
      });
    }
    return this.cosClient;
  }
}
