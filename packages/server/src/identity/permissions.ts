/**
 * Roles and the permissions they grant, named `resource:action`. Every route names the one
 * permission it needs; this table is the only place that says who has it.
 */
export const ROLES = ['admin', 'operator', 'viewer', 'ingest', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'alert:read',
  'alert:ingest',
  'alert:acknowledge',
  'alert:resolve',
  'alert:close',
  'silence:read',
  'silence:write',
  'rule:read',
  'rule:write',
  'notify:read',
  'notify:write',
  'user:read',
  'user:write',
  'apikey:read',
  'apikey:write',
  'audit:read',
  'agent:register',
  'agents:read',
  'agents:write',
  'commands:read',
  'commands:write',
  'agent:commands',
  'release:read',
  'release:deploy',
  'release:approve',
  'datasource:read',
  'datasource:write',
  'alertrule:read',
  'alertrule:write',
  'files:read',
  'files:operate',
  'files:configure',
  'files:report',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  operator: [
    'alert:read',
    'alert:ingest',
    'alert:acknowledge',
    'alert:resolve',
    'alert:close',
    'silence:read',
    'silence:write',
    'rule:read',
    'rule:write',
    'notify:read',
    'notify:write',
    'agents:read',
    'agents:write',
    'commands:read',
    'commands:write',
    'release:read',
    'release:deploy',
    'release:approve',
    'datasource:read',
    'datasource:write',
    'alertrule:read',
    'alertrule:write',
    'files:read',
    'files:operate',
    'files:configure',
  ],
  viewer: [
    'alert:read',
    'silence:read',
    'rule:read',
    'notify:read',
    'agents:read',
    'commands:read',
    'release:read',
    'datasource:read',
    'alertrule:read',
    'files:read',
  ],
  // For machines that only push alerts (Alertmanager, vmalert, agents): their key can do nothing else.
  ingest: ['alert:ingest'],
  // The host agent's key: register and heartbeat as the agent the key names, and report its
  // health-check transitions as alerts, take its own commands and answer them, and report the
  // files its pipeline watches and uploads.
  agent: ['agent:register', 'alert:ingest', 'agent:commands', 'files:report'],
};

/** What each role is for, in one line (shown in docs/security/roles.md). */
export const ROLE_PURPOSE: Record<Role, string> = {
  admin: 'manages users, API keys and everything else',
  operator:
    'runs the alerting: acts on alerts, edits silences, rules and notifications, manages agents and sends them commands, manages releases and approves deploys, manages data sources and alerting rules, and the file pipeline (actions, routes, tasks)',
  viewer:
    'reads alerts, silences, rules, notifications, agents, commands, releases, data sources (and queries them), alerting rules and the file pipeline; changes nothing',
  ingest: 'an API key for a sender (Alertmanager, vmalert): pushes alerts and nothing else',
  agent:
    "the host agent's API key: registers and heartbeats as itself, reports health as alerts, takes and answers its own commands, reports its watched files",
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}
