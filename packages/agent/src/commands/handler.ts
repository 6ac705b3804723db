import type { z } from 'zod';
import type { PassResult } from '../config-sync/index.ts';
import type { CommandAction, ServiceView } from '../rpc/ops.ts';

export type OutputLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a handler may use of the agent. */
export interface CommandHost {
  /** The agent's name (`agent.name`, default its hostname). */
  name: string;
  hostname: string;
  version: string;
  services(): ServiceView[];
  command(service: string, action: CommandAction): Promise<ServiceView>;
  /** A ConfigAgent pass now, when agent.yaml enables `configSync`. */
  syncConfig?(): Promise<PassResult[]>;
}

export interface CommandContext {
  id: string;
  /** 1 the first time the server handed the command out. */
  attempt: number;
  deadline: Date;
  payload: Record<string, unknown>;
  host: CommandHost;
  /** The agent's data folder (`agent.dataDir`): what a handler keeps goes under it. */
  dataDir: string;
  /** Aborted when the command is cancelled, passes its deadline, or the agent stops. */
  signal: AbortSignal;
  /** A line of output, sent to the server in batches and kept with the command. */
  print(line: string, opts?: { stage?: string; level?: OutputLevel }): void;
}

/**
 * One kind of command. `run` answers the result (any JSON value) or throws: the command then
 * failed, with the error's message. It stops what it does when `signal` aborts.
 */
export interface CommandHandler {
  readonly kind: string;
  run(ctx: CommandContext): Promise<unknown>;
}

/** A command that cannot be done as asked: its message is what the server shows. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** The payload checked against `schema`; every problem named by its field (`payload.service: …`). */
export function payloadOf<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new CommandError(
    parsed.error.issues
      .map((i) => `payload${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`)
      .join('; '),
  );
}
