import { createHash } from 'node:crypto';
import { readYaml, writeYaml } from '@opsfleet/core';
import { type Flavor, renderGroup } from './render.ts';
import type { GroupContent } from './store.ts';

/** A peer's desired configuration: its files by name, and a hash that changes only with them. */
export interface DesiredConfig {
  files: Record<string, string>;
  hash: string;
}

export function configHash(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(name).update('\0').update(files[name]!).update('\0');
  return h.digest('hex');
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'group';

/**
 * The rule files of a Prometheus or vmalert: one file per group, `opsfleet-<group>.yml` (a
 * short hash of the full name keeps two names that slug alike apart), in the flavor's format.
 */
export function rulesConfig(flavor: Flavor, groups: GroupContent[]): DesiredConfig {
  const files: Record<string, string> = {};
  for (const g of [...groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const tag = createHash('sha256').update(g.name).digest('hex').slice(0, 6);
    files[`opsfleet-${slug(g.name)}-${tag}.yml`] = renderGroup(g, flavor).text;
  }
  return { files, hash: configHash(files) };
}

/** Where Alertmanager sends to opsfleet, and the file holding the ingest key (never the key itself). */
export interface AlertmanagerHookup {
  webhookUrl: string;
  /** On the Alertmanager host; the ConfigAgent writes the key there, outside any configuration version. */
  passwordFile: string;
}

export const RECEIVER = 'opsfleet';

/**
 * The operator's Alertmanager configuration with opsfleet's receiver merged in: a receiver
 * `opsfleet` (replacing one of that name) whose webhook posts to the server with the ingest key
 * read from `passwordFile`, and a first child route that sends every alert there and `continue`s,
 * so the operator's own routing is unchanged. Merging its own output again changes nothing.
 */
export function alertmanagerConfig(
  base: string,
  hook: AlertmanagerHookup,
): { ok: true; config: DesiredConfig } | { ok: false; problem: string } {
  const read = readYaml(base);
  if (!read.ok) return { ok: false, problem: read.problems.map((p) => p.message).join('; ') };
  const config = read.value as Record<string, unknown> | null;
  if (!config || typeof config !== 'object' || Array.isArray(config))
    return { ok: false, problem: 'the base configuration is not a YAML mapping' };
  const route = config.route as Record<string, unknown> | undefined;
  if (!route || typeof route !== 'object')
    return {
      ok: false,
      problem: 'the base configuration has no route: Alertmanager needs one with a receiver',
    };
  const receivers = Array.isArray(config.receivers) ? (config.receivers as { name?: string }[]) : [];
  const ours = {
    name: RECEIVER,
    webhook_configs: [
      {
        url: hook.webhookUrl,
        send_resolved: true,
        http_config: { basic_auth: { username: 'api_key', password_file: hook.passwordFile } },
      },
    ],
  };
  const children = Array.isArray(route.routes) ? (route.routes as { receiver?: string }[]) : [];
  const merged = {
    ...config,
    route: {
      ...route,
      routes: [{ receiver: RECEIVER, continue: true }, ...children.filter((r) => r.receiver !== RECEIVER)],
    },
    receivers: [...receivers.filter((r) => r.name !== RECEIVER), ours],
  };
  const files = { 'alertmanager.yml': writeYaml(merged) };
  return { ok: true, config: { files, hash: configHash(files) } };
}
