/**
 * Jenkins's job, queue and build state, advanced by a clock rather than by timers: every read
 * first replays what happened up to `now` (quiet periods ending, executors freeing, builds
 * finishing) at the exact instants it happened, so answers do not depend on when a client polls
 * and the state machine can be table-tested with a fake clock.
 */
export type BuildResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'NOT_BUILT' | 'ABORTED';
export const BUILD_RESULTS: readonly BuildResult[] = [
  'SUCCESS',
  'UNSTABLE',
  'FAILURE',
  'NOT_BUILT',
  'ABORTED',
];

export interface ParamDef {
  name: string;
  type?: 'string' | 'boolean' | 'choice';
  /** Default value; a choice parameter defaults to its first choice. */
  default?: string;
  choices?: string[];
  description?: string;
}

export interface JobSpec {
  /** Full name; folders are separated by `/` (`heapdumps/analyse` is `/job/heapdumps/job/analyse/`). */
  name: string;
  /** Present (even empty) = a parameterised job. */
  parameters?: ParamDef[];
  disabled?: boolean;
  /** How long the simulated script runs (default 200 ms). */
  durationMs?: number;
  result?: BuildResult;
  /** A parameter whose value, when it names a result, decides the build's result. */
  resultParam?: string;
  /** A parameter whose value (milliseconds) decides the build's duration. */
  durationParam?: string;
  /** The build never ends by itself; only stop (or a restart) ends it. */
  hang?: boolean;
  /** Console lines the script prints, spread over its duration (default: one line per parameter). */
  lines?: string[];
  /** Overrides the instance's quiet period. */
  quietPeriodMs?: number;
  /** Jenkins runs one build of a job at a time unless the job allows concurrent builds. */
  concurrentBuild?: boolean;
}

export type Params = Record<string, string>;

export interface Cause {
  /** `Started by user X` (UserIdCause); absent = anonymous. */
  user?: string;
}

export interface QueueItem {
  id: number;
  job: string;
  /** Undefined for unparameterised jobs (no ParametersAction). */
  params?: Params;
  cause: Cause;
  inQueueSince: number;
  /** When the quiet period ends. */
  buildableAt: number;
  /** Set when the item left the queue (started or cancelled). */
  leftAt?: number;
  executable?: { job: string; number: number };
  cancelled?: boolean;
}

export interface Build {
  job: string;
  number: number;
  queueId: number;
  params?: Params;
  cause: Cause;
  startedAt: number;
  /** Infinity for a hanging job. */
  plannedMs: number;
  plannedResult: BuildResult;
  lines: string[];
  aborted?: { at: number; by?: string };
}

export interface JobState {
  spec: JobSpec;
  nextBuildNumber: number;
  builds: Build[];
}

export type ItemState = 'waiting' | 'blocked' | 'buildable' | 'left';

export type ScheduleOutcome =
  | { kind: 'created' | 'existing'; item: QueueItem }
  | { kind: 'error'; status: number; message: string };

export interface ModelOptions {
  jobs: JobSpec[];
  /** Instance quiet period (Jenkins's default is 5 s; tests want it short). */
  quietPeriodMs: number;
  executors: number;
  /** How long a left queue item stays readable (Jenkins: 5 minutes). */
  leftItemTtlMs: number;
  now: () => number;
}

export const DEFAULT_DURATION_MS = 200;

export class JenkinsModel {
  readonly jobs = new Map<string, JobState>();
  /** Items still in the queue, in scheduling order. */
  readonly queue: QueueItem[] = [];
  /** Left items by id, until they expire. */
  readonly left = new Map<number, QueueItem>();
  private nextItemId = 1;
  private cursor: number;

  constructor(readonly options: ModelOptions) {
    this.cursor = options.now();
    for (const spec of options.jobs) this.addJob(spec);
  }

  addJob(spec: JobSpec): void {
    this.jobs.set(spec.name, { spec: { ...spec }, nextBuildNumber: 1, builds: [] });
  }

  /** Folder names implied by the jobs' full names. */
  isFolder(name: string): boolean {
    return [...this.jobs.keys()].some((j) => j.startsWith(`${name}/`));
  }

  /** Direct children (jobs and folders) of a folder; '' is the root. */
  children(folder: string): string[] {
    const prefix = folder ? `${folder}/` : '';
    const out = new Set<string>();
    for (const name of this.jobs.keys()) {
      if (!name.startsWith(prefix)) continue;
      out.add(prefix + name.slice(prefix.length).split('/')[0]);
    }
    return [...out].sort();
  }

  /**
   * `build` / `buildWithParameters`: the request's values for the declared parameters (others
   * are ignored, missing ones take their default); an identical item already in the queue is
   * returned instead of a new one, with its quiet period shortened to the new request's.
   */
  schedule(
    jobName: string,
    request: { params?: Params; cause: Cause; delayMs?: number; via: 'build' | 'buildWithParameters' },
  ): ScheduleOutcome {
    const now = this.advance();
    const job = this.jobs.get(jobName);
    if (!job) return { kind: 'error', status: 404, message: `No item named ${jobName}` };
    if (job.spec.disabled) return { kind: 'error', status: 409, message: `${jobName} is not buildable` };
    const defs = job.spec.parameters;
    if (request.via === 'buildWithParameters' && !defs)
      return { kind: 'error', status: 400, message: `${jobName} is not parameterized` };
    const params = defs ? resolveParams(defs, request.params ?? {}) : undefined;
    const due = now + (request.delayMs ?? job.spec.quietPeriodMs ?? this.options.quietPeriodMs);
    const same = this.queue.find((i) => i.job === jobName && sameParams(i.params, params));
    if (same) {
      same.buildableAt = Math.min(same.buildableAt, due);
      this.advance();
      return { kind: 'existing', item: same };
    }
    const item: QueueItem = {
      id: this.nextItemId++,
      job: jobName,
      params,
      cause: request.cause,
      inQueueSince: now,
      buildableAt: due,
    };
    this.queue.push(item);
    this.advance();
    return { kind: 'created', item };
  }

  /** `POST /queue/cancelItem?id=N`: false when the item is not in the queue. */
  cancel(id: number): boolean {
    const now = this.advance();
    const idx = this.queue.findIndex((i) => i.id === id);
    if (idx < 0) return false;
    const [item] = this.queue.splice(idx, 1);
    item!.leftAt = now;
    item!.cancelled = true;
    this.left.set(item!.id, item!);
    return true;
  }

  /** `POST /job/X/N/stop`: aborts a running build; a finished one is left as it is. */
  stop(build: Build, by?: string): void {
    const now = this.advance();
    if (isBuilding(build, now)) build.aborted = { at: now, by };
  }

  /** A queue item, waiting or left; undefined once a left item has expired. */
  item(id: number): QueueItem | undefined {
    this.advance();
    return this.queue.find((i) => i.id === id) ?? this.left.get(id);
  }

  itemState(item: QueueItem): ItemState {
    const now = this.advance();
    if (item.leftAt !== undefined) return 'left';
    if (now < item.buildableAt) return 'waiting';
    return this.blockedByRunningBuild(item, now) ? 'blocked' : 'buildable';
  }

  build(jobName: string, number: number): Build | undefined {
    this.advance();
    return this.jobs.get(jobName)?.builds.find((b) => b.number === number);
  }

  /** Drops the in-memory state a Jenkins restart loses: running builds end aborted, left items are forgotten. */
  restart(): void {
    const now = this.advance();
    for (const job of this.jobs.values())
      for (const b of job.builds) if (isBuilding(b, now)) b.aborted = { at: now };
    this.left.clear();
  }

  now(): number {
    return this.advance();
  }

  /**
   * Replays events from the last call up to now: at each instant a quiet period ends or a
   * build finishes, start what can start.
   */
  advance(): number {
    const now = Math.max(this.cursor, this.options.now());
    for (;;) {
      this.startReady(this.cursor);
      const next = this.nextEventAfter(this.cursor);
      if (next === undefined || next > now) break;
      this.cursor = next;
    }
    this.cursor = now;
    this.startReady(now);
    for (const [id, item] of this.left)
      if (now - item.leftAt! >= this.options.leftItemTtlMs) this.left.delete(id);
    return now;
  }

  private nextEventAfter(t: number): number | undefined {
    let next: number | undefined;
    const consider = (at: number) => {
      if (at > t && Number.isFinite(at) && (next === undefined || at < next)) next = at;
    };
    for (const item of this.queue) consider(item.buildableAt);
    for (const job of this.jobs.values()) for (const b of job.builds) consider(endOf(b));
    return next;
  }

  private running(t: number): Build[] {
    return [...this.jobs.values()].flatMap((j) =>
      j.builds.filter((b) => b.startedAt <= t && isBuilding(b, t)),
    );
  }

  private blockedByRunningBuild(item: QueueItem, t: number): boolean {
    const job = this.jobs.get(item.job)!;
    return !job.spec.concurrentBuild && job.builds.some((b) => isBuilding(b, t));
  }

  private startReady(t: number): void {
    for (const item of [...this.queue]) {
      if (item.buildableAt > t || this.blockedByRunningBuild(item, t)) continue;
      if (this.running(t).length >= this.options.executors) return;
      this.start(item, t);
    }
  }

  private start(item: QueueItem, t: number): void {
    const job = this.jobs.get(item.job)!;
    const spec = job.spec;
    const fromParam = (name?: string) => (name ? item.params?.[name] : undefined);
    const resultParam = fromParam(spec.resultParam);
    const durationParam = Number(fromParam(spec.durationParam));
    const build: Build = {
      job: item.job,
      number: job.nextBuildNumber++,
      queueId: item.id,
      params: item.params,
      cause: item.cause,
      startedAt: t,
      plannedMs: spec.hang
        ? Number.POSITIVE_INFINITY
        : Number.isFinite(durationParam) && fromParam(spec.durationParam) !== undefined
          ? durationParam
          : (spec.durationMs ?? DEFAULT_DURATION_MS),
      plannedResult: BUILD_RESULTS.includes(resultParam as BuildResult)
        ? (resultParam as BuildResult)
        : (spec.result ?? 'SUCCESS'),
      lines: spec.lines ?? Object.entries(item.params ?? {}).map(([k, v]) => `${k}=${v}`),
    };
    job.builds.push(build);
    this.queue.splice(this.queue.indexOf(item), 1);
    item.leftAt = t;
    item.executable = { job: item.job, number: build.number };
    this.left.set(item.id, item);
  }
}

export function resolveParams(defs: ParamDef[], given: Params): Params {
  const out: Params = {};
  for (const d of defs)
    out[d.name] = given[d.name] ?? d.default ?? d.choices?.[0] ?? (d.type === 'boolean' ? 'false' : '');
  return out;
}

function sameParams(a: Params | undefined, b: Params | undefined): boolean {
  if (!a || !b) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

export const endOf = (b: Build): number => b.aborted?.at ?? b.startedAt + b.plannedMs;
export const isBuilding = (b: Build, t: number): boolean => t < endOf(b);
export const resultAt = (b: Build, t: number): BuildResult | null =>
  isBuilding(b, t) ? null : b.aborted ? 'ABORTED' : b.plannedResult;
