import { silentLogger } from '@opsfleet/core';
import { type Database, openDatabase } from '../src/db/database.ts';
import { createServer, type Server, type ServerOptions } from '../src/server.ts';
import type { Backend } from './backends.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field
type Answer = any;

export interface TestServer {
  s: Server;
  database: Database;
  /** An admin's API call: status and parsed body. */
  api(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ): Promise<{ status: number; body: Answer }>;
  close(): Promise<void>;
}

/** A server on a fresh database of `backend`, logged in as admin; no job runner unless asked. */
export async function testServer(backend: Backend, opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const target = await backend.fresh();
  const database = await openDatabase({ url: target.url, dataDir: target.dataDir });
  const s = await createServer({
    database,
    log: silentLogger(),
    adminPassword: 'admin-password-1',
    housekeepingMs: 0,
    // Tests deliver to receivers on loopback, which a production server refuses by default.
    outboundAllow: ['127.0.0.1/32'],
    ...opts,
  });
  const { accessToken } = await s.identity.login('admin', 'admin-password-1');
  const headers = { authorization: `Bearer ${accessToken}` };
  return {
    s,
    database,
    api: async (method, url, payload) => {
      const res = await s.app.inject({
        method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      return { status: res.statusCode, body: res.body ? res.json() : undefined };
    },
    close: async () => {
      await s.close();
      await target.drop();
    },
  };
}
