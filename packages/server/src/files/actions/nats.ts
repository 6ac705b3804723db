import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import type { FileAction } from './action.ts';
import { fillPlaceholders, unknownPlaceholders } from './placeholders.ts';

export interface NatsConfig {
  /** `nats://host:4222`. */
  url: string;
  /** A subject a JetStream stream captures; `{placeholders}` allowed (`files.{source}`). */
  subject: string;
  user?: string;
  password?: string;
  token?: string;
}

/**
 * Publishes the file event to a JetStream subject and waits for the stream's ack. The task's
 * idempotency key is the `Nats-Msg-Id`, so a second attempt after a lost ack is dropped by the
 * stream as a duplicate within its duplicate window (default 2 min). The server's host goes
 * through the outbound address policy first, and the connection is made to the address that
 * passed.
 */
export const nats: FileAction<NatsConfig> = {
  kind: 'nats',
  secrets: ['password', 'token'],
  check(c) {
    const problems: { path: string; message: string }[] = [];
    try {
      const u = new URL(String(c.url));
      if (u.protocol !== 'nats:' || !u.hostname) throw new Error();
    } catch {
      problems.push({ path: 'url', message: 'a nats://host:port URL' });
    }
    if (typeof c.subject !== 'string' || !/^[^\s*>]+$/.test(c.subject))
      problems.push({ path: 'subject', message: 'a subject without spaces or wildcards' });
    else
      for (const p of unknownPlaceholders(c.subject))
        problems.push({ path: 'subject', message: `{${p}} is not a file field` });
    if (c.password && !c.user) problems.push({ path: 'user', message: 'required with a password' });
    return problems;
  },
  async run(run, c) {
    const u = new URL(c.url);
    let address: string;
    try {
      const [first] = await run.net.resolve(u.hostname);
      address = first!.family === 6 ? `[${first!.address}]` : first!.address;
    } catch (err) {
      return { ok: false, retryable: false, error: (err as Error).message, cause: 'refused' };
    }
    const subject = fillPlaceholders(c.subject, run.file, run.idempotencyKey).replace(/[\s*>]/g, '_');
    let nc: Awaited<ReturnType<typeof connect>> | undefined;
    try {
      nc = await connect({
        servers: `${address}:${u.port || 4222}`,
        ...(c.user ? { user: c.user, pass: c.password } : {}),
        ...(c.token ? { token: c.token } : {}),
        reconnect: false,
        timeout: 10_000,
        name: 'opsfleet-server',
      });
      const open = nc;
      // A cancel or the timeout ends the wait for the ack; the stream still drops a resend.
      run.signal.addEventListener('abort', () => void open.close().catch(() => undefined), { once: true });
      const { object, ...file } = run.file;
      const h = headers();
      h.set('Opsfleet-Attempt', String(run.attempt));
      const ack = await jetstream(nc).publish(
        subject,
        JSON.stringify({ type: 'file.uploaded', file, object }),
        { msgID: run.idempotencyKey, headers: h, timeout: 10_000 },
      );
      run.output(
        `published to ${subject}: stream ${ack.stream} seq ${ack.seq}${ack.duplicate ? ' (a duplicate: the stream kept the first)' : ''}\n`,
      );
      return { ok: true, result: { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate } };
    } catch (err) {
      const e = err as Error & { code?: string };
      const text = `${e.name}: ${e.message}`;
      // No stream captures the subject (the client reports that as JetStream not enabled: nothing
      // answered), or the credentials are refused: an admin must act.
      const fatal = /no responders|not enabled|Authorization|authentication|permission/i.test(text);
      return { ok: false, retryable: !fatal, error: text, cause: fatal ? 'refused' : 'connection' };
    } finally {
      await nc?.close().catch(() => undefined);
    }
  },
};
