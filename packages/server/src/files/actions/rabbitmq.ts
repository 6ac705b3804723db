import amqp from 'amqplib';
import type { FileAction } from './action.ts';
import { fillPlaceholders, unknownPlaceholders } from './placeholders.ts';

export interface RabbitmqConfig {
  /** `amqp://host:5672/vhost`, without credentials (they go in user and password). */
  url: string;
  user?: string;
  password?: string;
  /** The exchange to publish to ('' is the default exchange, where the routing key names a queue). */
  exchange: string;
  /** With `{placeholders}` (`files.{source}`). */
  routingKey: string;
}

/**
 * Publishes the file event, persistent, with the idempotency key as message-id, on a confirm
 * channel: the attempt is done only once the broker confirmed it. `mandatory` makes a message no
 * queue is bound for come back instead of vanishing, and that is a failure an admin must fix. The
 * broker's host goes through the outbound address policy first.
 */
export const rabbitmq: FileAction<RabbitmqConfig> = {
  kind: 'rabbitmq',
  secrets: ['password'],
  check(c) {
    const problems: { path: string; message: string }[] = [];
    try {
      const u = new URL(String(c.url));
      if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw new Error();
      if (u.username || u.password)
        problems.push({ path: 'url', message: 'put the credentials in user and password, not in the URL' });
    } catch {
      problems.push({ path: 'url', message: 'an amqp:// or amqps:// URL' });
    }
    if (typeof c.exchange !== 'string')
      problems.push({ path: 'exchange', message: "an exchange name ('' for the default)" });
    if (typeof c.routingKey !== 'string') problems.push({ path: 'routingKey', message: 'required' });
    else
      for (const p of unknownPlaceholders(c.routingKey))
        problems.push({ path: 'routingKey', message: `{${p}} is not a file field` });
    return problems;
  },
  async run(run, c) {
    const u = new URL(c.url);
    try {
      const [first] = await run.net.resolve(u.hostname);
      u.hostname = first!.family === 6 ? `[${first!.address}]` : first!.address;
    } catch (err) {
      return { ok: false, retryable: false, error: (err as Error).message, cause: 'refused' };
    }
    if (c.user) {
      u.username = encodeURIComponent(c.user);
      u.password = encodeURIComponent(c.password ?? '');
    }
    const routingKey = fillPlaceholders(c.routingKey, run.file, run.idempotencyKey);
    let conn: amqp.ChannelModel | undefined;
    try {
      conn = await amqp.connect(u.toString(), { timeout: 10_000 });
      const open = conn;
      run.signal.addEventListener('abort', () => void open.close().catch(() => undefined), { once: true });
      const ch = await conn.createConfirmChannel();
      let returned = false;
      ch.on('return', () => {
        returned = true;
      });
      const { object, ...file } = run.file;
      await new Promise<void>((resolve, reject) => {
        ch.publish(
          c.exchange,
          routingKey,
          Buffer.from(JSON.stringify({ type: 'file.uploaded', file, object })),
          {
            persistent: true,
            mandatory: true,
            messageId: run.idempotencyKey,
            contentType: 'application/json',
            type: 'file.uploaded',
            appId: 'opsfleet',
            headers: { 'x-opsfleet-attempt': run.attempt },
          },
          (err) => (err ? reject(err) : resolve()),
        );
      });
      // The broker sends basic.return before the ack of the same message.
      if (returned)
        return {
          ok: false,
          retryable: false,
          error: `no queue is bound to exchange "${c.exchange}" with routing key ${routingKey}`,
          cause: 'unroutable',
        };
      run.output(`published to exchange "${c.exchange}" with routing key ${routingKey}, confirmed\n`);
      return { ok: true, result: { exchange: c.exchange, routingKey } };
    } catch (err) {
      const text = (err as Error).message;
      const fatal = /ACCESS_REFUSED|NOT_FOUND|403|404/.test(text);
      return { ok: false, retryable: !fatal, error: text, cause: fatal ? 'refused' : 'connection' };
    } finally {
      await conn?.close().catch(() => undefined);
    }
  },
};
