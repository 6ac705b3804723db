import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeLoadBalancersCommand as DescribeClassicCommand,
  DescribeTagsCommand as DescribeClassicTagsCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Account } from '../provider.ts';

/**
 * The official v3 SDK clients of one account, per region. SDK retries are off (`maxAttempts:
 * 1`): the exporter's call gateway retries by error class and counts every attempt.
 */
export class AwsApi {
  private readonly clients = new Map<string, unknown>();

  constructor(private readonly account: Account) {}

  private config(region: string) {
    return {
      region,
      maxAttempts: 1,
      credentials: {
        accessKeyId: this.account.access_key_id,
        secretAccessKey: this.account.access_key_secret,
      },
      ...(this.account.endpoint ? { endpoint: this.account.endpoint } : {}),
    };
  }

  private get<T>(kind: string, region: string, make: () => T): T {
    const key = `${kind}|${region}`;
    if (!this.clients.has(key)) this.clients.set(key, make());
    return this.clients.get(key) as T;
  }

  cloudwatch(region: string) {
    return this.get('cw', region, () => new CloudWatchClient(this.config(region)));
  }

  getMetricData(region: string, input: GetMetricDataCommandInput) {
    return this.cloudwatch(region).send(new GetMetricDataCommand(input));
  }

  /**
   * EC2 `DescribeRegions`. The EC2 client is loaded on first use: it costs about 66 MB of
   * memory, and only accounts with `regions: ["*"]` need it.
   */
  async regions() {
    const { EC2Client, DescribeRegionsCommand } = await import('@aws-sdk/client-ec2');
    return this.get('ec2', 'us-east-1', () => new EC2Client(this.config('us-east-1'))).send(
      new DescribeRegionsCommand({}),
    );
  }

  elbv2(region: string) {
    const c = this.get('elbv2', region, () => new ElasticLoadBalancingV2Client(this.config(region)));
    return {
      list: (marker?: string) => c.send(new DescribeLoadBalancersCommand({ Marker: marker, PageSize: 400 })),
      tags: (arns: string[]) => c.send(new DescribeTagsCommand({ ResourceArns: arns })),
    };
  }

  elb(region: string) {
    const c = this.get('elb', region, () => new ElasticLoadBalancingClient(this.config(region)));
    return {
      list: (marker?: string) => c.send(new DescribeClassicCommand({ Marker: marker, PageSize: 400 })),
      tags: (names: string[]) => c.send(new DescribeClassicTagsCommand({ LoadBalancerNames: names })),
    };
  }

  s3(region: string) {
    const c = this.get(
      's3',
      region,
      () => new S3Client({ ...this.config(region), forcePathStyle: Boolean(this.account.endpoint) }),
    );
    return {
      list: () => c.send(new ListBucketsCommand({})),
      location: (bucket: string) => c.send(new GetBucketLocationCommand({ Bucket: bucket })),
      tagging: (bucket: string) => c.send(new GetBucketTaggingCommand({ Bucket: bucket })),
    };
  }
}
