import {
  type Build,
  endOf,
  isBuilding,
  type JenkinsModel,
  type JobState,
  type QueueItem,
  resultAt,
} from './model.ts';

/** The `api/json` shapes Jenkins exports, with absolute URLs under `base` (`http://host:port`). */
export const jobUrl = (base: string, fullName: string): string =>
  `${base}/${fullName
    .split('/')
    .map((s) => `job/${encodeURIComponent(s)}`)
    .join('/')}/`;

const FOLDER_CLASS = 'com.cloudbees.hudson.plugins.folder.Folder';
const JOB_CLASS = 'hudson.model.FreeStyleProject';
const BUILD_CLASS = 'hudson.model.FreeStyleBuild';

const COLORS: Record<string, string> = {
  SUCCESS: 'blue',
  UNSTABLE: 'yellow',
  FAILURE: 'red',
  ABORTED: 'aborted',
  NOT_BUILT: 'notbuilt',
};

export function jobColor(job: JobState, now: number): string {
  if (job.spec.disabled) return 'disabled';
  const last = job.builds.at(-1);
  if (!last) return 'notbuilt';
  const building = isBuilding(last, now);
  const done = [...job.builds].reverse().find((b) => !isBuilding(b, now));
  const color = done ? COLORS[resultAt(done, now)!]! : 'notbuilt';
  return building ? `${color}_anime` : color;
}

const buildRef = (base: string, b: Build | undefined) =>
  b ? { _class: BUILD_CLASS, number: b.number, url: `${jobUrl(base, b.job)}${b.number}/` } : null;

/**
 * Item summary as folders and the root list their children. `deep` nests a folder's own jobs:
 * Jenkins exports them when a `tree` asks for them (`jobs[name,jobs[name]]`), not at depth 0.
 */
export function itemSummary(
  model: JenkinsModel,
  base: string,
  name: string,
  now: number,
  deep: boolean,
): Record<string, unknown> {
  const job = model.jobs.get(name);
  const short = name.split('/').at(-1);
  if (job) return { _class: JOB_CLASS, name: short, url: jobUrl(base, name), color: jobColor(job, now) };
  const folder = { _class: FOLDER_CLASS, name: short, url: jobUrl(base, name) };
  return deep
    ? { ...folder, jobs: model.children(name).map((c) => itemSummary(model, base, c, now, deep)) }
    : folder;
}

export function folderJson(model: JenkinsModel, base: string, name: string, now: number, deep: boolean) {
  return {
    _class: FOLDER_CLASS,
    actions: [],
    description: null,
    displayName: name.split('/').at(-1),
    fullDisplayName: name.split('/').join(' » '),
    fullName: name,
    name: name.split('/').at(-1),
    url: jobUrl(base, name),
    jobs: model.children(name).map((c) => itemSummary(model, base, c, now, deep)),
  };
}

function parameterDefinitions(job: JobState) {
  return (job.spec.parameters ?? []).map((d) => {
    const type = d.type === 'boolean' ? 'Boolean' : d.type === 'choice' ? 'Choice' : 'String';
    const value =
      d.type === 'boolean' ? (d.default ?? 'false') === 'true' : (d.default ?? d.choices?.[0] ?? '');
    return {
      _class: `hudson.model.${type}ParameterDefinition`,
      defaultParameterValue: { _class: `hudson.model.${type}ParameterValue`, name: d.name, value },
      description: d.description ?? '',
      name: d.name,
      type: `${type}ParameterDefinition`,
      ...(d.choices ? { choices: d.choices } : {}),
    };
  });
}

export function jobJson(model: JenkinsModel, base: string, name: string, now: number) {
  const job = model.jobs.get(name)!;
  const builds = [...job.builds].reverse();
  const done = builds.filter((b) => !isBuilding(b, now));
  const queued = model.queue.find((i) => i.job === name);
  const params = job.spec.parameters
    ? [
        {
          _class: 'hudson.model.ParametersDefinitionProperty',
          parameterDefinitions: parameterDefinitions(job),
        },
      ]
    : [];
  return {
    _class: JOB_CLASS,
    actions: params,
    description: '',
    displayName: name.split('/').at(-1),
    fullDisplayName: name.split('/').join(' » '),
    fullName: name,
    name: name.split('/').at(-1),
    url: jobUrl(base, name),
    buildable: !job.spec.disabled,
    builds: builds.map((b) => buildRef(base, b)),
    color: jobColor(job, now),
    firstBuild: buildRef(base, job.builds[0]),
    healthReport: [],
    inQueue: queued !== undefined,
    keepDependencies: false,
    lastBuild: buildRef(base, builds[0]),
    lastCompletedBuild: buildRef(base, done[0]),
    lastFailedBuild: buildRef(
      base,
      done.find((b) => resultAt(b, now) === 'FAILURE'),
    ),
    lastStableBuild: buildRef(
      base,
      done.find((b) => resultAt(b, now) === 'SUCCESS'),
    ),
    lastSuccessfulBuild: buildRef(
      base,
      done.find((b) => ['SUCCESS', 'UNSTABLE'].includes(resultAt(b, now)!)),
    ),
    lastUnstableBuild: buildRef(
      base,
      done.find((b) => resultAt(b, now) === 'UNSTABLE'),
    ),
    lastUnsuccessfulBuild: buildRef(
      base,
      done.find((b) => resultAt(b, now) !== 'SUCCESS'),
    ),
    nextBuildNumber: job.nextBuildNumber,
    property: params,
    queueItem: queued ? queueItemJson(model, base, queued, now) : null,
    concurrentBuild: job.spec.concurrentBuild ?? false,
    disabled: job.spec.disabled ?? false,
  };
}

/** Jenkins's `Util.getTimeSpanString` for the quiet-period `why`. */
export function timeSpan(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} sec`;
  if (s < 60) return `${Math.floor(s)} sec`;
  return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} sec`;
}

const paramsString = (params?: Record<string, string>) =>
  Object.entries(params ?? {})
    .map(([k, v]) => `\n${k}=${v}`)
    .join('');

function itemActions(item: QueueItem) {
  const actions: unknown[] = [];
  if (item.params)
    actions.push({
      _class: 'hudson.model.ParametersAction',
      parameters: Object.entries(item.params).map(([name, value]) => ({
        _class: 'hudson.model.StringParameterValue',
        name,
        value,
      })),
    });
  actions.push({
    _class: 'hudson.model.CauseAction',
    causes: [
      {
        _class: 'hudson.model.Cause$UserIdCause',
        shortDescription: `Started by user ${item.cause.user ?? 'anonymous'}`,
        userId: item.cause.user ?? null,
        userName: item.cause.user ?? 'anonymous',
      },
    ],
  });
  return actions;
}

export function queueItemJson(model: JenkinsModel, base: string, item: QueueItem, now: number) {
  const state = model.itemState(item);
  const job = model.jobs.get(item.job);
  const common = {
    actions: itemActions(item),
    blocked: state === 'blocked',
    buildable: state === 'buildable',
    id: item.id,
    inQueueSince: item.inQueueSince,
    params: paramsString(item.params),
    stuck: false,
    task: {
      _class: JOB_CLASS,
      name: item.job.split('/').at(-1),
      url: jobUrl(base, item.job),
      color: job ? jobColor(job, now) : 'notbuilt',
    },
    url: `queue/item/${item.id}/`,
  };
  switch (state) {
    case 'waiting':
      return {
        _class: 'hudson.model.Queue$WaitingItem',
        ...common,
        why: `In the quiet period. Expires in ${timeSpan(item.buildableAt - now)}`,
        timestamp: item.buildableAt,
      };
    case 'blocked':
      return {
        _class: 'hudson.model.Queue$BlockedItem',
        ...common,
        why: 'A build is already in progress',
        buildableStartMilliseconds: item.buildableAt,
      };
    case 'buildable':
      return {
        _class: 'hudson.model.Queue$BuildableItem',
        ...common,
        why: 'Waiting for next available executor',
        buildableStartMilliseconds: item.buildableAt,
        pending: false,
      };
    case 'left':
      return {
        _class: 'hudson.model.Queue$LeftItem',
        ...common,
        why: null,
        cancelled: item.cancelled === true,
        executable: item.executable
          ? buildRef(
              base,
              model.jobs.get(item.job)?.builds.find((b) => b.number === item.executable!.number),
            )
          : null,
      };
  }
}

export function buildJson(base: string, b: Build, now: number, estimatedDuration: number) {
  const building = isBuilding(b, now);
  const causes = [
    {
      _class: 'hudson.model.Cause$UserIdCause',
      shortDescription: `Started by user ${b.cause.user ?? 'anonymous'}`,
      userId: b.cause.user ?? null,
      userName: b.cause.user ?? 'anonymous',
    },
  ];
  const actions: unknown[] = [{ _class: 'hudson.model.CauseAction', causes }];
  if (b.params)
    actions.unshift({
      _class: 'hudson.model.ParametersAction',
      parameters: Object.entries(b.params).map(([name, value]) => ({
        _class: 'hudson.model.StringParameterValue',
        name,
        value,
      })),
    });
  const shortName = b.job.split('/').at(-1);
  return {
    _class: BUILD_CLASS,
    actions,
    artifacts: [],
    building,
    description: null,
    displayName: `#${b.number}`,
    duration: building ? 0 : endOf(b) - b.startedAt,
    estimatedDuration,
    executor: building ? { _class: 'hudson.model.Executor' } : null,
    fullDisplayName: `${b.job.split('/').join(' » ')} #${b.number}`,
    id: String(b.number),
    inProgress: building,
    keepLog: false,
    number: b.number,
    queueId: b.queueId,
    result: resultAt(b, now),
    timestamp: b.startedAt,
    url: `${jobUrl(base, b.job)}${b.number}/`,
    builtOn: '',
    changeSet: { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null },
    culprits: [],
    displayNameOrNull: null,
    shortName,
  };
}

type Tree = Map<string, Tree | null>;

/** Parses `?tree=a,b[c,d]` (Jenkins's tree filter; `{m,n}` ranges are not supported). */
export function parseTree(spec: string): Tree {
  let i = 0;
  const level = (): Tree => {
    const out: Tree = new Map();
    let name = '';
    const flush = (sub: Tree | null) => {
      if (name.trim()) out.set(name.trim(), sub);
      name = '';
    };
    while (i < spec.length) {
      const c = spec[i++]!;
      if (c === ',') flush(null);
      else if (c === '[') {
        const sub = level();
        flush(sub);
      } else if (c === ']') break;
      else name += c;
    }
    flush(null);
    return out;
  };
  return level();
}

export function applyTree(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.map((v) => applyTree(v, tree));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('_class' in obj) out._class = obj._class;
  for (const [key, sub] of tree) if (key in obj) out[key] = sub ? applyTree(obj[key], sub) : obj[key];
  return out;
}
