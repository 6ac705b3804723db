import { isSameProcess } from '../proc/stat.ts';

/**
 * Adopted processes are not the agent's children, so no exit event comes for them. One timer
 * per poll interval watches all of them: each tick probes every pid with signal 0 (a single
 * syscall), and every `identityEvery` ticks reads /proc/<pid>/stat to check the start time and
 * zombie state, which catches a pid reused or a process left unreaped between two probes.
 * Fifty services polled separately cost 100 /proc reads a second; this costs 100 syscalls and
 * 10 reads.
 */
export class AdoptedWatch {
  private readonly watched = new Map<number, { startTime: number; onExit: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(
    private readonly pollMs: number,
    private readonly identityEvery = 10,
    private readonly alive: (pid: number, startTime: number) => boolean = isSameProcess,
  ) {}

  /** Calls `onExit` once when the process is gone; the returned function stops watching. */
  watch(pid: number, startTime: number, onExit: () => void): () => void {
    const entry = { startTime, onExit };
    this.watched.set(pid, entry);
    this.timer ??= setInterval(() => this.tick(), this.pollMs);
    return () => {
      if (this.watched.get(pid) === entry) this.forget(pid);
    };
  }

  get size(): number {
    return this.watched.size;
  }

  private tick(): void {
    const full = ++this.ticks % this.identityEvery === 0;
    for (const [pid, { startTime, onExit }] of this.watched) {
      if (full ? this.alive(pid, startTime) : signalZero(pid)) continue;
      this.forget(pid);
      onExit();
    }
  }

  private forget(pid: number): void {
    this.watched.delete(pid);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
