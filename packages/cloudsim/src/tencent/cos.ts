import type { SimRequest, SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import type { SimAccount } from '../world.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xml = (status: number, body: string): SimResponse => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-cos-request-id': `sim-${Date.now()}` },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});

export const cosError = (status: number, code: string, message: string): SimResponse =>
  xml(
    status,
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>sim</RequestId></Error>`,
  );

/** GET Service (all buckets of the account, with Location) and GET Bucket tagging (path style). */
export function handleCos(req: SimRequest, state: SimState, owner: SimAccount): SimResponse {
  const bucketName = req.url.pathname.split('/').filter(Boolean)[0];
  const buckets = state.world.resources.filter(
    (r) => r.cloud === 'tencent' && r.owner === owner.accessKeyId && r.type === 's3',
  );
  if (!bucketName) {
    return xml(
      200,
      `<ListAllMyBucketsResult><Owner><ID>qcs::cam::uin/${owner.uid}:uin/${owner.uid}</ID><DisplayName>${owner.uid}</DisplayName></Owner><Buckets>${buckets
        .map(
          (b) =>
            `<Bucket><Name>${esc(b.id)}</Name><Location>${b.region}</Location><CreationDate>2024-01-01T00:00:00Z</CreationDate></Bucket>`,
        )
        .join('')}</Buckets></ListAllMyBucketsResult>`,
    );
  }
  const bucket = buckets.find((b) => b.id === bucketName);
  if (!bucket) return cosError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
  if (req.url.searchParams.has('tagging')) {
    const entries = Object.entries(bucket.tags ?? {});
    if (!entries.length)
      return cosError(404, 'NoSuchTagSet', 'There is no tag set associated with the bucket.');
    return xml(
      200,
      `<Tagging><TagSet>${entries.map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`,
    );
  }
  return cosError(501, 'NotImplemented', 'cloudsim implements GET Service and GET Bucket tagging only.');
}
