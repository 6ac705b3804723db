import { ConfigError, loadConfigFile, parseConfigText } from '@opsfleet/core';
import { listenProblems } from '../rpc/auth.ts';
import { type AgentConfig, AgentFileSpec } from '../spec.ts';
import { graphProblems } from '../supervisor/graph.ts';
import { discoverServices } from './discover.ts';

type Env = Record<string, string | undefined>;

/**
 * `agent.yaml` read, expanded (`${VAR}`, `$VAR`, `${VAR:-default}`, `$$` for a literal `$`),
 * validated, and completed with discovered services. Every problem is reported at once with its
 * path, an unset variable without a default among them (an empty token or argument would
 * otherwise pass unnoticed); a service declared in the file wins over a discovered one of the
 * same name.
 */
export interface LoadedConfig {
  config: AgentConfig;
  /** Discovered packages that could not be read: reported, not fatal. */
  warnings: { path: string; message: string }[];
}

export function loadAgentConfig(path: string, env: Env = process.env): LoadedConfig {
  return complete(
    loadConfigFile(path, AgentFileSpec, { env, label: path, allowEmpty: false, strictEnv: true }),
    path,
  );
}

export function parseAgentConfig(text: string, env: Env = process.env, label = 'agent.yaml'): LoadedConfig {
  return complete(
    parseConfigText(text, AgentFileSpec, { env, label, allowEmpty: false, strictEnv: true }),
    label,
  );
}

function complete(config: AgentConfig, label: string): LoadedConfig {
  const problems = listenProblems(config.agent);
  const seen = new Map<string, number>();
  config.services.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined)
      problems.push({
        path: `services[${i}].name`,
        message: `${s.name} is declared twice (also services[${first}]); rename one`,
      });
    else seen.set(s.name, i);
  });
  const found = discoverServices(config.agent.discover);
  const services = [...config.services, ...found.services.filter((s) => !seen.has(s.name))];
  const names = new Set(services.map((s) => s.name));
  services.forEach((s, i) => {
    for (const dep of s.dependsOn)
      if (!names.has(dep))
        problems.push({
          path: i < config.services.length ? `services[${i}].dependsOn` : `discovered ${s.name}.dependsOn`,
          message: `${dep} is not a service here; declare it or remove the dependency`,
        });
  });
  const backendOf = new Map(services.map((s) => [s.name, s.backend]));
  services.forEach((s, i) => {
    for (const dep of s.dependsOn)
      if (backendOf.has(dep) && backendOf.get(dep) !== s.backend)
        problems.push({
          path: `services[${i}].dependsOn`,
          message: `${s.name} (${s.backend}) depends on ${dep} (${backendOf.get(dep)}); dependencies must use the same backend`,
        });
  });
  for (const p of graphProblems(services))
    if (p.startsWith('dependency cycle'))
      problems.push({ path: 'services.dependsOn', message: `${p}; remove one of these dependencies` });
  services.forEach((s, i) => {
    const names = new Set<string>();
    s.health.forEach((c, j) => {
      if (names.has(c.name))
        problems.push({
          path: `services[${i}].health[${j}].name`,
          message: `${c.name} is used twice in ${s.name}; give each check its own name`,
        });
      names.add(c.name);
    });
  });
  if (problems.length) throw new ConfigError(label, problems);
  return { config: { ...config, services }, warnings: found.problems };
}
