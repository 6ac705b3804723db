import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@opsfleet/core/testing';
import { afterEach } from 'vitest';
import { readStat } from '../../src/proc/stat.ts';
import { type Service, ServiceSpec, type ServiceStatus } from '../../src/spec.ts';
import { logPath } from '../../src/supervisor/direct.ts';
import { Supervisor, type SupervisorOptions } from '../../src/supervisor/supervisor.ts';

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** A service as agent.yaml would give it (defaults filled in), running `node <fixture> ...args`. */
export function svc(
  name: string,
  script: string,
  args: string[] = [],
  fields: Record<string, unknown> = {},
): Service {
  return ServiceSpec.parse({ name, command: process.execPath, args: [fixture(script), ...args], ...fields });
}

/** Fast restarts without jitter, so tests wait little and can compute the delays. */
export const quick = {
  initialDelay: '100ms',
  maxDelay: '1s',
  multiplier: 2,
  jitter: 0,
  stableAfter: '30s',
  maxRestarts: 5,
  window: '30s',
  fatalCooldown: '1s',
};

/**
 * True while the process runs. A zombie has ended and only waits to be reaped — in this
 * sandbox PID 1 never reaps orphans, so `process.kill(pid, 0)` alone would call them alive.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

export function readLog(dataDir: string, name: string): string {
  try {
    return readFileSync(logPath(dataDir, name), 'utf8');
  } catch {
    return '';
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh data folder, removed after the test. */
export function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsfleet-sup-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Kills the pid after the test if it still runs (processes a test detached on purpose). */
export function reap(pid: number | undefined): void {
  if (pid)
    cleanups.push(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    });
}

export interface Recorded {
  at: number;
  status: ServiceStatus;
}

/** A supervisor closed after the test, with every status change recorded. */
export function supervisor(opts: Partial<SupervisorOptions> & { dataDir: string }): {
  sup: Supervisor;
  events: Recorded[];
  of: (name: string) => Recorded[];
} {
  const sup = new Supervisor({ random: () => 0, pollInterval: 100, killWait: 3000, ...opts });
  const events: Recorded[] = [];
  sup.onChange((status) => events.push({ at: Date.now(), status }));
  cleanups.push(() => sup.close().catch(() => {}));
  return { sup, events, of: (name) => events.filter((e) => e.status.name === name) };
}

/** Waits until the service is in `state` (and `extra` holds); its status. */
export function waitState(
  sup: Supervisor,
  name: string,
  state: ServiceStatus['state'],
  extra: (s: ServiceStatus) => boolean = () => true,
  timeoutMs?: number,
): Promise<ServiceStatus> {
  return eventually(
    () => `${name} to be ${state} (it is ${JSON.stringify(sup.get(name))})`,
    () => {
      const s = sup.get(name);
      return s && s.state === state && extra(s) ? s : undefined;
    },
    { timeoutMs },
  );
}
