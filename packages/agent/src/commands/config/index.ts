import { CommandError, type CommandHandler } from '../handler.ts';

/**
 * `config.sync`: the server has a new desired version for a target on this host (or someone
 * asked): the ConfigAgent makes a pass now instead of at its next interval, trying again
 * versions that failed here before.
 */
export const configSyncHandler: CommandHandler = {
  kind: 'config.sync',
  async run({ host, print }) {
    if (!host.syncConfig) throw new CommandError(`configSync is not enabled in agent.yaml on ${host.name}`);
    const results = await host.syncConfig();
    for (const r of results)
      print(r.ok ? `${r.target}: version ${r.version} loaded` : `${r.target}: ${r.error}`, {
        stage: 'config',
        level: r.ok ? 'info' : 'error',
      });
    const bad = results.filter((r) => !r.ok);
    if (bad.length) throw new CommandError(bad.map((r) => `${r.target}: ${r.error}`).join('; '));
    return { targets: results };
  },
};
