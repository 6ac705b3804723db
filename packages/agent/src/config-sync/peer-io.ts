import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../http-client.ts';
import type { ConfigSyncSettings, ConfigTarget } from '../spec.ts';
import { type ReloadFacts, reloadFacts, reloadVerdict, validateCommand } from './peers.ts';

export interface Outcome {
  ok: boolean;
  /** The tool's or the peer's words, for the server and the alert. */
  output: string;
}

const MAX_OUTPUT = 8000;
const cut = (text: string) => (text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}…` : text).trim();

/** Runs the peer's own checker on staged files; a missing tool or a timeout is a failure, never a pass. */
export function validate(
  target: ConfigTarget,
  settings: ConfigSyncSettings,
  stagedFiles: string[],
): Promise<Outcome> {
  if (!stagedFiles.length) return Promise.resolve({ ok: true, output: 'no files' });
  const { cmd, args } = validateCommand(target.kind, settings.tools, stagedFiles);
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: settings.timeout, maxBuffer: 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const output = cut(`${stdout}${stderr}`);
        if (!err) resolve({ ok: true, output });
        else if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          resolve({ ok: false, output: `${cmd} is not installed (configSync.tools.${toolKey(target)})` });
        else if ((err as { killed?: boolean }).killed)
          resolve({ ok: false, output: `${cmd} did not finish within ${settings.timeout / 1000} s` });
        else resolve({ ok: false, output: `${cmd} ${args[0]}: ${output}` });
      },
    );
  });
}

const toolKey = (t: ConfigTarget) =>
  t.kind === 'prometheus' ? 'promtool' : t.kind === 'vmalert' ? 'vmalert' : 'amtool';

async function facts(target: ConfigTarget, signal: AbortSignal): Promise<ReloadFacts> {
  const res = await httpRequest(new URL('metrics', withSlash(target.url)).toString(), {
    signal,
    maxBody: 8 * 1024 * 1024,
  });
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return reloadFacts(target.kind, res.body.toString('utf8'));
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/** What the server shows of the peer: its /metrics answers, and its own last reload verdict. */
export interface PeerHealth {
  up: boolean;
  reloadSuccessful: boolean | null;
  error?: string;
}

export async function peerHealth(
  target: ConfigTarget,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<PeerHealth> {
  try {
    const f = await facts(target, AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]));
    return { up: true, reloadSuccessful: f.successful === undefined ? null : f.successful === 1 };
  } catch (err) {
    return {
      up: false,
      reloadSuccessful: null,
      error: `${target.url}/metrics: ${(err as Error).message}`.slice(0, 1000),
    };
  }
}

/**
 * Asks the peer to reload and waits until its own metrics say the reload happened and worked:
 * `*_config_last_reload_successful` and a success timestamp not older than the request
 * (vmalert: its attempt counter moved too, since its reload endpoint says 200 regardless).
 */
export async function reloadAndVerify(
  target: ConfigTarget,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<Outcome> {
  const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]);
  try {
    const before = await facts(target, signal);
    const startedSec = Math.floor(Date.now() / 1000);
    if (target.reload === 'sighup') {
      const pid = Number(readFileSync(target.pidFile!, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 1) return { ok: false, output: `${target.pidFile} holds no pid` };
      process.kill(pid, 'SIGHUP');
    } else {
      const res = await httpRequest(new URL('-/reload', withSlash(target.url)).toString(), {
        method: 'POST',
        signal,
      });
      if (!res.ok)
        return { ok: false, output: cut(`POST /-/reload: HTTP ${res.status}: ${res.body.toString('utf8')}`) };
    }
    for (;;) {
      const after = await facts(target, signal);
      const verdict = reloadVerdict(before, after, startedSec);
      if (verdict === 'ok') return { ok: true, output: 'reloaded' };
      if (verdict === 'failed')
        return {
          ok: false,
          output: `the peer rejected the reload (${target.kind}_config_last_reload_successful 0)`,
        };
      await sleep(200, undefined, { signal });
    }
  } catch (err) {
    if (stop.aborted) return { ok: false, output: 'the agent is stopping' };
    if (signal.aborted)
      return {
        ok: false,
        output: `no successful reload seen on ${target.url}/metrics within ${timeoutMs / 1000} s`,
      };
    return { ok: false, output: `reload: ${(err as Error).message}` };
  }
}
