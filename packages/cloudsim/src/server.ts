import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from '@opsfleet/core';
import { type SimOptions, SimState } from './sim-state.ts';
import type { SimCloud, SimWorld } from './world.ts';

export interface SimRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
  /** Hold the connection this long, then destroy it (the `timeout` fault). */
  hangMs?: number;
}

/** One cloud's simulator: parses the request, verifies its signature, and answers in the cloud's shapes. */
export type CloudHandler = (req: SimRequest, state: SimState) => Promise<SimResponse>;

export interface Cloudsim {
  state: SimState;
  /** Base URL per started cloud, e.g. `{ aliyun: 'http://127.0.0.1:40123' }`. */
  endpoints: Partial<Record<SimCloud, string>>;
  close(): Promise<void>;
}

export interface StartOptions {
  world: SimWorld;
  options?: SimOptions;
  /** Clouds to serve with their handlers, and the port for each (0 = any free port). */
  clouds: Partial<Record<SimCloud, { handler: CloudHandler; port?: number }>>;
  host?: string;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The `/_sim/*` control API on every port: inspect calls, inject faults, set values. */
async function control(req: SimRequest, state: SimState): Promise<SimResponse> {
  const json = (status: number, value: unknown): SimResponse => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  const body = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  switch (`${req.method} ${req.url.pathname}`) {
    case 'GET /_sim/calls':
      return json(200, { counts: state.countByAction(), total: state.calls.length });
    case 'POST /_sim/faults':
      state.inject(body);
      return json(200, { ok: true });
    case 'POST /_sim/metrics':
      state.values.set(body, body.value ?? null);
      return json(200, { ok: true });
    case 'POST /_sim/reset':
      state.resetCalls();
      state.clearFaults();
      state.values.clear();
      return json(200, { ok: true });
    case 'GET /_sim/world':
      return json(200, { resources: state.world.resources.length, accounts: state.world.accounts.length });
    default:
      return json(404, { error: 'unknown control path' });
  }
}

export async function startCloudsim(opts: StartOptions): Promise<Cloudsim> {
  const state = new SimState(opts.world, opts.options);
  const host = opts.host ?? '127.0.0.1';
  const servers: Server[] = [];
  const endpoints: Partial<Record<SimCloud, string>> = {};
  for (const [cloud, spec] of Object.entries(opts.clouds) as [
    SimCloud,
    { handler: CloudHandler; port?: number },
  ][]) {
    const server = createServer(async (req, res) => {
      try {
        const body = await readBody(req);
        const simReq: SimRequest = {
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', `http://${req.headers.host ?? host}`),
          headers: req.headers,
          body,
        };
        const isControl = simReq.url.pathname.startsWith('/_sim/');
        if (!isControl && state.options.latencyMs) await sleep(state.options.latencyMs);
        const out = isControl ? await control(simReq, state) : await spec.handler(simReq, state);
        if (out.hangMs !== undefined) {
          setTimeout(() => req.socket.destroy(), out.hangMs);
          return;
        }
        res.writeHead(out.status, out.headers);
        res.end(out.body);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`cloudsim internal error: ${(err as Error).message}`);
      }
    });
    await new Promise<void>((resolve) => server.listen(spec.port ?? 0, host, resolve));
    servers.push(server);
    endpoints[cloud] = `http://${host}:${(server.address() as AddressInfo).port}`;
  }
  return {
    state,
    endpoints,
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}
