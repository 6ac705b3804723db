import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { Check } from '../../spec.ts';
import { timedOutText } from '../exec.ts';
import { type Checker, type CheckResult, elapsed } from './checker.ts';

/** The standard grpc.health.v1.Health client, built from the proto grpc-health-check ships. */
const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

interface HealthCheckClient extends grpc.Client {
  check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { status?: string }) => void,
  ): grpc.ClientUnaryCall;
}

/**
 * `grpc.health.v1.Health/Check` for `grpc.service` ('' asks about the whole server) on a fresh
 * plaintext channel, with a deadline of the check's timeout (connecting included). SERVING
 * passes; NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN and every call error are critical. A server that
 * does not know the service answers NOT_FOUND, reported as SERVICE_UNKNOWN.
 */
export const grpcChecker: Checker = {
  type: 'grpc',
  run(check: Check, _ctx, signal): Promise<CheckResult> {
    const cfg = check.grpc;
    if (!cfg) return Promise.resolve({ status: 'critical', output: 'no grpc: settings', ms: 0 });
    const where = `gRPC health ${cfg.address}${cfg.service ? ` service ${JSON.stringify(cfg.service)}` : ''}`;
    const started = performance.now();
    const client = new HealthClient(
      cfg.address,
      grpc.credentials.createInsecure(),
    ) as unknown as HealthCheckClient;
    return new Promise<CheckResult>((resolve) => {
      const call = client.check(
        { service: cfg.service },
        new grpc.Metadata(),
        { deadline: Date.now() + check.timeout },
        (err, response) => {
          signal.removeEventListener('abort', onAbort);
          client.close();
          const ms = elapsed(started);
          if (err) {
            const why =
              err.code === grpc.status.DEADLINE_EXCEEDED
                ? timedOutText(check.timeout)
                : err.code === grpc.status.NOT_FOUND
                  ? `SERVICE_UNKNOWN (${err.details})`
                  : err.code === grpc.status.CANCELLED && signal.aborted
                    ? 'cancelled'
                    : `${grpc.status[err.code] ?? err.code}: ${err.details}`;
            resolve({ status: 'critical', output: `${where}: ${why}`, ms });
            return;
          }
          const status = response?.status ?? 'UNKNOWN';
          resolve({
            status: status === 'SERVING' ? 'passing' : 'critical',
            output: `${where}: ${status}`,
            ms,
          });
        },
      );
      const onAbort = () => call.cancel();
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};
