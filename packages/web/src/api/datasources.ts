/**
 * Data sources (docs/rules.md): Prometheus, VictoriaMetrics and Alertmanager endpoints, their
 * connection test, metric and label browsing and query previews. Bodies use the server's
 * snake_case names, answers are camelCase; credentials are write-only.
 */
import { api } from './client.ts';

const D = '/api/v1/datasources';
const id = encodeURIComponent;

export const DATASOURCE_KINDS = ['prometheus', 'victoriametrics', 'alertmanager'] as const;
export type DatasourceKind = (typeof DATASOURCE_KINDS)[number];
export type AuthType = 'none' | 'basic' | 'bearer';

export interface Datasource {
  id: string;
  name: string;
  kind: DatasourceKind;
  url: string;
  authType: AuthType;
  username: string;
  hasSecret: boolean;
  tls: { hasCa: boolean; insecureSkipVerify: boolean; serverName: string };
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface DatasourceBody {
  name: string;
  kind: DatasourceKind;
  url: string;
  auth:
    | { type: 'none' }
    | { type: 'basic'; username: string; password?: string }
    | { type: 'bearer'; token?: string };
  tls: { ca?: string; insecure_skip_verify: boolean; server_name?: string };
  labels: Record<string, string>;
}

export interface TestAnswer {
  ok: boolean;
  version?: string;
  error?: string;
  ms: number;
}

/** One series of an instant (`value`) or range (`values`) answer; values are strings, as Prometheus sends. */
export interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface QueryAnswer {
  resultType: 'matrix' | 'vector' | 'scalar' | 'string';
  result: Sample[] | [number, string];
}

export const listDatasources = (signal?: AbortSignal) => api<{ items: Datasource[] }>(D, { signal });
export const getDatasource = (dsId: string, signal?: AbortSignal) =>
  api<Datasource>(`${D}/${id(dsId)}`, { signal });
export const createDatasource = (body: DatasourceBody) => api<Datasource>(D, { body });
export const updateDatasource = (dsId: string, body: DatasourceBody) =>
  api<Datasource>(`${D}/${id(dsId)}`, { method: 'PUT', body });
export const deleteDatasource = (dsId: string) => api<void>(`${D}/${id(dsId)}`, { method: 'DELETE' });
export const testDatasource = (dsId: string) => api<TestAnswer>(`${D}/${id(dsId)}/test`, { method: 'POST' });

export const metricNames = (dsId: string, signal?: AbortSignal) =>
  api<{ items: string[] }>(`${D}/${id(dsId)}/metrics`, { signal });
export const labelNames = (dsId: string, match: string, signal?: AbortSignal) =>
  api<{ items: string[] }>(`${D}/${id(dsId)}/labels`, { query: { match }, signal });
export const labelValues = (dsId: string, name: string, match: string, signal?: AbortSignal) =>
  api<{ items: string[] }>(`${D}/${id(dsId)}/labels/${id(name)}/values`, { query: { match }, signal });

export const instantQuery = (dsId: string, query: string, signal?: AbortSignal) =>
  api<QueryAnswer>(`${D}/${id(dsId)}/query`, { body: { query }, signal });
export const rangeQuery = (
  dsId: string,
  body: { query: string; start: string; end: string; step: string },
  signal?: AbortSignal,
) => api<QueryAnswer>(`${D}/${id(dsId)}/query_range`, { body, signal });
