import type { AgentSettings } from '../spec.ts';
import { stableJson } from '../supervisor/state-file.ts';

/**
 * What a reload cannot apply: the `agent:` settings read once at start (listeners, metrics,
 * remote write, registration, etcd, systemd, name and labels). A reload applies the services,
 * the gRPC tokens and discovery; the others changed in the file wait for the next agent start,
 * and the agent says which instead of taking them without a word.
 */
const APPLIED_ON_RELOAD = new Set(['grpc.token', 'grpc.readToken', 'discover']);

/** The dotted names of the settings that differ and wait for a restart, sorted. */
export function settingsNeedingRestart(before: AgentSettings, after: AgentSettings): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (APPLIED_ON_RELOAD.has(path) || stableJson(a) === stableJson(b)) return;
    if (path === 'grpc' && isRecord(a) && isRecord(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], `grpc.${key}`);
      return;
    }
    out.push(path);
  };
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], key);
  return out.sort();
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
