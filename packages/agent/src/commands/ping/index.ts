import type { CommandHandler } from '../handler.ts';

/** Answers who and what the agent is and its clock: proves the channel end to end. */
export const pingHandler: CommandHandler = {
  kind: 'ping',
  async run({ host, print }) {
    const answer = {
      name: host.name,
      hostname: host.hostname,
      version: host.version,
      time: new Date().toISOString(),
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
    };
    print(`pong from ${host.name} (${host.hostname}), version ${host.version}`, { stage: 'ping' });
    return answer;
  },
};
