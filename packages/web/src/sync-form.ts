/** The sync target form: its fields, the body they become for each kind, and where a refusal belongs. */
import type { FieldProblem } from './api/client.ts';
import type { SyncKind, SyncTarget, SyncTargetBody } from './api/sync-targets.ts';

export interface SyncTargetValues {
  name: string;
  kind: SyncKind;
  agentId: string | undefined;
  /** Prometheus and vmalert: the data source whose rule groups they load. */
  datasourceId: string | undefined;
  /** Alertmanager: the operator's alertmanager.yml, opsfleet's receiver is merged into it. */
  baseConfig: string;
  webhookUrl: string;
  passwordFile: string;
}

/** The smallest base Alertmanager accepts: a route with a receiver. */
export const STARTER_BASE_CONFIG = 'route:\n  receiver: default\nreceivers:\n  - name: default\n';

export const WEBHOOK_PATH = '/api/v1/webhooks/alertmanager';

export const isRulesKind = (kind: SyncKind) => kind !== 'alertmanager';

/**
 * A stored target's fields, or a new one's: a new Alertmanager target starts from the smallest
 * base and the server's webhook at `origin` (the console's own address, which the peer often
 * reaches too).
 */
export function syncTargetValues(t: SyncTarget | undefined, origin: string): SyncTargetValues {
  return {
    name: t?.name ?? '',
    kind: t?.kind ?? 'prometheus',
    agentId: t?.agentId ?? undefined,
    datasourceId: t?.datasourceId ?? undefined,
    baseConfig: t ? t.baseConfig : STARTER_BASE_CONFIG,
    webhookUrl: t ? t.webhookUrl : `${origin}${WEBHOOK_PATH}`,
    passwordFile: t?.passwordFile ?? '',
  };
}

/**
 * The body to send: a rules target sends its data source and no Alertmanager settings, an
 * Alertmanager target the reverse, so a kind changed in the form leaves nothing of the old one.
 */
export function syncTargetBody(v: SyncTargetValues): SyncTargetBody {
  const rules = isRulesKind(v.kind);
  return {
    name: (v.name ?? '').trim(),
    kind: v.kind,
    agent_id: v.agentId ?? null,
    datasource_id: rules ? (v.datasourceId ?? null) : null,
    base_config: rules ? '' : (v.baseConfig ?? ''),
    webhook_url: rules ? '' : (v.webhookUrl ?? '').trim(),
    password_file: rules ? '' : (v.passwordFile ?? '').trim(),
  };
}

const FIELDS: Record<string, keyof SyncTargetValues> = {
  'body.name': 'name',
  'body.kind': 'kind',
  'body.agent_id': 'agentId',
  'body.datasource_id': 'datasourceId',
  'body.base_config': 'baseConfig',
  'body.webhook_url': 'webhookUrl',
  'body.password_file': 'passwordFile',
};

/** The server's field problems as errors on the form's fields; problems of no field are left out. */
export function syncFieldErrors(
  problems: FieldProblem[],
): { name: keyof SyncTargetValues; errors: string[] }[] {
  const byField = new Map<keyof SyncTargetValues, string[]>();
  for (const p of problems) {
    const field = FIELDS[p.path];
    if (field) byField.set(field, [...(byField.get(field) ?? []), p.message]);
  }
  return [...byField].map(([name, errors]) => ({ name, errors }));
}
