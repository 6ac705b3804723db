import type { ServiceSnapshot, SystemSnapshot } from '../metrics/snapshot.ts';

/**
 * What the gRPC API (and through it the `opsfleet agent` CLI) asks of the agent. The Agent
 * implements it; the shapes are the proto messages' fields as proto-loader names them.
 */
export interface ServiceView {
  name: string;
  state: string;
  backend: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  restarts: number;
  reason: string;
  nextStartAt: string;
  lastExitCode: number;
  lastExitSignal: string;
}

export interface LogQuery {
  keyword?: string;
  level?: string;
  since?: string;
  until?: string;
  tail?: number;
}

export interface LogLineView {
  service: string;
  text: string;
  level: string;
  time: string;
}

export interface CheckView {
  service: string;
  check: string;
  state: string;
  output: string;
  lastRunAt: string;
  consecutiveFailures: number;
}

export interface CheckResultView {
  at: string;
  status: string;
  output: string;
  ms: number;
}

export interface ApplyResult {
  applied: boolean;
  problems: { path: string; message: string }[];
  started: string[];
  stopped: string[];
  restarted: string[];
  unchanged: string[];
}

export type CommandAction = 'start' | 'stop' | 'restart' | 'pause' | 'resume';

export interface AgentOps {
  services(): ServiceView[];
  config(service?: string): { json: string; yaml: string };
  applyConfig(yaml: string, dryRun: boolean): Promise<ApplyResult>;
  command(service: string, action: CommandAction): Promise<ServiceView>;
  logs(service: string, query: LogQuery): Promise<LogLineView[]>;
  followLogs(service: string, query: LogQuery, signal: AbortSignal): AsyncIterable<LogLineView>;
  health(service?: string): CheckView[];
  healthHistory(service: string, check: string, limit: number): CheckResultView[];
  systemMetrics(): Promise<SystemSnapshot>;
  serviceMetrics(): Promise<ServiceSnapshot[]>;
}
