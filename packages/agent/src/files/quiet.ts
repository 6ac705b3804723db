/**
 * The quiet window: a file is complete when its size and mtime have not changed for `quiet` ms
 * and no process has it open for writing. Two looks `quiet` apart are enough (any write between
 * them moves mtime), so a candidate is looked at when it is found and again when its window ends,
 * not polled. The window is counted from our own looks, never from the file's mtime: `cp -p` and
 * `tar` set an old mtime on a file they are still writing.
 */
export interface Observation {
  /** Monotonic milliseconds of the look. */
  at: number;
  /** Absent when the file is gone. */
  stat?: { size: number; mtimeMs: number };
  /** Known only when someone checked (it is costly); `true` restarts the window. */
  openForWrite?: boolean;
}

export interface QuietTrack {
  size: number;
  mtimeMs: number;
  /** When this size and mtime were first seen (or a writer last seen). */
  since: number;
}

export type QuietVerdict =
  | { kind: 'waiting'; track: QuietTrack; checkAt: number }
  | { kind: 'ready'; track: QuietTrack }
  | { kind: 'gone' };

export function observe(track: QuietTrack | undefined, obs: Observation, quietMs: number): QuietVerdict {
  if (!obs.stat) return { kind: 'gone' };
  const { size, mtimeMs } = obs.stat;
  const restart = (): QuietVerdict => ({
    kind: 'waiting',
    track: { size, mtimeMs, since: obs.at },
    checkAt: obs.at + quietMs,
  });
  if (!track || track.size !== size || track.mtimeMs !== mtimeMs) return restart();
  // A writer holding the file open (a JVM between heap-dump chunks) may write again: wait a whole window after it is last seen.
  if (obs.openForWrite === true) return restart();
  if (obs.at - track.since >= quietMs) return { kind: 'ready', track };
  return { kind: 'waiting', track, checkAt: track.since + quietMs };
}
