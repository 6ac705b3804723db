import { detach } from '@opsfleet/agent';

export interface DetachOptions {
  method?: string;
  log?: string;
  unit?: string;
  pidFile?: string;
  cwd?: string;
}

/** `opsfleet agent detach`: commander's parsed flags back into the agent's detach arguments. */
export function agentDetach(o: DetachOptions, command: string[]): Promise<number> {
  const flags = Object.entries({
    '--method': o.method,
    '--log': o.log,
    '--unit': o.unit,
    '--pid-file': o.pidFile,
    '--cwd': o.cwd,
  }).flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
  return detach([...flags, '--', ...command]);
}
