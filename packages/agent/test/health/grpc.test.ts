import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcChecker } from '../../src/health/checkers/grpc.ts';
import { check, signal } from './helpers.ts';

let server: grpc.Server;
let health: HealthImplementation;
let address: string;

beforeAll(async () => {
  server = new grpc.Server();
  health = new HealthImplementation({ '': 'SERVING', 'opsfleet.Orders': 'SERVING' });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  address = `127.0.0.1:${port}`;
});
afterAll(() => server.forceShutdown());

const run = (service: string, addr = address, timeout = '1s') =>
  grpcChecker.run(check({ type: 'grpc', timeout, grpc: { address: addr, service } }), {}, signal());

describe('grpc checker (grpc.health.v1)', () => {
  it('SERVING passes, NOT_SERVING and UNKNOWN are critical', async () => {
    expect(await run('opsfleet.Orders')).toMatchObject({
      status: 'passing',
      output: `gRPC health ${address} service "opsfleet.Orders": SERVING`,
    });
    health.setStatus('opsfleet.Orders', 'NOT_SERVING');
    expect(await run('opsfleet.Orders')).toMatchObject({
      status: 'critical',
      output: `gRPC health ${address} service "opsfleet.Orders": NOT_SERVING`,
    });
    health.setStatus('opsfleet.Orders', 'UNKNOWN');
    expect((await run('opsfleet.Orders')).status).toBe('critical');
    health.setStatus('opsfleet.Orders', 'SERVING');
    expect((await run('opsfleet.Orders')).status).toBe('passing');
  });

  it('the empty service name asks about the whole server', async () => {
    expect(await run('')).toMatchObject({ status: 'passing', output: `gRPC health ${address}: SERVING` });
  });

  it('a service the server does not know is critical, SERVICE_UNKNOWN', async () => {
    const r = await run('opsfleet.Nope');
    expect(r.status).toBe('critical');
    expect(r.output).toMatch(/: SERVICE_UNKNOWN \(Health status unknown for service opsfleet\.Nope\)$/);
  });

  it('no server is critical within the deadline', async () => {
    const probe = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      probe.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    probe.forceShutdown();
    const started = Date.now();
    const r = await run('', `127.0.0.1:${port}`, '500ms');
    expect(r.status).toBe('critical');
    expect(r.output).toMatch(/^gRPC health 127\.0\.0\.1:\d+: (UNAVAILABLE|timed out after 500ms)/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a server that does not answer is critical at the deadline', async () => {
    const mute = new grpc.Server();
    mute.addService(healthService, { check: () => {}, watch: () => {} });
    const port = await new Promise<number>((resolve, reject) =>
      mute.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    try {
      const r = await run('', `127.0.0.1:${port}`, '300ms');
      expect(r).toMatchObject({
        status: 'critical',
        output: `gRPC health 127.0.0.1:${port}: timed out after 300ms`,
      });
      expect(r.ms).toBeLessThan(1000);
    } finally {
      mute.forceShutdown();
    }
  });
});
