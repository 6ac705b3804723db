import { chownSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigSyncSettings, ConfigTarget } from '../spec.ts';
import { writeFileAtomic } from '../supervisor/state-file.ts';
import { readOwned, writeKeeping, writeOwned } from './disk.ts';
import { changedPaths, type DiskFiles, placeFiles } from './layout.ts';
import { type PeerHealth, reloadAndVerify, validate } from './peer-io.ts';

/** A target's desired version as the server hands it to this agent. */
export interface Desired {
  id: string;
  name: string;
  kind: ConfigTarget['kind'];
  version: number;
  hash: string;
  files: Record<string, string>;
  passwordFile: string | null;
  ingestKey: string | null;
}

/** What the agent remembers of a target: the version on disk and its files, the last good configuration. */
export interface TargetState {
  targetId: string;
  version: number | null;
  hash: string | null;
  good: DiskFiles;
  /** A version that failed here is not tried again until the server's hash changes (or a config.sync command). */
  failedHash?: string;
}

/** What is sent to the server: `POST /api/v1/agent/sync-targets/{id}/status`. */
export interface Report {
  appliedVersion: number | null;
  attemptedVersion: number | null;
  ok: boolean;
  error?: string;
  peer?: PeerHealth;
}

export interface ApplyContext {
  target: ConfigTarget;
  settings: ConfigSyncSettings;
  /** Where configurations are staged for the checkers, never where the peer reads. */
  stageDir: string;
  stop: AbortSignal;
}

const failed = (state: TargetState, want: Desired, error: string) => ({
  state: { ...state, failedHash: want.hash },
  report: { appliedVersion: state.version, attemptedVersion: want.version, ok: false, error },
});

/**
 * Applies one version: place (only paths agent.yaml names), stage and check with the peer's
 * tool, write, reload and verify with the peer's own metrics. A version that fails the check
 * never reaches the peer's files; one that fails the reload is replaced by the last good
 * configuration, which is reloaded again.
 */
export async function applyVersion(
  ctx: ApplyContext,
  state: TargetState,
  want: Desired,
): Promise<{ state: TargetState; report: Report }> {
  const { target } = ctx;
  const placed = placeFiles(target, want.files);
  if (!placed.ok) return failed(state, want, placed.problem);
  if (target.kind === 'alertmanager') {
    const key = alertmanagerKey(target, want);
    if (typeof key === 'string') return failed(state, want, key);
  }
  const staged = stage(ctx.stageDir, placed.files);
  const checked = await validate(target, ctx.settings, staged);
  rmSync(ctx.stageDir, { recursive: true, force: true });
  if (!checked.ok)
    return failed(state, want, `version ${want.version} did not pass the check: ${checked.output}`);
  const good = state.version === null ? readOwned(target) : state.good;
  writeOwned(target, placed.files);
  const reload = await reloadAndVerify(target, ctx.settings.timeout, ctx.stop);
  if (reload.ok)
    return {
      state: { targetId: want.id, version: want.version, hash: want.hash, good: placed.files },
      report: { appliedVersion: want.version, attemptedVersion: want.version, ok: true },
    };
  writeOwned(target, good);
  const back = await reloadAndVerify(target, ctx.settings.timeout, ctx.stop);
  const was = state.version === null ? 'the files that were there before' : `version ${state.version}`;
  return failed(
    state,
    want,
    `version ${want.version} failed to load: ${reload.output}; reverted to ${was}, ${
      back.ok ? 'which reloaded' : `whose reload failed too: ${back.output}`
    }`,
  );
}

/**
 * The last good configuration written back when the files on disk are no longer it (edited by
 * hand): answers the report, or undefined when the disk is as it should be.
 */
export async function repairDrift(ctx: ApplyContext, state: TargetState): Promise<Report | undefined> {
  if (state.version === null) return undefined;
  const changed = changedPaths(readOwned(ctx.target), state.good);
  if (!changed.length) return undefined;
  writeOwned(ctx.target, state.good);
  const reload = await reloadAndVerify(ctx.target, ctx.settings.timeout, ctx.stop);
  return {
    appliedVersion: state.version,
    attemptedVersion: state.version,
    ok: false,
    error: `${changed.join(', ')} changed on disk outside opsfleet; restored version ${state.version}, ${
      reload.ok ? 'which reloaded' : `but its reload failed: ${reload.output}`
    }`,
  };
}

/** Writes the ingest key where agent.yaml says (mode 0600, the owner of the configuration file); a string is why not. */
function alertmanagerKey(target: ConfigTarget, want: Desired): true | string {
  if (want.passwordFile !== target.passwordFile)
    return `the server's password_file ${JSON.stringify(want.passwordFile)} is not configSync's passwordFile ${JSON.stringify(target.passwordFile)} for ${target.name} in agent.yaml`;
  if (!want.ingestKey) return 'the server sent no ingest key for the webhook';
  const owner = statSync(target.configFile!, { throwIfNoEntry: false });
  writeKeeping(target.passwordFile!, want.ingestKey, 0o600);
  if (owner && process.getuid?.() === 0) chownSync(target.passwordFile!, owner.uid, owner.gid);
  return true;
}

function stage(dir: string, files: DiskFiles): string[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return Object.entries(files).map(([path, content]) => {
    const staged = join(dir, path.split('/').pop()!);
    writeFileAtomic(staged, content, 0o600);
    return staged;
  });
}
