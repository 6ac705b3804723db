import { constants } from 'node:os';
import { parseDuration } from '@opsfleet/core';
import { z } from 'zod';
import { FilesSpec } from './files/spec.ts';

/**
 * The shape of `agent.yaml` and of every service the agent supervises. One zod schema is the
 * validation, the types and the documentation; durations are written `500ms`, `10s`, `5m` and
 * read as milliseconds. Every part of the agent takes its settings from these types. Objects are
 * strict: a misspelt key is a problem, not a setting silently left at its default.
 */
const Duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration; write 500ms, 10s, 5m, 2h or 1d` });
    return z.NEVER;
  }
});

// A name the system does not know (`SIGTERN`) would be accepted here and fail at the first stop.
const Signal = z
  .string()
  .refine((v) => /^SIG[A-Z0-9]+$/.test(v) && v in constants.signals, {
    message: 'is not a signal; write a signal name such as SIGTERM, SIGINT or SIGQUIT',
  })
  .default('SIGTERM');

export const RestartSpec = z.strictObject({
  /** `always`: restart whatever the exit; `on-failure`: only after a non-zero exit or a signal. */
  policy: z.enum(['always', 'on-failure', 'never']).default('on-failure'),
  initialDelay: Duration.default(1000),
  maxDelay: Duration.default(30_000),
  multiplier: z.number().min(1).default(2),
  /** Up to this fraction of the delay is added at random. */
  jitter: z.number().min(0).max(1).default(0.2),
  /** Running this long counts as started: the delay and the window count start again. */
  stableAfter: Duration.default(30_000),
  /** More restarts than this within `window` make the service FATAL. */
  maxRestarts: z.number().int().min(0).default(5),
  window: Duration.default(60_000),
  /** FATAL is not forever: the service is tried again after this. */
  fatalCooldown: Duration.default(300_000),
});

export const CheckSpec = z
  .strictObject({
    name: z.string().min(1),
    type: z.enum(['http', 'tcp', 'process', 'script', 'grpc']),
    interval: Duration.default(10_000),
    timeout: Duration.default(2_000),
    successBeforePassing: z.number().int().min(1).default(1),
    failuresBeforeCritical: z.number().int().min(1).default(3),
    /** After the service (re)starts, failures are not counted for this long. */
    grace: Duration.default(0),
    http: z
      .strictObject({
        url: z.string().url(),
        method: z.string().default('GET'),
        headers: z.record(z.string(), z.string()).default({}),
        /** Statuses that pass; default any 2xx. */
        expectStatus: z.array(z.number().int()).optional(),
      })
      .optional(),
    tcp: z
      .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(1).max(65_535) })
      .optional(),
    script: z.strictObject({ command: z.string().min(1), args: z.array(z.string()).default([]) }).optional(),
    /** The standard grpc.health.v1 protocol. */
    grpc: z.strictObject({ address: z.string().min(1), service: z.string().default('') }).optional(),
    onCritical: z
      .strictObject({
        action: z.enum(['restart', 'script', 'none']).default('restart'),
        script: z
          .strictObject({ command: z.string().min(1), args: z.array(z.string()).default([]) })
          .optional(),
      })
      .default({ action: 'restart' }),
  })
  .superRefine((c, ctx) => {
    if (c.type !== 'process' && !c[c.type])
      ctx.addIssue({
        code: 'custom',
        path: [c.type],
        message: `a ${c.type} check needs its ${c.type}: settings`,
      });
    // Settings that would be accepted and never used are refused, naming the field.
    for (const kind of ['http', 'tcp', 'script', 'grpc'] as const)
      if (kind !== c.type && c[kind])
        ctx.addIssue({
          code: 'custom',
          path: [kind],
          message: `is for a ${kind} check, and this check's type is ${c.type}: remove it or set type: ${kind}`,
        });
    if (c.onCritical.action !== 'script' && c.onCritical.script)
      ctx.addIssue({
        code: 'custom',
        path: ['onCritical', 'script'],
        message: `runs only with action: script (the action is ${c.onCritical.action}): remove it or set action: script`,
      });
    if (c.onCritical.action === 'script' && !c.onCritical.script)
      ctx.addIssue({
        code: 'custom',
        path: ['onCritical', 'script'],
        message: 'the script action needs a script',
      });
  });

export const ServiceSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  /** KEY=VALUE lines read again at every start, so a restart sees the file as it is now. */
  envFile: z.string().optional(),
  user: z.string().optional(),
  group: z.string().optional(),
  backend: z.enum(['direct', 'systemd']).default('direct'),
  stopSignal: Signal,
  stopTimeout: Duration.default(10_000),
  dependsOn: z.array(z.string()).default([]),
  autostart: z.boolean().default(true),
  restart: RestartSpec.default(RestartSpec.parse({})),
  health: z.array(CheckSpec).default([]),
  logs: z
    .strictObject({
      maxSize: z
        .number()
        .int()
        .min(1024)
        .default(10 * 1024 * 1024),
      keep: z.number().int().min(0).default(5),
    })
    .default({ maxSize: 10 * 1024 * 1024, keep: 5 }),
});

const AbsolutePath = z.string().refine((p) => p.startsWith('/'), { message: 'must be an absolute path' });

/**
 * A peer whose configuration the ConfigAgent applies: `name` is the sync target's name on the
 * server. The agent writes only the paths named here, whatever the server asks.
 */
export const ConfigTargetSpec = z
  .strictObject({
    name: z.string().min(1),
    kind: z.enum(['prometheus', 'vmalert', 'alertmanager']),
    /** prometheus/vmalert: the folder of opsfleet's rule files (its `opsfleet-*.yml` are opsfleet's). */
    rulesDir: AbsolutePath.optional(),
    /** alertmanager: the configuration file the peer loads (opsfleet writes all of it). */
    configFile: AbsolutePath.optional(),
    /** alertmanager: where the ingest key goes (mode 0600); the server's `password_file` must name it. */
    passwordFile: AbsolutePath.optional(),
    /** The peer's HTTP base: `POST /-/reload` and `/metrics`. */
    url: z.string().url(),
    /** `http`: POST /-/reload (Prometheus needs --web.enable-lifecycle); `sighup`: a signal to the pid in pidFile. */
    reload: z.enum(['http', 'sighup']).default('http'),
    pidFile: AbsolutePath.optional(),
  })
  .superRefine((t, ctx) => {
    const need = (key: 'rulesDir' | 'configFile' | 'passwordFile' | 'pidFile', why: string) => {
      if (!t[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    };
    if (t.kind === 'alertmanager') {
      need('configFile', 'for an alertmanager: the file it loads');
      need('passwordFile', "for an alertmanager: where its webhook's ingest key is written");
    } else need('rulesDir', `for a ${t.kind}: the folder its rule_files glob reads`);
    if (t.reload === 'sighup') need('pidFile', 'with reload: sighup');
  });

export const ConfigSyncSpec = z.strictObject({
  /** How often the agent asks the server for its targets' versions (the server also pushes `config.sync`). */
  interval: Duration.default(30_000),
  /** Each tool run, and each reload's verification, gets this long. */
  timeout: Duration.default(10_000),
  /** The validating tools; default: on PATH. */
  tools: z
    .strictObject({
      promtool: z.string().default('promtool'),
      amtool: z.string().default('amtool'),
      vmalert: z.string().default('vmalert'),
    })
    .default({ promtool: 'promtool', amtool: 'amtool', vmalert: 'vmalert' }),
  targets: z.array(ConfigTargetSpec).min(1),
});

export const AgentSpec = z.strictObject({
  agent: z
    .strictObject({
      /** Shown in the server's agent list; default the hostname. */
      name: z.string().optional(),
      labels: z.record(z.string(), z.string()).default({}),
      /** PID and state files, service logs. */
      dataDir: z.string().default('data/agent'),
      grpc: z
        .strictObject({
          listen: z.string().default('127.0.0.1:7070'),
          /**
           * Every call needs metadata `authorization: Bearer <token>`. `token` may do everything
           * (ApplyConfig, start/stop/restart); `readToken` may only read. Either one left out is
           * generated on first start into dataDir (grpc-admin.token, grpc-read.token, mode 0600).
           */
          token: z.string().min(1).optional(),
          readToken: z.string().min(1).optional(),
          tls: z.strictObject({ cert: z.string(), key: z.string() }).optional(),
        })
        .default({ listen: '127.0.0.1:7070' }),
      /** The HTTP listener for /metrics, /healthz, /readyz. */
      http: z
        .strictObject({ listen: z.string().default('127.0.0.1:9102') })
        .default({ listen: '127.0.0.1:9102' }),
      metricsInterval: Duration.default(10_000),
      remoteWrite: z
        .strictObject({
          url: z.string().url(),
          interval: Duration.default(15_000),
          headers: z.record(z.string(), z.string()).default({}),
          /** Samples kept while the receiver is down; the oldest are dropped beyond it. */
          bufferSamples: z.number().int().min(100).default(100_000),
        })
        .optional(),
      server: z
        .strictObject({
          url: z.string().url(),
          /** An API key with the `agent` role. */
          token: z.string().min(1),
          heartbeat: Duration.default(15_000),
        })
        .optional(),
      etcd: z
        .strictObject({
          endpoints: z.array(z.string()).min(1),
          prefix: z.string().default('/opsfleet/agents/'),
          ttl: Duration.default(30_000),
        })
        .optional(),
      /** For services with `backend: systemd`: the unit mode and where units go. */
      systemd: z
        .strictObject({
          /** Default: system when the agent runs as root, else user. */
          mode: z.enum(['user', 'system']).optional(),
          unitDir: z.string().optional(),
          /** The systemctl program (default `systemctl` on PATH). */
          systemctl: z.string().default('systemctl'),
        })
        .optional(),
      /** The ConfigAgent: applies the server's rule files and Alertmanager configuration to peers on this host. */
      configSync: ConfigSyncSpec.optional(),
      /** Folders whose `package.json` files become services (`opsfleet.service` in the file, or its start script). */
      discover: z.array(z.string()).default([]),
    })
    .default(() => AgentSettingsDefaults())
    .superRefine((a, ctx) => {
      if (a.configSync && !a.server)
        ctx.addIssue({
          code: 'custom',
          path: ['configSync'],
          message: 'needs agent.server: the configurations come from the server',
        });
    }),
  services: z.array(ServiceSpec).default([]),
  /** The file pipeline: watched folders and the S3 destinations their files go to (docs/files.md). */
  files: FilesSpec.optional(),
});

/**
 * agent.yaml itself: `services` must be written out (`services: []` for none), so a file cut
 * short before its services (a half-written save) is refused instead of stopping them all.
 */
export const AgentFileSpec = AgentSpec.extend({
  services: z.array(ServiceSpec, {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: list the services, or write `services: []` for none (a file cut short before its services is not applied)'
        : undefined,
  }),
});

function AgentSettingsDefaults() {
  return {
    labels: {},
    dataDir: 'data/agent',
    grpc: { listen: '127.0.0.1:7070' },
    http: { listen: '127.0.0.1:9102' },
    metricsInterval: 10_000,
    discover: [],
  };
}

export type RestartPolicy = z.output<typeof RestartSpec>;
export type Check = z.output<typeof CheckSpec>;
export type Service = z.output<typeof ServiceSpec>;
export type AgentConfig = z.output<typeof AgentSpec>;
export type AgentSettings = AgentConfig['agent'];
export type ConfigTarget = z.output<typeof ConfigTargetSpec>;
export type ConfigSyncSettings = z.output<typeof ConfigSyncSpec>;

/** Where a supervised service is in its life. */
export type ServiceState =
  | 'stopped'
  | 'starting'
  | 'running'
  | 'backoff'
  | 'fatal'
  | 'paused'
  | 'stopping'
  /** Held back: a dependency is not running. */
  | 'waiting';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  backend: Service['backend'];
  pid?: number;
  /** ISO time the current process started. */
  startedAt?: string;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string };
  /** Why it is in this state, for people (`dependency db is backoff`, `6 restarts in 60s`). */
  reason?: string;
  /** When a backoff or FATAL cool-down ends. */
  nextStartAt?: string;
}

export type HealthState = 'passing' | 'warning' | 'critical' | 'unknown';
