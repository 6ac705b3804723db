import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDuration } from '@opsfleet/core';
import { z } from 'zod';
import { CommandError, type CommandHandler, payloadOf } from '../handler.ts';
import { fetchArtifact } from './artifact.ts';
import { deployEnv, deployPaths, OPERATIONS } from './env.ts';
import { runScript } from './script.ts';

/** A name that becomes a folder: no `/`, no leading dot. */
const Name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/,
    'letters, digits, . _ + - (at most 100, not starting with . or -)',
  );

const Payload = z.object({
  project: Name,
  env: Name,
  version: Name,
  previousVersion: Name.nullish(),
  target: z.string().min(1).max(200),
  operation: z.enum(OPERATIONS),
  artifact: z
    .object({
      url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits'),
    })
    .nullish(),
  script: z.string().min(1, 'the version has no script for this operation').max(1_000_000),
  // Without it the script may run until the command's deadline, which stops it the same way.
  timeout: z
    .union([z.number().positive(), z.string()])
    .nullish()
    .transform((t, ctx) => {
      if (t === undefined || t === null) return undefined;
      try {
        return parseDuration(t);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
});

/**
 * The `opsfleet` command this agent runs from: the bundle (dist/opsfleet.mjs) or the checkout's
 * bin when the agent was started by it, else (the agent embedded, as in tests) the checkout's bin.
 */
function opsfleetEntry(): string {
  const running = process.argv[1] ?? '';
  return basename(running) === 'opsfleet.mjs'
    ? running
    : join(import.meta.dirname, '../../../../cli/bin/opsfleet.mjs');
}

/**
 * What a deploy script runs to start a process detached, as `"$OPSFLEET_DETACH" …`: a wrapper
 * for `opsfleet agent detach` with the agent's own Node, so a script needs no PATH set up.
 */
function detachEntry(dataDir: string): string {
  const file = join(dataDir, 'deploys', 'bin', 'opsfleet-detach');
  mkdirSync(join(dataDir, 'deploys', 'bin'), { recursive: true, mode: 0o700 });
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const text = `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(opsfleetEntry())} agent detach "$@"\n`;
  writeFileSync(`${file}.tmp`, text, { mode: 0o700 });
  chmodSync(`${file}.tmp`, 0o700);
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * `deploy.run`: one operation of one version on this host. The artifact is downloaded and its
 * SHA-256 checked before anything runs; then the version's script for the operation runs with
 * the `OPSFLEET_*` variables, its output streamed line by line, stopped with its whole process
 * group on timeout or cancel. A script that exits other than 0 fails the command.
 */
export const deployRunHandler: CommandHandler = {
  kind: 'deploy.run',
  async run({ id, payload, dataDir, signal, print }) {
    const p = payloadOf(Payload, payload);
    const paths = deployPaths(dataDir, p);
    mkdirSync(paths.appDir, { recursive: true, mode: 0o750 });
    const label = `${p.project} ${p.version} (${p.env}, ${p.operation})`;
    print(`${label} on ${p.target}`, { stage: 'prepare' });

    const artifact = p.artifact
      ? await fetchArtifact(p.artifact, paths.artifactsDir, signal, (l) => print(l, { stage: 'download' }))
      : undefined;

    const scripts = join(paths.appDir, 'scripts');
    mkdirSync(scripts, { recursive: true, mode: 0o700 });
    const file = join(scripts, `${id}.sh`);
    writeFileSync(file, p.script, { mode: 0o700 });

    const env = deployEnv(p, paths, {
      commandId: id,
      ...(artifact ? { artifact } : {}),
      detach: detachEntry(dataDir),
    });
    // The script's text is kept with the command at the server; its file only serves the run.
    const outcome = await runScript({
      file,
      cwd: paths.appDir,
      env,
      signal,
      ...(p.timeout === undefined ? {} : { timeoutMs: p.timeout }),
      print: (line, level) => print(line, { stage: p.operation, level }),
    }).finally(() => rmSync(file, { force: true }));
    const result = {
      project: p.project,
      env: p.env,
      version: p.version,
      operation: p.operation,
      exitCode: outcome.exitCode,
      ...(outcome.signal ? { signal: outcome.signal } : {}),
      durationMs: outcome.durationMs,
    };
    if (outcome.stoppedBecause)
      throw new CommandError(`${label} stopped: ${outcome.stoppedBecause}; its process group was killed`);
    if (outcome.exitCode !== 0)
      throw new CommandError(
        `${label}: the script exited ${outcome.exitCode ?? `on ${outcome.signal}`} after ${outcome.durationMs} ms`,
      );
    print(`${label} done in ${outcome.durationMs} ms`, { stage: p.operation });
    return result;
  },
};
