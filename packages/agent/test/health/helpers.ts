import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readStat } from '../../src/proc/stat.ts';
import { type Check, CheckSpec } from '../../src/spec.ts';

/** A check as agent.yaml would give it, defaults filled in. */
export function check(fields: Record<string, unknown>): Check {
  return CheckSpec.parse({ name: 'c', ...fields });
}

export function listen(server: Server | import('node:net').Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function close(server: Server | import('node:net').Server): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True while the process runs (a zombie has exited: it only waits to be reaped). */
export function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

export const signal = () => new AbortController().signal;
