import { z } from 'zod';
import type { CommandAction } from '../../rpc/ops.ts';
import { CommandError, type CommandHandler, payloadOf } from '../handler.ts';

const Named = z.object({ service: z.string().min(1).max(200) });
const Optional = z.object({ service: z.string().min(1).max(200).optional() });

/** `service.status`: every supervised service, or the one named in `payload.service`. */
export const serviceStatusHandler: CommandHandler = {
  kind: 'service.status',
  async run({ payload, host }) {
    const { service } = payloadOf(Optional, payload);
    const all = host.services();
    if (!service) return { services: all };
    const one = all.find((s) => s.name === service);
    if (!one)
      throw new CommandError(
        `no service ${service} is supervised here (there are: ${all.map((s) => s.name).join(', ') || 'none'})`,
      );
    return { services: [one] };
  },
};

/**
 * `service.start`, `service.stop`, `service.restart`: what `opsfleet agent <action>` does,
 * through the backend that runs the service (the supervisor or systemd). Answers the service's
 * status after it.
 */
function actionHandler(action: Extract<CommandAction, 'start' | 'stop' | 'restart'>): CommandHandler {
  return {
    kind: `service.${action}`,
    async run({ payload, host, print }) {
      const { service } = payloadOf(Named, payload);
      if (!host.services().some((s) => s.name === service))
        throw new CommandError(`no service ${service} is supervised here`);
      print(`${action} ${service}`, { stage: action });
      const after = await host.command(service, action);
      print(`${service} is ${after.state}${after.pid ? `, pid ${after.pid}` : ''}`, { stage: action });
      return { service: after };
    },
  };
}

export const serviceStartHandler = actionHandler('start');
export const serviceStopHandler = actionHandler('stop');
export const serviceRestartHandler = actionHandler('restart');
