import { connect } from 'node:net';
import type { Check } from '../../spec.ts';
import { timedOutText } from '../exec.ts';
import { describeError } from '../output.ts';
import { type Checker, type CheckResult, elapsed } from './checker.ts';

/** Passing when a TCP connection to host:port opens within the timeout; it is closed at once. */
export const tcpChecker: Checker = {
  type: 'tcp',
  run(check: Check, _ctx, signal): Promise<CheckResult> {
    const tcp = check.tcp;
    if (!tcp) return Promise.resolve({ status: 'critical', output: 'no tcp: settings', ms: 0 });
    const where = `TCP connect ${tcp.host}:${tcp.port}`;
    const started = performance.now();
    return new Promise((resolve) => {
      const socket = connect({ host: tcp.host, port: tcp.port });
      const done = (result: Omit<CheckResult, 'ms'>) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve({ ...result, ms: elapsed(started) });
      };
      const timer = setTimeout(
        () => done({ status: 'critical', output: `${where}: ${timedOutText(check.timeout)}` }),
        check.timeout,
      );
      const onAbort = () => done({ status: 'critical', output: `${where}: cancelled` });
      socket.once('connect', () => done({ status: 'passing', output: `${where}: success` }));
      socket.once('error', (err) => done({ status: 'critical', output: `${where}: ${describeError(err)}` }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};
