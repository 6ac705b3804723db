import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outbound } from '../src/http/outbound.ts';
import type { Message } from '../src/notify/channels/channel.ts';
import { dingtalk } from '../src/notify/channels/dingtalk.ts';
import { feishu } from '../src/notify/channels/feishu.ts';
import { slack, toMrkdwn } from '../src/notify/channels/slack.ts';
import { fillTemplate, sms } from '../src/notify/channels/sms.ts';
import { webhook } from '../src/notify/channels/webhook.ts';
import { fitBytes, wecom } from '../src/notify/channels/wecom.ts';

/** The receivers here are on loopback, which the server's policy refuses unless allowed. */
const net = new Outbound({ allow: ['127.0.0.1/32'] });

/**
 * A local receiver standing in for each remote end: it records requests and answers what the
 * test says, so each channel is checked on the exact bytes it sends.
 */
interface Received {
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base = '';
let received: Received[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ url: new URL(req.url ?? '/', 'http://x'), headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received = [];
  answer = { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
});

const message: Message = {
  title: '[firing] DiskFull on db-1',
  markdown: '### DiskFull\n**db-1** disk is 97% full',
  payload: { event: 'firing', alerts: [{ fingerprint: 'f1', labels: { alertname: 'DiskFull' } }] },
  idempotencyKey: 'notif-1:attempt-independent',
};

describe('generic webhook', () => {
  it('posts the event as JSON with a signature the receiver can verify, and custom headers', async () => {
    answer = { status: 204, body: '' };
    const result = await webhook.send(
      message,
      {
        url: `${base}/hook`,
        secret: 'shh',
        headers: { 'X-Team': 'sre' },
      },
      net,
    );
    expect(result.ok).toBe(true);
    const [r] = received;
    expect(JSON.parse(r!.body)).toEqual(message.payload);
    expect(r!.headers['x-team']).toBe('sre');
    expect(r!.headers['x-opsfleet-idempotency-key']).toBe('notif-1:attempt-independent');
    const ts = String(r!.headers['x-opsfleet-timestamp']);
    const expected = `sha256=${createHmac('sha256', 'shh').update(`${ts}.${r!.body}`).digest('hex')}`;
    expect(r!.headers['x-opsfleet-signature']).toBe(expected);
  });

  it.each([
    [500, true],
    [429, true],
    [400, false],
    [404, false],
  ])('calls HTTP %i retryable: %s', async (status, retryable) => {
    answer = { status, body: 'nope' };
    expect(await webhook.send(message, { url: `${base}/hook` }, net)).toMatchObject({
      ok: false,
      retryable,
      status,
    });
  });

  it('treats an unreachable receiver as retryable and names bad configuration fields', async () => {
    expect(await webhook.send(message, { url: 'http://127.0.0.1:1/hook' }, net)).toMatchObject({
      ok: false,
      retryable: true,
    });
    expect(webhook.check({ url: 'ftp://x', headers: { 'bad header': 'v' } }).map((p) => p.path)).toEqual([
      'url',
      'headers.bad header',
    ]);
  });
});

describe('DingTalk robot', () => {
  it('signs with timestamp and HMAC-SHA256 of "<timestamp>\\n<secret>" and sends markdown with @mentions', async () => {
    const secret = 'SECabc123';
    const result = await dingtalk.send(
      message,
      {
        url: `${base}/robot/send?access_token=tok`,
        secret,
        atMobiles: ['13800000000'],
      },
      net,
    );
    expect(result.ok).toBe(true);
    const [r] = received;
    expect(r!.url.pathname).toBe('/robot/send');
    expect(r!.url.searchParams.get('access_token')).toBe('tok');
    const ts = r!.url.searchParams.get('timestamp')!;
    expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(5000);
    const sign = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
    expect(r!.url.searchParams.get('sign')).toBe(sign);
    expect(JSON.parse(r!.body)).toEqual({
      msgtype: 'markdown',
      markdown: { title: message.title, text: `${message.markdown}\n\n@13800000000` },
      at: { atMobiles: ['13800000000'], isAtAll: false },
    });
  });

  it.each([
    [130101, true],
    [310000, false],
  ])('reads errcode %i as retryable: %s', async (code, retryable) => {
    answer = { status: 200, body: JSON.stringify({ errcode: code, errmsg: 'x' }) };
    expect(await dingtalk.send(message, { url: `${base}/robot/send?access_token=t` }, net)).toMatchObject({
      ok: false,
      retryable,
    });
  });
});

describe('WeCom robot', () => {
  it('sends markdown within 4096 bytes and text with mentions within 2048 bytes', async () => {
    await wecom.send(
      { ...message, markdown: '磁'.repeat(3000) },
      { url: `${base}/cgi-bin/webhook/send?key=k` },
      net,
    );
    const md = JSON.parse(received[0]!.body);
    expect(md.msgtype).toBe('markdown');
    expect(Buffer.byteLength(md.markdown.content)).toBeLessThanOrEqual(4096);
    await wecom.send(
      message,
      {
        url: `${base}/cgi-bin/webhook/send?key=k`,
        format: 'text',
        mentionedList: ['@all'],
      },
      net,
    );
    expect(JSON.parse(received[1]!.body)).toEqual({
      msgtype: 'text',
      text: {
        content: `${message.title}\n${message.markdown}`,
        mentioned_list: ['@all'],
        mentioned_mobile_list: [],
      },
    });
  });

  it('fails on a non-zero errcode, retrying only the frequency limit', async () => {
    answer = { status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' };
    expect(await wecom.send(message, { url: `${base}/w` }, net)).toMatchObject({
      ok: false,
      retryable: true,
    });
    answer = { status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' };
    expect(await wecom.send(message, { url: `${base}/w` }, net)).toMatchObject({
      ok: false,
      retryable: false,
    });
  });

  it.each([
    ['abc', 10, 'abc'],
    ['磁磁磁磁', 10, '磁磁…'],
  ])('fits %j into %i bytes as %j', (text, limit, out) => {
    expect(fitBytes(text, limit)).toBe(out);
  });
});

describe('Feishu / Lark bot', () => {
  it('signs in the body with HMAC-SHA256 keyed by "<timestamp>\\n<secret>" and posts rich text', async () => {
    answer = { status: 200, body: '{"code":0,"msg":"success"}' };
    expect(
      (await feishu.send(message, { url: `${base}/open-apis/bot/v2/hook/t`, secret: 'fs-secret' }, net)).ok,
    ).toBe(true);
    const body = JSON.parse(received[0]!.body);
    const expected = createHmac('sha256', `${body.timestamp}\nfs-secret`).update('').digest('base64');
    expect(body.sign).toBe(expected);
    expect(body.msg_type).toBe('post');
    expect(body.content.post.zh_cn.title).toBe(message.title);
    expect(body.content.post.zh_cn.content[1]).toEqual([{ tag: 'text', text: '**db-1** disk is 97% full' }]);
  });

  it('retries only the frequency limit', async () => {
    answer = { status: 200, body: '{"code":11232,"msg":"frequency limited"}' };
    expect(await feishu.send(message, { url: `${base}/f` }, net)).toMatchObject({
      ok: false,
      retryable: true,
    });
    answer = { status: 200, body: '{"code":19021,"msg":"sign match fail"}' };
    expect(await feishu.send(message, { url: `${base}/f` }, net)).toMatchObject({
      ok: false,
      retryable: false,
    });
  });
});

describe('Slack incoming webhook', () => {
  it('sends a text fallback and a mrkdwn section, and reads its error words by status', async () => {
    answer = { status: 200, body: 'ok' };
    expect((await slack.send(message, { url: `${base}/services/T/B/X` }, net)).ok).toBe(true);
    expect(JSON.parse(received[0]!.body)).toEqual({
      text: message.title,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*DiskFull*\n*db-1* disk is 97% full' } }],
    });
    answer = { status: 404, body: 'no_service' };
    expect(await slack.send(message, { url: `${base}/s` }, net)).toMatchObject({
      ok: false,
      retryable: false,
    });
    answer = { status: 429, body: 'rate_limited' };
    expect(await slack.send(message, { url: `${base}/s` }, net)).toMatchObject({
      ok: false,
      retryable: true,
    });
    expect(toMrkdwn('## Title\n**bold** text')).toBe('*Title*\n*bold* text');
  });
});

describe('SMS gateway', () => {
  it('posts the filled template once per number, escaping values so they cannot break the JSON', async () => {
    answer = { status: 202, body: '{}' };
    const config = {
      url: `${base}/sms`,
      phones: ['+8613800000000', '+8613900000000'],
      bodyTemplate: '{"to": "{{phone}}", "text": "{{text}}", "from": "ops"}',
      headers: { authorization: 'Bearer gw' },
    };
    expect(sms.check(config)).toEqual([]);
    const quoted = { ...message, title: 'disk "full" on db-1' };
    expect((await sms.send(quoted, config, net)).ok).toBe(true);
    expect(received.map((r) => JSON.parse(r.body))).toEqual([
      { to: '+8613800000000', text: 'disk "full" on db-1', from: 'ops' },
      { to: '+8613900000000', text: 'disk "full" on db-1', from: 'ops' },
    ]);
    expect(received[0]!.headers.authorization).toBe('Bearer gw');
    expect(fillTemplate('{"t":"{{text}}"}', { text: 'a"b\\c' })).toBe('{"t":"a\\"b\\\\c"}');
  });

  it('names what is wrong with a configuration', () => {
    expect(
      sms.check({ url: 'nope', phones: [], bodyTemplate: '{"to": {{phone}}' }).map((p) => p.path),
    ).toEqual(['url', 'phones', 'bodyTemplate']);
  });
});
