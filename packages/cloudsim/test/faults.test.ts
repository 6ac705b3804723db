import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliyunHandler } from '../src/aliyun/index.ts';
import { type Cloudsim, startCloudsim } from '../src/server.ts';
import { tencentHandler } from '../src/tencent/index.ts';

describe('cloudsim control API and injected faults', () => {
  let sim: Cloudsim;
  beforeAll(async () => {
    sim = await startCloudsim({
      world: { accounts: [], regions: {}, resources: [] },
      options: { timeoutMs: 100 },
      clouds: { aliyun: { handler: aliyunHandler }, tencent: { handler: tencentHandler } },
    });
  });
  afterAll(async () => sim?.close());

  it('answers unsigned requests with the cloud’s own auth errors', async () => {
    const ali = await fetch(`${sim.endpoints.aliyun}/?Action=DescribeRegions`, {
      method: 'POST',
      headers: { 'x-acs-action': 'DescribeRegions', 'x-acs-version': '2014-05-26' },
    });
    expect(ali.status).toBe(400);
    expect((await ali.json()).Code).toBe('MissingAuthorization');
    const tc = await fetch(`${sim.endpoints.tencent}/`, {
      method: 'POST',
      headers: { 'x-tc-action': 'DescribeRegions', 'content-type': 'application/json' },
      body: '{}',
    });
    expect((await tc.json()).Response.Error.Code).toBe('AuthFailure.SignatureFailure');
  });

  it('drops the connection of a request hit by a timeout fault', async () => {
    await fetch(`${sim.endpoints.tencent}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ cloud: 'tencent', kind: 'timeout', times: 1 }),
    });
    const t0 = performance.now();
    const err = await fetch(`${sim.endpoints.tencent}/`, {
      method: 'POST',
      headers: {
        'x-tc-action': 'DescribeRegions',
        'content-type': 'application/json',
        authorization:
          'TC3-HMAC-SHA256 Credential=x/2026-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=' +
          '0'.repeat(64),
      },
      body: '{}',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('counts calls per action and resets over HTTP', async () => {
    const counts = await (await fetch(`${sim.endpoints.aliyun}/_sim/calls`)).json();
    expect(counts.counts['aliyun:DescribeRegions']).toBe(1);
    expect(counts.counts['tencent:DescribeRegions']).toBeGreaterThanOrEqual(1);
    await fetch(`${sim.endpoints.aliyun}/_sim/reset`, { method: 'POST' });
    expect((await (await fetch(`${sim.endpoints.aliyun}/_sim/calls`)).json()).total).toBe(0);
  });
});
