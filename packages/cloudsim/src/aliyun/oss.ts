import type { SimRequest, SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import type { SimAccount } from '../world.ts';

const xml = (status: number, body: string): SimResponse => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-oss-request-id': `sim-${Date.now()}` },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function ossError(status: number, code: string, message: string): SimResponse {
  return xml(
    status,
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>sim</RequestId></Error>`,
  );
}

/** GET / (ListBuckets with prefix/marker/max-keys) and GET /<bucket>/?tagging, path style. */
export function handleOss(req: SimRequest, state: SimState, owner: SimAccount): SimResponse {
  const parts = req.url.pathname.split('/').filter(Boolean);
  const buckets = state.world.resources
    .filter((r) => r.cloud === 'aliyun' && r.owner === owner.accessKeyId && r.type === 's3')
    .sort((a, b) => a.id.localeCompare(b.id));
  if (parts.length === 0) {
    const max = Number(req.url.searchParams.get('max-keys') ?? 100);
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      return ossError(400, 'InvalidArgument', 'max-keys must be between 1 and 1000.');
    const marker = req.url.searchParams.get('marker') ?? '';
    const after = buckets.filter((b) => b.id > marker);
    const page = after.slice(0, max);
    const truncated = after.length > max;
    return xml(
      200,
      `<ListAllMyBucketsResult><Owner><ID>${owner.uid}</ID><DisplayName>${owner.uid}</DisplayName></Owner>` +
        `${truncated ? `<IsTruncated>true</IsTruncated><NextMarker>${esc(page.at(-1)!.id)}</NextMarker>` : '<IsTruncated>false</IsTruncated>'}` +
        `<Buckets>${page
          .map(
            (b) =>
              `<Bucket><Name>${esc(b.id)}</Name><Location>oss-${b.region}</Location><CreationDate>2024-01-01T00:00:00.000Z</CreationDate>` +
              `<ExtranetEndpoint>oss-${b.region}.aliyuncs.com</ExtranetEndpoint><Region>${b.region}</Region><StorageClass>Standard</StorageClass></Bucket>`,
          )
          .join('')}</Buckets></ListAllMyBucketsResult>`,
    );
  }
  const bucket = buckets.find((b) => b.id === parts[0]);
  if (!bucket) return ossError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
  if (req.url.searchParams.has('tagging')) {
    const tags = Object.entries(bucket.tags ?? {})
      .map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`)
      .join('');
    return xml(200, `<Tagging><TagSet>${tags}</TagSet></Tagging>`);
  }
  return ossError(400, 'NotImplemented', 'cloudsim implements ListBuckets and GetBucketTagging only.');
}
