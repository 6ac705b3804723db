import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { alertRoutes } from './alerts/routes.ts';
import { AlertService } from './alerts/service.ts';
import type { Database } from './db/database.ts';
import { type App, buildApp } from './http/app.ts';

export interface ServerOptions {
  database: Database;
  log: Logger;
  version?: string;
}

export interface Server {
  app: App;
  alerts: AlertService;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** The control plane: every domain's routes on one app over one database. */
export async function createServer(opts: ServerOptions): Promise<Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { db } = opts.database;
  const app = await buildApp({
    logger: opts.log as unknown as FastifyBaseLogger,
    version: opts.version ?? '0.1.0',
    registry,
    ready: async () => {
      await db.execute(sql`SELECT 1`);
      return true;
    },
  });
  const alerts = new AlertService(db);
  alertRoutes(app, alerts, () => 'anonymous');
  return {
    app,
    alerts,
    listen: (port, host = '0.0.0.0') => app.listen({ port, host }),
    close: async () => {
      await app.close();
      await opts.database.close();
    },
  };
}
