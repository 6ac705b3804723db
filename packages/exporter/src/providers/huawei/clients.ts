import { createRequire } from 'node:module';
import type { Account } from '../provider.ts';

const require = createRequire(import.meta.url);
const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core');
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js');
const ObsClient = require('esdk-obs-nodejs');
// The SDK logs every failed request to stdout through log4js, request config included; the
// exporter counts and logs failures itself.
require('@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger.js').Logger4jInstance.level = 'off';

interface HcClient {
  sendRequest(options: {
    method: 'GET' | 'POST';
    url: string;
    contentType: string;
    queryParams: Record<string, string | number>;
    pathParams: Record<string, string>;
    headers: Record<string, string>;
    data?: unknown;
  }): Promise<Record<string, unknown>>;
}

interface ObsResult {
  CommonMsg: { Status: number; Code: string; Message: string };
  InterfaceResult?: { Buckets?: { BucketName: string; Location?: string }[] };
}

export const HOME_REGION = 'cn-north-4';
const TIMEOUT_MS = 15_000;

/** The endpoint of a Huawei service in a region, or the account's endpoint (cloudsim, a proxy) for all of them. */
function endpointOf(account: Account, service: string, region: string): string {
  return account.endpoint ?? `https://${service}.${region}.myhuaweicloud.com`;
}

/** An OBS failure carried in the SDK's result rather than thrown, as an error the classifier reads. */
export class ObsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * The official SDK clients of one account: `huaweicloud-sdk-core` (SDK-HMAC-SHA256) for IAM,
 * ELB and CES, scoped per region by the region's project id, and `esdk-obs-nodejs` for OBS.
 * Neither SDK retries here; the call gateway does, by error class.
 */
export class HuaweiApi {
  private readonly clients = new Map<string, HcClient>();
  private obsClient: { listBuckets(input: { QueryLocation: boolean }): Promise<ObsResult> } | undefined;

  constructor(private readonly account: Account) {}

  /** An API client for a service in a region; with a project id the client is scoped to that project. */
  client(service: 'iam' | 'elb' | 'ces', region: string, projectId?: string): HcClient {
    const key = `${service}|${region}|${projectId ?? ''}`;
    let c = this.clients.get(key);
    if (!c) {
      const credentials = new BasicCredentials()
        .withAk(this.account.access_key_id)
        .withSk(this.account.access_key_secret);
      if (projectId) credentials.withProjectId(projectId);
      c = new ClientBuilder((hc: HcClient) => hc)
        .withEndpoint(endpointOf(this.account, service, region))
        .withCredential(credentials)
        .withOptions({ axiosRequestConfig: { timeout: TIMEOUT_MS } })
        .build() as HcClient;
      this.clients.set(key, c);
    }
    return c;
  }

  /** IAM `KeystoneListProjects` filtered by the region name: the project that scopes regional APIs. */
  async projectId(region: string): Promise<string> {
    const r = (await this.client('iam', region).sendRequest({
      method: 'GET',
      url: '/v3/projects',
      contentType: 'application/json',
      queryParams: { name: region },
      pathParams: {},
      headers: {},
    })) as { projects?: { id: string; name: string }[] };
    const project = r.projects?.find((p) => p.name === region);
    if (!project) throw new Error(`no IAM project for region ${region}: the account has not enabled it`);
    return project.id;
  }

  /** Every bucket of the account with its location (one call covers all regions). */
  async listBuckets(): Promise<{ name: string; region: string }[]> {
    if (!this.obsClient) {
      this.obsClient = new ObsClient({
        access_key_id: this.account.access_key_id,
        secret_access_key: this.account.access_key_secret,
        server: endpointOf(this.account, 'obs', HOME_REGION),
        signature: 'obs',
        is_signature_negotiation: false,
        max_retry_count: 0,
        timeout: TIMEOUT_MS / 1000,
      });
      // The client finishes configuring itself asynchronously after construction.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const r = await this.obsClient!.listBuckets({ QueryLocation: true });
    if (r.CommonMsg.Status >= 300)
      throw new ObsError(r.CommonMsg.Code, r.CommonMsg.Status, r.CommonMsg.Message);
    return (r.InterfaceResult?.Buckets ?? []).map((b) => ({ name: b.BucketName, region: b.Location ?? '' }));
  }
}
