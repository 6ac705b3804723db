import { mapLimit } from '@opsfleet/core';
import type { CloudCalls } from '../provider.ts';
import type { AwsApi } from './clients.ts';

export interface AwsBucket {
  name: string;
  region: string;
  codeName: string;
}

/**
 * Every bucket with its own region (GetBucketLocation; empty means us-east-1) and CodeName tag.
 * The public exporter read every bucket's metrics through us-east-1, which only has data for
 * buckets that live there.
 */
export async function listBuckets(api: AwsApi, calls: CloudCalls): Promise<AwsBucket[]> {
  const home = api.s3('us-east-1');
  const res = await calls.call('ListBuckets', () => home.list(), { attempts: 5 });
  const names = (res.Buckets ?? []).map((b) => b.Name ?? '').filter(Boolean);
  return mapLimit(names, 10, async (name) => {
    const loc = await calls.call('GetBucketLocation', () => home.location(name));
    const region = loc.LocationConstraint || 'us-east-1';
    const tagging = await calls.call('GetBucketTagging', () =>
      api
        .s3(region)
        .tagging(name)
        .catch((err: { name?: string }) => {
          // A bucket without tags answers NoSuchTagSet: an answer, not a failure.
          if (err.name === 'NoSuchTagSet') return { TagSet: [] };
          throw err;
        }),
    );
    const codeName = tagging.TagSet?.find((t) => /^(codename|code_name)$/i.test(t.Key ?? ''))?.Value ?? '';
    return { name, region, codeName };
  });
}

/** The dimensions a bucket metric is stored under. */
export function bucketDimensions(metric: string, bucket: string): { Name: string; Value: string }[] {
  if (metric === 'BucketSizeBytes')
    return [
      { Name: 'BucketName', Value: bucket },
      { Name: 'StorageType', Value: 'StandardStorage' },
    ];
  if (metric === 'NumberOfObjects')
    return [
      { Name: 'BucketName', Value: bucket },
      { Name: 'StorageType', Value: 'AllStorageTypes' },
    ];
  return [
    { Name: 'BucketName', Value: bucket },
    { Name: 'FilterId', Value: 'EntireBucket' },
  ];
}
