import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Service } from '../spec.ts';
import type { RestartHistory } from './restart-policy.ts';

/**
 * `<dataDir>/state.json`: what a restarted agent needs to keep the promises the last one made:
 * re-adopt the processes it left running instead of starting duplicates, and leave stopped what
 * was stopped on purpose (by request, or ended with the restart policy saying so) instead of
 * starting it again. A process is identified by pid *and* start time (clock ticks after boot,
 * from /proc), so a pid reused by another process is never adopted. Written whole, atomically
 * (temp file + rename), on every change of a service.
 */

export interface SavedService {
  pid: number;
  pgid: number;
  /** /proc/<pid>/stat field 22. */
  startTime: number;
  /** `specHash` of the spec the process was started with. */
  specHash: string;
  /** Automatic restarts so far; the count goes on after an agent restart. */
  restarts: number;
  /** The current restart series, so a crash loop across agent restarts still ends FATAL. */
  history: RestartHistory;
  paused?: boolean;
  /**
   * Descendants seen outside the process group (they called setsid): once their parent dies
   * they are re-parented to init and no walk finds them again, so they are remembered.
   */
  known?: KnownProcess[];
}

export interface KnownProcess {
  pid: number;
  startTime: number;
}

/** A service that is to stay stopped: stopped by request, or ended with its policy saying so. */
export interface StoppedService {
  reason: string;
  lastExit?: { code: number | null; signal: string | null; at: string };
}

export interface SupervisorState {
  version: 1;
  savedAt: string;
  services: Record<string, SavedService>;
  /** Absent in files of agents before it: then nothing is held stopped. */
  stopped?: Record<string, StoppedService>;
}

export interface LoadedState {
  services: Record<string, SavedService>;
  stopped: Record<string, StoppedService>;
  problem?: string;
}

export const statePath = (dataDir: string) => join(dataDir, 'state.json');

/** Writes through a temp file in the same folder and renames it over: a reader sees the old or the new file, never half. */
export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function saveState(
  dataDir: string,
  services: Record<string, SavedService>,
  stopped: Record<string, StoppedService> = {},
  now = new Date(),
): void {
  const state: SupervisorState = { version: 1, savedAt: now.toISOString(), services, stopped };
  writeFileAtomic(statePath(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

const isProcess = (p: Partial<KnownProcess> | undefined): p is KnownProcess =>
  Number.isInteger(p?.pid) && p!.pid! > 0 && Number.isFinite(p!.startTime);

/** The saved state; empty when there is none. A file that cannot be read is reported in `problem`. */
export function loadState(dataDir: string): LoadedState {
  const none = (problem?: string): LoadedState => ({
    services: {},
    stopped: {},
    ...(problem ? { problem } : {}),
  });
  let text: string;
  try {
    text = readFileSync(statePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return none();
    return none(`cannot read ${statePath(dataDir)}: ${(err as Error).message}`);
  }
  try {
    const state = JSON.parse(text) as Partial<SupervisorState>;
    if (state.version !== 1 || typeof state.services !== 'object' || state.services === null)
      return none(`${statePath(dataDir)} is not a version 1 state file`);
    const services: Record<string, SavedService> = {};
    for (const [name, s] of Object.entries(state.services))
      if (isProcess(s) && Number.isInteger(s.pgid))
        services[name] = {
          ...s,
          restarts: Number(s.restarts) || 0,
          history: s.history ?? { streak: 0, times: [] },
          ...(Array.isArray(s.known) ? { known: s.known.filter(isProcess) } : {}),
        };
    const stopped: Record<string, StoppedService> = {};
    for (const [name, s] of Object.entries(state.stopped ?? {}))
      if (!services[name] && typeof s?.reason === 'string') stopped[name] = s;
    return { services, stopped };
  } catch (err) {
    return none(`${statePath(dataDir)} is not JSON: ${(err as Error).message}`);
  }
}

/** Keeps a copy of a state file that could not be read (`state.json.bad-<time>`) before it is overwritten; its path. */
export function quarantineState(dataDir: string, now = new Date()): string | undefined {
  const copy = `${statePath(dataDir)}.bad-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    copyFileSync(statePath(dataDir), copy);
    return copy;
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys: the same value gives the same text whatever order its keys were built in. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * The fields that shape the running process: when they change, the process must be restarted
 * to apply them. The restart policy, stop settings, health checks, log limits, `dependsOn` and
 * `autostart` apply to the running service in place.
 */
export function specHash(s: Service): string {
  const shape = {
    command: s.command,
    args: s.args,
    cwd: s.cwd,
    env: s.env,
    envFile: s.envFile,
    user: s.user,
    group: s.group,
    backend: s.backend,
  };
  return createHash('sha256').update(stableJson(shape)).digest('hex').slice(0, 16);
}

/** The whole spec, for telling an unchanged service from one changed in place. */
export function fullSpecHash(s: Service): string {
  return createHash('sha256').update(stableJson(s)).digest('hex').slice(0, 16);
}
