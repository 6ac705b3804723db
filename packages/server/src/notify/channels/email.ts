import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import { OutboundRefused } from '../../http/outbound.ts';
import type { Channel, Delivery } from './channel.ts';

export interface EmailConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS per `starttls`. */
  secure?: boolean;
  /** `required` refuses a server without STARTTLS; `off` never upgrades (local relays). Default: upgrade when offered. */
  starttls?: 'required' | 'opportunistic' | 'off';
  user?: string;
  password?: string;
  from: string;
  to: string[];
}

const escapeHtml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The HTML part: the text escaped (alert text never becomes markup), `**bold**` and line breaks kept. */
export function emailHtml(markdown: string): string {
  const body = escapeHtml(markdown)
    .replace(/^#{1,6}\s*(.+)$/gm, '<strong>$1</strong>')
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/\n/g, '<br>\n');
  return `<!doctype html><html><body style="font-family:sans-serif">${body}</body></html>`;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/** Email over SMTP (nodemailer): TLS or STARTTLS, optional auth; SMTP 4xx and network failures are retried, 5xx not. */
export const email: Channel<EmailConfig> = {
  kind: 'email',
  check: (c) => [
    ...(c.host ? [] : [{ path: 'host', message: 'set the SMTP server host' }]),
    ...(Number.isInteger(c.port) && c.port > 0 && c.port < 65_536
      ? []
      : [{ path: 'port', message: 'a port number, e.g. 587 or 465' }]),
    ...(EMAIL.test(c.from ?? '') ? [] : [{ path: 'from', message: 'an email address' }]),
    ...(c.to?.length ? [] : [{ path: 'to', message: 'list at least one recipient' }]),
    ...(c.to ?? []).flatMap((a, i) =>
      EMAIL.test(a) ? [] : [{ path: `to[${i}]`, message: 'an email address' }],
    ),
  ],
  async send(message, config, net): Promise<Delivery> {
    const t0 = performance.now();
    let address: string;
    try {
      // Resolved and checked here, then connected to by address: nodemailer's own lookup would
      // bypass the policy. The name still decides TLS (SNI and the certificate check).
      address = (await net.resolve(config.host))[0]!.address;
    } catch (err) {
      return {
        ok: false,
        retryable: !(err instanceof OutboundRefused),
        error: (err as Error).message,
        ms: performance.now() - t0,
      };
    }
    const transport = nodemailer.createTransport({
      host: address,
      ...(isIP(config.host) ? {} : { servername: config.host }),
      port: config.port,
      secure: config.secure ?? false,
      requireTLS: config.starttls === 'required',
      ignoreTLS: config.starttls === 'off',
      ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
      connectionTimeout: 10_000,
      socketTimeout: 20_000,
    });
    try {
      await transport.sendMail({
        from: config.from,
        to: config.to,
        subject: message.title,
        text: message.markdown,
        html: emailHtml(message.markdown),
        headers: { 'X-Opsfleet-Idempotency-Key': message.idempotencyKey },
      });
      return { ok: true, ms: performance.now() - t0 };
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message: string; response?: string };
      const code = e.responseCode;
      const retryable = code === undefined ? e.code !== 'EAUTH' : code >= 400 && code < 500;
      return {
        ok: false,
        retryable,
        ...(code ? { status: code } : {}),
        // What the server said stays out: pointed at another service, it would be that service's banner.
        error:
          e.response === undefined
            ? e.message
            : `${e.code ?? 'error'}: the SMTP server answered ${code ?? 'something else than SMTP'}`,
        ms: performance.now() - t0,
      };
    } finally {
      transport.close();
    }
  },
};
