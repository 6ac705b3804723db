import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/http/list-query.ts';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

/**
 * Hostile input on every route: the OpenAPI document lists each operation with its parameters
 * and body schema, and each query parameter, path parameter and body field gets NUL bytes, lone
 * surrogates, huge values and forged cursors. No answer may be a 5xx: PostgreSQL refuses NUL and
 * invalid Unicode, and a value that reaches it is a 500 unless something refused it first.
 */
const all = await backends();

const HUGE = 'x'.repeat(1024 * 1024);
const UNSTORABLE = ['a\u0000b', '\u0000', 'x\uD800', '\uDC00y'];
const TEXT = [
  ...UNSTORABLE,
  HUGE,
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  '-1',
  '1e309',
  '2026-13-45T99:99:99Z',
];
const CURSORS = [
  'nope',
  '!!!',
  Buffer.from('[1,2]').toString('base64url'),
  encodeCursor('\u0000', '\u0000'),
  encodeCursor('2026-01-01T00:00:00.000000Z', '\uD800'),
  encodeCursor('2026-01-01T00:00:00.000000Z', 'not-a-uuid'),
  encodeCursor('9999-99-99', '1'),
  encodeCursor('x'.repeat(5000), 'y'),
  Buffer.from(JSON.stringify(['a', 'b', 'c'])).toString('base64url'),
];
/** Path segments as a client would percent-encode them, and ones no client would. */
const SEGMENTS = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%C0%AF',
  '%FF',
  '%F0%9F%94%A5',
  'x'.repeat(5000),
  '..%2F..',
  '-1',
];

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  const?: unknown;
  additionalProperties?: Schema | boolean;
};

/** A small value the schema accepts, so that a bad value in one field is the only problem. */
function sample(s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return 'x';
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return sample(alt.find((a) => a.type !== 'null') ?? alt[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v, depth + 1)]),
      );
    case 'array':
      return [sample(s.items, depth + 1)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      return 'x';
  }
}

/** Every place in `value` a string sits, as key paths. */
function stringPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...at, i]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...at, k]));
  return [];
}

function replaced(value: unknown, path: (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  copy[head] = replaced(copy[head], rest, by);
  return copy;
}

/** The ingestion endpoints take `unknown` bodies; these are their documented shapes. */
const INGEST_BODIES: Record<string, unknown> = {
  '/api/v1/webhooks/alertmanager': {
    version: '4',
    status: 'firing',
    groupLabels: { alertname: 'A' },
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'A', host: 'h' },
        annotations: { summary: 's' },
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://g',
        fingerprint: 'f',
      },
    ],
  },
  '/api/v2/alerts': [
    {
      labels: { alertname: 'A' },
      annotations: { summary: 's' },
      startsAt: '2026-01-01T00:00:00Z',
      generatorURL: 'g',
    },
  ],
  '/api/v1/webhooks/generic': {
    name: 'A',
    severity: 'critical',
    labels: { host: 'h' },
    annotations: { runbook: 'r' },
    summary: 's',
    startsAt: '2026-01-01T00:00:00Z',
    fingerprint: 'f',
  },
};
INGEST_BODIES['/api/v1/webhooks/vmalert'] = INGEST_BODIES['/api/v2/alerts'];

/** A lone surrogate as a sloppy client encodes it: the three bytes of its CESU-8 form. */
const queryValue = (value: string) =>
  encodeURIComponent(value.replace(/\p{Cs}/gu, '\uFFFD')).replace(/%EF%BF%BD/g, '%ED%A0%80');

/** A body sent as written: JSON.stringify cannot write one nested this deep. */
class Raw {
  constructor(readonly text: string) {}
}

interface Operation {
  parameters?: { in: string; name: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

describe.each(all)('hostile input on every route on $name', (backend) => {
  let t: TestServer;
  let agentKey: string;
  let adminToken: string;
  let ops: { method: string; path: string; op: Operation }[];
  beforeAll(async () => {
    t = await testServer(backend);
    agentKey = (await t.s.identity.createApiKey('admin', 'fuzz-agent', 'agent')).key;
    adminToken = (await t.s.identity.login('admin', 'admin-password-1')).accessToken;
    const doc = (await t.s.app.inject({ url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    // Signing out, and a password change, could end the session the other requests use.
    const last = (path: string) => (/\/auth\/(logout|password)$/.test(path) ? 1 : 0);
    ops = Object.entries(doc.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
      )
      .sort((a, b) => last(a.path) - last(b.path));
  }, 60_000);
  afterAll(() => t.close());

  it('answers no 5xx to any bad query parameter, path parameter or body field', async () => {
    const failures: string[] = [];
    let sent = 0;
    let unauthorized = 0;
    const send = async (method: string, url: string, payload: unknown, what: string) => {
      // The credential each route is meant for: agents register with their own key.
      const credential = /^\/api\/v1\/agents\/(register|heartbeat)/.test(url)
        ? { 'x-api-key': agentKey }
        : { authorization: `Bearer ${adminToken}` };
      const res = await t.s.app.inject({
        method: method as 'POST',
        url,
        headers: { ...credential, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined
          ? {}
          : { payload: payload instanceof Raw ? payload.text : JSON.stringify(payload) }),
      });
      if (res.statusCode === 401) unauthorized++;
      sent++;
      if (res.statusCode >= 500)
        failures.push(`${method} ${url.slice(0, 120)} ${what}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    };

    for (const { method, path, op } of ops) {
      // A stream that accepted its query would never end; its parameters are checked like any other.
      const streaming = path.endsWith('/stream');
      const params = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name);
      const urlOf = (segments: Record<string, string> = {}) =>
        path.replace(
          /\{(\w+)\}/g,
          (_m, name: string) => segments[name] ?? '00000000-0000-0000-0000-000000000001',
        );
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const body = INGEST_BODIES[path] ?? (bodySchema ? sample(bodySchema) : undefined);

      for (const name of pathParams)
        for (const segment of SEGMENTS) await send(method, urlOf({ [name]: segment }), body, `path ${name}`);

      for (const q of params.filter((p) => p.in === 'query')) {
        const values = q.name === 'cursor' ? [...TEXT, ...CURSORS] : TEXT;
        for (const value of values) {
          if (streaming && !UNSTORABLE.includes(value)) continue;
          await send(method, `${urlOf()}?${q.name}=${queryValue(value)}`, body, `query ${q.name}`);
        }
        await send(method, `${urlOf()}?${q.name}=%ED%A0%80&${q.name}=%00`, body, `query ${q.name} raw`);
      }

      if (body === undefined || streaming) continue;
      for (const at of stringPaths(body))
        for (const value of TEXT)
          await send(method, urlOf(), replaced(body, at, value), `body ${at.join('.')}`);
      for (const whole of [
        { 'a\u0000': 'b' },
        { '\uD800': 'b' },
        new Raw(`${'['.repeat(5000)}${']'.repeat(5000)}`),
        Array.from({ length: 2000 }, () => body),
        HUGE,
        null,
        42,
      ])
        await send(method, urlOf(), whole, 'whole body');
      if (body && typeof body === 'object' && !Array.isArray(body))
        for (const key of Object.keys(body))
          await send(method, urlOf(), { ...body, [key]: { nested: 'a\u0000' } }, `body ${key} as object`);
    }
    expect(sent).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
    // Answers refused at the door would prove nothing about the handlers behind it.
    expect(unauthorized).toBeLessThan(sent / 100);
  }, 600_000);
});
