import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './backends.ts';
import { type TestServer, testServer } from './test-server.ts';

/**
 * The API document is what integrators and security reviewers read: every operation says which
 * credential it takes (or `[]` for the few public ones) and what a success looks like.
 */
const [backend] = await backends();

/** Operations anyone may call: signing in needs no credential. */
const PUBLIC = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/reset',
]);

interface Operation {
  security?: Record<string, string[]>[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }>; description?: string }>;
}

describe('the OpenAPI document', () => {
  let t: TestServer;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: object } };
  beforeAll(async () => {
    t = await testServer(backend!);
    doc = (await t.s.app.inject({ url: '/api/docs/json' })).json();
  }, 60_000);
  afterAll(() => t.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );

  it('documents a credential for every operation but the public ones, and only known schemes', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    const wrong = operations().flatMap(({ name, op }) => {
      if (!Array.isArray(op.security)) return [`${name}: no security`];
      const open = op.security.length === 0;
      if (open !== PUBLIC.has(name.replace(/\{(\w+)\}/g, ':$1')))
        return [
          `${name}: ${open ? 'public but not one of the sign-in routes' : 'needs a credential but is a sign-in route'}`,
        ];
      const unknown = op.security.flatMap(Object.keys).filter((s) => !schemes.includes(s));
      return unknown.length ? [`${name}: unknown schemes ${unknown.join(', ')}`] : [];
    });
    expect(operations().length).toBeGreaterThan(30);
    expect(wrong).toEqual([]);
  });

  it('matches what the server enforces: a documented credential is asked for', async () => {
    const unguarded: string[] = [];
    for (const { name, op } of operations()) {
      if (!op.security?.length) continue;
      const [method, path] = name.split(' ') as [string, string];
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-0000-0000-000000000000');
      const res = await t.s.app.inject({
        method: method as 'GET',
        url,
        payload: method === 'GET' ? undefined : {},
      });
      if (res.statusCode !== 401) unguarded.push(`${name}: ${res.statusCode}`);
    }
    expect(unguarded).toEqual([]);
  });

  it('documents the body of every 2xx answer', () => {
    const missing = operations().flatMap(({ name, op }) => {
      const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2/.test(code));
      if (ok.length === 0) return [`${name}: no 2xx response`];
      return ok
        .filter(([code, r]) => code !== '204' && !Object.values(r.content ?? {}).some((c) => c.schema))
        .map(([code]) => `${name}: ${code} without a schema`);
    });
    expect(missing).toEqual([]);
  });
});
