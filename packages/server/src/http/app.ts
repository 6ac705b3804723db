import { createHash, timingSafeEqual } from 'node:crypto';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { DiffTooLong } from '@opsfleet/core';
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
import { badInputIn } from './input.ts';
import { loggableError } from './log-error.ts';
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
  /**
   * `REQUEST_TIMEOUT`: how long a client may take to send a whole request, headers and body
   * (default 30 s); one that drips its body slower is answered 408 and disconnected.
   */
  requestTimeoutMs?: number;
  /** `METRICS_AUTH`: credentials `/metrics` asks for; open when left out. */
  metricsAuth?: MetricsAuth;
}

export type MetricsAuth = { basic: { username: string; password: string } } | { bearer: string };

/**
 * The credential of every operation that needs one, in the forms `credentialOf` reads. Set on
 * each route from its `config.permission`, the same field that enforces it, so the document
 * cannot say a route is public while it is not.
 */
const AUTHENTICATED: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }, { basicApiKey: [] }];

/**
 * The console is built by vite into same-origin files: no inline scripts and no other origin.
 * antd and Swagger UI set inline styles, so styles alone allow 'unsafe-inline'. No
 * upgrade-insecure-requests: the demo and loopback installs are plain http.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const PROBLEM = 'application/problem+json';

/**
 * The HTTP shell shared by every domain: zod schemas validate requests and document them at
 * /api/docs, every error is problem+json, and the operational endpoints answer.
 */
export async function buildApp(opts: AppOptions): Promise<App> {
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    loggerInstance: opts.logger,
    // Per-request lines would dominate the log at webhook rates; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 5 * 1024 * 1024,
    requestTimeout,
    http: {
      // Node looks for overdue requests only this often (30 s by default), which would let a
      // dripping client hold its connection far past the timeout.
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
      // Node enforces no request timeout at all while the headers timeout (60 s) exceeds it.
      headersTimeout: Math.min(60_000, requestTimeout),
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide) return;
    route.schema = { ...route.schema, security: route.config?.permission ? AUTHENTICATED : [] };
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    // TLS ends at the operator's load balancer; the header is only honoured over https, and
    // must not reach the operator's other subdomains.
    strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'opsfleet server', version: opts.version },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an access token, or an API key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          basicApiKey: {
            type: 'http',
            scheme: 'basic',
            description: 'user `api_key`, password an API key (what Alertmanager and vmalert send)',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  // PostgreSQL refuses NUL in text and jsonb, and unpaired surrogates cannot be stored as
  // UTF-8: refused here, for every route, rather than as a failed query.
  app.addHook('preValidation', async (req) => {
    const bad = badInputIn({ params: req.params, querystring: req.query, body: req.body });
    if (bad) throw new Problem(400, 'Bad Request', `${bad.path}: ${bad.message}`, [bad]);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    // The query string may hold a secret or a megabyte; the path names the resource.
    const instance = req.url.split('?')[0];
    if (err instanceof Problem) return reply.code(err.status).type(PROBLEM).send(err.body(instance));
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message ?? 'invalid',
      }));
      const detail = `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
      return reply
        .code(400)
        .type(PROBLEM)
        .send(new Problem(400, 'Bad Request', detail, errors).body(instance));
    }
    if (err instanceof DiffTooLong)
      return reply
        .code(422)
        .type(PROBLEM)
        .send(
          new Problem(
            422,
            'Unprocessable Content',
            `${err.message}: read the two versions and compare them outside opsfleet`,
          ).body(instance),
        );
    // A rename onto a name in use: the unique index answers, whichever table it is.
    if (((err as { cause?: { code?: string } }).cause?.code ?? err.code) === '23505')
      return reply
        .code(409)
        .type(PROBLEM)
        .send(conflictProblem('the name is in use already; pick another').body(instance));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // The URL's query and a failed query's parameters may hold a secret or a megabyte.
    if (status === 500)
      req.log.error({ err: loggableError(err), route: req.routeOptions.url ?? null }, 'request failed');
    const detail = status === 500 ? 'The server failed to handle the request; see its log.' : err.message;
    return reply
      .code(status)
      .type(PROBLEM)
      .send(
        new Problem(status, status === 500 ? 'Internal Server Error' : (err.code ?? 'Error'), detail).body(
          instance,
        ),
      );
  });
  if (opts.consoleDir)
    await app.register(fastifyStatic, { root: opts.consoleDir, prefix: '/', wildcard: false });
  app.setNotFoundHandler((req, reply) => {
    // The console routes in the browser: any other page path gets its index.html.
    if (opts.consoleDir && req.method === 'GET' && !req.url.startsWith('/api/'))
      return reply.type('text/html').sendFile('index.html');
    const path = req.url.split('?')[0];
    return reply
      .code(404)
      .type(PROBLEM)
      .send(new Problem(404, 'Not Found', `no route ${req.method} ${path}`).body(path));
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await opts.ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready' });
  });
  const metricsAllowed = opts.metricsAuth ? credentialCheck(opts.metricsAuth) : () => true;
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!metricsAllowed(req.headers.authorization))
      return reply
        .code(401)
        .header(
          'www-authenticate',
          opts.metricsAuth && 'basic' in opts.metricsAuth ? 'Basic realm="metrics"' : 'Bearer',
        )
        .type(PROBLEM)
        .send(
          new Problem(
            401,
            'Unauthorized',
            'send the credentials METRICS_AUTH names (see docs/security/http.md)',
          ).body('/metrics'),
        );
    return reply.type(opts.registry.contentType).send(await opts.registry.metrics());
  });
  return app;
}

/** Compared as digests in constant time, so neither the length nor a prefix leaks by timing. */
function credentialCheck(auth: MetricsAuth): (header: string | undefined) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(
    'basic' in auth
      ? `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`
      : `Bearer ${auth.bearer}`,
  );
  return (header) => header !== undefined && timingSafeEqual(digest(header.trim()), expected);
}
