import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalAddress, Outbound, parseAllowList } from './outbound.ts';

describe('outbound address policy', () => {
  const deny = new Outbound();
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.1', 'private'],
    ['192.168.0.1', 'private'],
    ['100.100.100.200', 'CGNAT'],
    ['169.254.169.254', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'unique local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'NAT64'],
  ])('refuses %s (%s)', (address, why) => {
    expect(deny.refusal(address)).toContain(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'])(
    'allows the public address %s',
    (address) => {
      expect(deny.refusal(address)).toBeUndefined();
    },
  );

  it('lets an admin allow internal ranges, IPv4 ones also when written IPv4-mapped', () => {
    const net = new Outbound({ allow: parseAllowList('127.0.0.1/32, 10.0.0.0/8,fd00::/8') });
    expect(net.refusal('127.0.0.1')).toBeUndefined();
    expect(net.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(net.refusal('10.200.0.1')).toBeUndefined();
    expect(net.refusal('fd00:ec2::254')).toBeUndefined();
    expect(net.refusal('127.0.0.2')).toContain('loopback');
    expect(net.refusal('169.254.169.254')).toContain('metadata');
  });

  it('names an allow-list entry that is not an address or block', () => {
    expect(() => parseAllowList('10.0.0.0/8,intranet')).toThrow(/OUTBOUND_ALLOW: "intranet"/);
    expect(() => parseAllowList('10.0.0.0/33')).toThrow(/"10.0.0.0\/33"/);
    expect(parseAllowList(undefined)).toEqual([]);
  });

  it('judges IPv4-mapped IPv6 as the IPv4 address it is', () => {
    expect(canonicalAddress('[::ffff:10.0.0.1]')).toBe('10.0.0.1');
    expect(canonicalAddress('::ffff:a00:1')).toBe('10.0.0.1');
    expect(canonicalAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('outbound requests', () => {
  let server: Server;
  let port = 0;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      req.resume();
      res.writeHead(200).end('fine');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('refuses a name whose DNS answer is internal, without connecting', async () => {
    const before = requests;
    const net = new Outbound({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const answer = await net.post(`http://receiver.example:${port}/hook`, '{}', {});
    expect(answer).toMatchObject({ error: expect.stringMatching(/refused.*receiver\.example.*loopback/) });
    expect(requests).toBe(before);
    net.close();
  });

  it('connects to the address it checked: a DNS answer that changes after the check is never asked for', async () => {
    // A rebinding name: harmless (allowed here) when checked, internal on every later lookup.
    const answers = ['127.0.0.1', '10.0.0.1'];
    let lookups = 0;
    const net = new Outbound({
      allow: ['127.0.0.1/32'],
      resolve: async () => [{ address: answers[Math.min(lookups++, 1)]!, family: 4 }],
    });
    const before = requests;
    const answer = await net.post(`http://rebind.example:${port}/hook`, '{}', {});
    expect(answer).toMatchObject({ status: 200 });
    expect(requests).toBe(before + 1);
    expect(lookups).toBe(1);
    net.close();
  });

  it('refuses an address literal, however it is written', async () => {
    const net = new Outbound();
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://2130706433:${port}/`,
    ])
      expect(await net.post(url, '{}', {}), url).toMatchObject({
        error: expect.stringContaining('loopback'),
      });
    net.close();
  });

  it('sends again on a fresh connection when a kept-alive one was closed under it', async () => {
    // Drops every connection at its second request, as a receiver whose idle timeout ends just
    // as the connection is reused.
    const perSocket = new WeakMap<object, number>();
    const closing = createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) return req.socket.destroy();
      req.resume();
      res.writeHead(200).end('fine');
    });
    await new Promise<void>((r) => closing.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closing.address() as { port: number }).port}/`;
    const net = new Outbound({ allow: ['127.0.0.1/32'] });
    expect(await net.post(url, '{}', {})).toMatchObject({ status: 200 });
    expect(await net.post(url, '{}', {})).toMatchObject({ status: 200 });
    net.close();
    await new Promise<void>((r) => closing.close(() => r()));
  });

  it('call answers a redirect as it is, with its headers, still under the address policy, and stops when aborted', async () => {
    const redirecting = createServer((req, res) => {
      req.resume();
      if (req.url === '/slow') return;
      res.writeHead(303, { location: 'http://10.0.0.1/queue/item/7/' }).end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(redirecting.address() as { port: number }).port}`;
    const net = new Outbound({ allow: ['127.0.0.1/32'] });
    expect(await net.call('POST', `${base}/job/x/build`, '', {})).toMatchObject({
      status: 303,
      headers: { location: 'http://10.0.0.1/queue/item/7/' },
    });
    expect(await net.call('GET', 'http://10.0.0.1/queue/item/7/', undefined, {})).toMatchObject({
      refused: true,
    });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    expect(await net.call('GET', `${base}/slow`, undefined, {}, { signal: stop.signal })).toMatchObject({
      error: 'aborted',
    });
    net.close();
    redirecting.closeAllConnections();
    await new Promise<void>((r) => redirecting.close(() => r()));
  });
});
