import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { conflict as conflictProblem, Problem } from './problem.ts';

export type App = FastifyInstance<
  // biome-ignore lint/suspicious/noExplicitAny: server types are fastify's defaults
  any,
  // biome-ignore lint/suspicious/noExplicitAny: same
  any,
  // biome-ignore lint/suspicious/noExplicitAny: same
  any,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface AppOptions {
  logger: FastifyBaseLogger;
  version: string;
  registry: Registry;
  /** Readiness: the database answers and start-up work is done. */
  ready: () => Promise<boolean>;
  /** The built console (packages/web/dist), served at `/` when present. */
  consoleDir?: string;
}

const PROBLEM = 'application/problem+json';

/**
 * The HTTP shell shared by every domain: zod schemas validate requests and document them at
 * /api/docs, every error is problem+json, and the operational endpoints answer.
 */
export async function buildApp(opts: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.logger,
    // Per-request lines would dominate the log at webhook rates; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 5 * 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      info: { title: 'opsfleet server', version: opts.version },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof Problem) return reply.code(err.status).type(PROBLEM).send(err.body(req.url));
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message ?? 'invalid',
      }));
      const detail = `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
      return reply
        .code(400)
        .type(PROBLEM)
        .send(new Problem(400, 'Bad Request', detail, errors).body(req.url));
    }
    // A rename onto a name in use: the unique index answers, whichever table it is.
    if (((err as { cause?: { code?: string } }).cause?.code ?? err.code) === '23505')
      return reply
        .code(409)
        .type(PROBLEM)
        .send(conflictProblem('the name is in use already; pick another').body(req.url));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err, url: req.url }, 'request failed');
    const detail = status === 500 ? 'The server failed to handle the request; see its log.' : err.message;
    return reply
      .code(status)
      .type(PROBLEM)
      .send(
        new Problem(status, status === 500 ? 'Internal Server Error' : (err.code ?? 'Error'), detail).body(
          req.url,
        ),
      );
  });
  if (opts.consoleDir)
    await app.register(fastifyStatic, { root: opts.consoleDir, prefix: '/', wildcard: false });
  app.setNotFoundHandler((req, reply) => {
    // The console routes in the browser: any other page path gets its index.html.
    if (opts.consoleDir && req.method === 'GET' && !req.url.startsWith('/api/'))
      return reply.type('text/html').sendFile('index.html');
    return reply
      .code(404)
      .type(PROBLEM)
      .send(new Problem(404, 'Not Found', `no route ${req.method} ${req.url.split('?')[0]}`).body(req.url));
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await opts.ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready' });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(opts.registry.contentType).send(await opts.registry.metrics()),
  );
  return app;
}
