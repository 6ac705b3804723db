/** The data source form: its fields, the request body they become, and where a refusal belongs. */
import type { FieldProblem } from './api/client.ts';
import type { AuthType, Datasource, DatasourceBody, DatasourceKind } from './api/datasources.ts';
import { labelsText, parseLabels } from './release-forms.ts';

export interface DatasourceValues {
  name: string;
  kind: DatasourceKind;
  url: string;
  authType: AuthType;
  username: string;
  /** Write-only: empty keeps the stored one (the server asks again when the URL moved). */
  password: string;
  token: string;
  /** Write-only like a secret: empty keeps the stored CA. */
  ca: string;
  insecureSkipVerify: boolean;
  serverName: string;
  labels: string;
}

export function datasourceValues(ds: Datasource | undefined): DatasourceValues {
  return {
    name: ds?.name ?? '',
    kind: ds?.kind ?? 'prometheus',
    url: ds?.url ?? '',
    authType: ds?.authType ?? 'none',
    username: ds?.username ?? '',
    password: '',
    token: '',
    ca: '',
    insecureSkipVerify: ds?.tls.insecureSkipVerify ?? false,
    serverName: ds?.tls.serverName ?? '',
    labels: ds ? labelsText(ds.labels) : '',
  };
}

/** The body to send, or what is wrong with the labels text. */
export function datasourceBody(v: DatasourceValues): { body: DatasourceBody } | { error: string } {
  const parsed = parseLabels(v.labels ?? '');
  if ('error' in parsed) return { error: `labels: ${parsed.error}` };
  const password = v.password ?? '';
  const token = v.token ?? '';
  const auth: DatasourceBody['auth'] =
    v.authType === 'basic'
      ? { type: 'basic', username: v.username.trim(), ...(password ? { password } : {}) }
      : v.authType === 'bearer'
        ? { type: 'bearer', ...(token ? { token } : {}) }
        : { type: 'none' };
  const ca = (v.ca ?? '').trim();
  const serverName = (v.serverName ?? '').trim();
  return {
    body: {
      name: v.name.trim(),
      kind: v.kind,
      url: v.url.trim(),
      auth,
      tls: {
        ...(ca ? { ca } : {}),
        insecure_skip_verify: v.insecureSkipVerify,
        ...(serverName ? { server_name: serverName } : {}),
      },
      labels: parsed.labels,
    },
  };
}

const FIELDS: Record<string, keyof DatasourceValues> = {
  'body.name': 'name',
  'body.kind': 'kind',
  'body.url': 'url',
  'body.auth.username': 'username',
  'body.password': 'password',
  'body.auth.password': 'password',
  'body.token': 'token',
  'body.auth.token': 'token',
  'body.tls.ca': 'ca',
  'body.tls.server_name': 'serverName',
  'body.labels': 'labels',
};

/** The server's field problems as errors on the form's own fields; problems of no field are left out. */
export function fieldErrors(problems: FieldProblem[]): { name: keyof DatasourceValues; errors: string[] }[] {
  const byField = new Map<keyof DatasourceValues, string[]>();
  for (const p of problems) {
    const field = FIELDS[p.path];
    if (field) byField.set(field, [...(byField.get(field) ?? []), p.message]);
  }
  return [...byField].map(([name, errors]) => ({ name, errors }));
}
