import { afterEach, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from './receiver.ts';

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
});

describe('the webhook receiver', () => {
  it('answers anything that is not a notification with a 4xx and keeps receiving', async () => {
    const seen: unknown[] = [];
    receiver = await startReceiver({ onNotification: (n) => seen.push(n.body) });
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(receiver!.url, { method: 'POST', body, headers });
    expect((await fetch(receiver.url)).status).toBe(405);
    expect((await post('not json', { 'x-opsfleet-idempotency-key': 'k0' })).status).toBe(400);
    expect((await post('[1,2]', { 'x-opsfleet-idempotency-key': 'k0' })).status).toBe(400);
    const ok = await post('{"event":"firing","alerts":[{"name":"DiskFull"}]}', {
      'x-opsfleet-idempotency-key': 'k1',
    });
    expect(ok.status).toBe(200);
    expect(seen).toEqual([{ event: 'firing', alerts: [{ name: 'DiskFull' }] }]);
    expect(receiver.requests).toBe(1);
  });
});
