import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbound } from '../src/http/outbound.ts';
import type { Message } from '../src/notify/channels/channel.ts';
import { email, emailHtml } from '../src/notify/channels/email.ts';

/** The receivers here are on loopback, which the server's policy refuses unless allowed. */
const net = new Outbound({ allow: ['127.0.0.1/32'] });

/** A real SMTP server (smtp-server) on loopback: checks the login and keeps every message. */
interface Mail {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}
let smtp: SMTPServer;
let port = 0;
const mails: Mail[] = [];
let reject: { code: number; text: string } | undefined;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onAuth(
      auth: { username: string; password: string },
      _session: unknown,
      cb: (e: Error | null, r?: { user: string }) => void,
    ) {
      if (auth.username === 'alerts' && auth.password === 'smtp-pass') cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(
      stream: NodeJS.ReadableStream,
      session: { envelope: { mailFrom: { address: string }; rcptTo: { address: string }[] }; user?: string },
      cb: (e?: Error | null) => void,
    ) {
      let raw = '';
      stream.on('data', (d: Buffer) => {
        raw += d.toString('utf8');
      });
      stream.on('end', () => {
        if (reject) return cb(Object.assign(new Error(reject.text), { responseCode: reject.code }));
        mails.push({
          from: session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          user: session.user,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  port = smtp.server.address().port;
});
afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

const message: Message = {
  title: '[firing] DiskFull on db-1',
  markdown: '### DiskFull\n**db-1** <script>alert(1)</script> is 97% full',
  payload: {},
  idempotencyKey: 'n-42',
};
const config = {
  host: '127.0.0.1',
  port: 0,
  starttls: 'off' as const,
  user: 'alerts',
  password: 'smtp-pass',
  from: 'opsfleet@example.com',
  to: ['oncall@example.com', 'db@example.com'],
};

describe('email over SMTP', () => {
  it('logs in and delivers to every recipient with text, escaped HTML and the idempotency key', async () => {
    reject = undefined;
    const result = await email.send(message, { ...config, port }, net);
    expect(result.ok).toBe(true);
    const mail = mails.at(-1)!;
    expect(mail).toMatchObject({
      from: 'opsfleet@example.com',
      to: ['oncall@example.com', 'db@example.com'],
      user: 'alerts',
    });
    expect(mail.raw).toContain('Subject: [firing] DiskFull on db-1');
    expect(mail.raw).toContain('X-Opsfleet-Idempotency-Key: n-42');
    // The HTML part carries the alert text escaped; only the text/plain part has it verbatim.
    const html = mail.raw.slice(mail.raw.indexOf('Content-Type: text/html'));
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(emailHtml(message.markdown)).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(emailHtml(message.markdown)).toContain('<strong>DiskFull</strong>');
  });

  it('does not retry a refused login or a permanent rejection, and retries a temporary one', async () => {
    reject = undefined;
    expect(await email.send(message, { ...config, port, password: 'wrong' }, net)).toMatchObject({
      ok: false,
      retryable: false,
      status: 535,
    });
    reject = { code: 550, text: 'mailbox unavailable' };
    expect(await email.send(message, { ...config, port }, net)).toMatchObject({
      ok: false,
      retryable: false,
      status: 550,
    });
    reject = { code: 451, text: 'try again later' };
    expect(await email.send(message, { ...config, port }, net)).toMatchObject({
      ok: false,
      retryable: true,
      status: 451,
    });
    reject = undefined;
  });

  it('refuses to send without TLS when STARTTLS is required and the server does not offer it', async () => {
    const result = await email.send(message, { ...config, port, starttls: 'required' }, net);
    expect(result).toMatchObject({ ok: false });
  });

  it('names every bad configuration field', () => {
    expect(
      email.check({ host: '', port: 0, from: 'nope', to: ['ok@example.com', 'bad'] }).map((p) => p.path),
    ).toEqual(['host', 'port', 'from', 'to[1]']);
  });
});
