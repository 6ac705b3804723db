import OpenApiModule, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import OpenApiUtilModule from '@alicloud/openapi-util';
import { RuntimeOptions } from '@alicloud/tea-util';
import OSS from 'ali-oss';
import type { Account } from '../provider.ts';

// Both packages are CommonJS with the class on `exports.default`: Node's ESM loader hands over
// `module.exports`, other loaders (vitest) the `default` itself, so accept either.
type OpenApiClient = {
  callApi(params: Params, request: OpenApiRequest, runtime: RuntimeOptions): Promise<unknown>;
};
const unwrap = <T>(mod: unknown, isIt: (x: unknown) => boolean): T =>
  (isIt(mod) ? mod : (mod as { default: unknown }).default) as T;
const OpenApi = unwrap<new (config: Config) => OpenApiClient>(OpenApiModule, (x) => typeof x === 'function');
const OpenApiUtil = unwrap<{ query(q: Record<string, unknown>): Record<string, string> }>(
  OpenApiUtilModule,
  (x) => typeof (x as { query?: unknown }).query === 'function',
);

/** Aliyun products the exporter calls, with their API versions and public endpoints. */
export const PRODUCTS = {
  ecs: { version: '2014-05-26', host: (_r: string) => 'ecs.aliyuncs.com' },
  slb: { version: '2014-05-15', host: (_r: string) => 'slb.aliyuncs.com' },
  vpc: { version: '2016-04-28', host: (_r: string) => 'vpc.aliyuncs.com' },
  alb: { version: '2020-06-16', host: (r: string) => `alb.${r}.aliyuncs.com` },
  nlb: { version: '2022-04-30', host: (r: string) => `nlb.${r}.aliyuncs.com` },
  cms: { version: '2019-01-01', host: (r: string) => `metrics.${r}.aliyuncs.com` },
} as const;
export type Product = keyof typeof PRODUCTS;

/**
 * Calls one RPC action through the official OpenAPI client (ACS3-HMAC-SHA256). With an account
 * endpoint every product goes there over its scheme; otherwise to the product's public host
 * over HTTPS. Returns the JSON body.
 */
export class AliyunApi {
  private readonly clients = new Map<string, OpenApiClient>();

  constructor(private readonly account: Account) {}

  private client(product: Product, region: string) {
    const key = `${product}|${region}`;
    let c = this.clients.get(key);
    if (!c) {
      const custom = this.account.endpoint ? new URL(this.account.endpoint) : undefined;
      c = new OpenApi(
        new Config({
          accessKeyId: this.account.access_key_id,
          accessKeySecret: this.account.access_key_secret,
          endpoint: custom ? custom.host : PRODUCTS[product].host(region),
          protocol: custom ? custom.protocol.replace(':', '') : 'https',
          regionId: region,
          readTimeout: 15_000,
          connectTimeout: 5_000,
        }),
      );
      this.clients.set(key, c);
    }
    return c;
  }

  async call<T = Record<string, unknown>>(
    product: Product,
    action: string,
    region: string,
    query: Record<string, unknown>,
  ): Promise<T> {
    const custom = this.account.endpoint ? new URL(this.account.endpoint) : undefined;
    const params = new Params({
      action,
      version: PRODUCTS[product].version,
      protocol: custom?.protocol === 'http:' ? 'HTTP' : 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const clean = Object.fromEntries(
      Object.entries({ RegionId: region, ...query }).filter(([, v]) => v !== undefined && v !== ''),
    );
    const request = new OpenApiRequest({ query: OpenApiUtil.query(clean) });
    const res = (await this.client(product, region).callApi(params, request, new RuntimeOptions({}))) as {
      body: T;
    };
    return res.body;
  }

  /** An OSS client for the region (path-style when an endpoint is configured, as cloudsim needs). */
  oss(region: string): OSS {
    const custom = this.account.endpoint;
    return new OSS({
      accessKeyId: this.account.access_key_id,
      accessKeySecret: this.account.access_key_secret,
      region: `oss-${region}`,
      ...(custom
        ? { endpoint: custom, sldEnable: true, secure: custom.startsWith('https') }
        : { secure: true }),
      timeout: 15_000,
    } as OSS.Options);
  }
}
