import type { SimResponse } from '../server.ts';
import type { SimState } from '../sim-state.ts';
import { resourcesOf, type SimAccount } from '../world.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const xml = (status: number, body: string): SimResponse => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-obs-request-id': `sim-${Date.now()}` },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});

export function obsError(status: number, code: string, message: string): SimResponse {
  return xml(
    status,
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>sim</RequestId><HostId>cloudsim</HostId></Error>`,
  );
}

/** OBS `ListBuckets` (`GET /`): every bucket of the account in one answer, each with its `Location`. */
export function listBuckets(state: SimState, owner: SimAccount): SimResponse {
  const buckets = resourcesOf(state.world, 'huawei', owner.accessKeyId, 's3').sort((a, b) =>
    a.id.localeCompare(b.id),
  );
  return xml(
    200,
    `<ListAllMyBucketsResult xmlns="http://obs.myhwclouds.com/doc/2015-06-30/"><Owner><ID>${owner.uid}</ID></Owner><Buckets>${buckets
      .map(
        (b) =>
          `<Bucket><Name>${esc(b.id)}</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate><Location>${b.region}</Location><BucketType>OBJECT</BucketType></Bucket>`,
      )
      .join('')}</Buckets></ListAllMyBucketsResult>`,
  );
}
