import { applyTree, parseTree } from './json.ts';

/** An answer in Jenkins's forms: Jetty's HTML error page, Stapler's JSON, redirects. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** An error's message, for the trigger record. */
  message?: string;
}

export const html = (status: number, message: string, uri: string): Reply => ({
  status,
  message,
  headers: { 'content-type': 'text/html;charset=iso-8859-1' },
  body:
    `<html><head><meta http-equiv="Content-Type" content="text/html;charset=utf-8"/><title>Error ${status} ${message}</title></head>` +
    `<body><h2>HTTP ERROR ${status} ${message}</h2><table><tr><th>URI:</th><td>${uri}</td></tr>` +
    `<tr><th>STATUS:</th><td>${status}</td></tr><tr><th>MESSAGE:</th><td>${message}</td></tr>` +
    '<tr><th>SERVLET:</th><td>Stapler</td></tr></table></body></html>',
});

export const json = (value: unknown, tree?: string | null): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/json;charset=utf-8' },
  body: JSON.stringify(tree ? applyTree(value, parseTree(tree)) : value),
});

export const withHeaders = (r: Reply, headers: Record<string, string>): Reply => ({
  ...r,
  headers: { ...r.headers, ...headers },
});

export const redirect = (status: number, location: string): Reply => ({
  status,
  headers: { location },
  body: '',
});

/** Jenkins's `TimeDuration`: `10`, `10sec`, `500ms`, `2min`; a bare number is seconds. */
export function parseDelay(s: string | null): number | undefined {
  const m = s?.trim().match(/^(\d+)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?$/i);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'sec').toLowerCase();
  return unit.startsWith('ms') || unit.startsWith('milli') ? n : unit.startsWith('m') ? n * 60_000 : n * 1000;
}
