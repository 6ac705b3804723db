import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** How a command ended, as sent to the server (and again, the same, if it asks again). */
export interface Outcome {
  status: 'succeeded' | 'failed';
  result?: unknown;
  error?: string;
}

export type JournalEntry =
  | { id: string; kind: string; state: 'started'; startedAt: string }
  | ({ id: string; kind: string; state: 'done'; startedAt: string; finishedAt: string } & Outcome);

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The commands this agent has run, one file per command id in `<dataDir>/commands`: written
 * (and synced) when a command starts and again with its outcome, before the outcome is sent.
 * Delivery is at least once; with this, a command handed out again — after its result was
 * lost, or after the agent restarted — is answered from here instead of run twice.
 */
export class Journal {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    // The id comes from the server and becomes a file name: nothing but a uuid gets that far.
    if (!ID.test(id)) throw new Error(`not a command id: ${JSON.stringify(id).slice(0, 80)}`);
    return join(this.dir, `${id.toLowerCase()}.json`);
  }

  get(id: string): JournalEntry | undefined {
    try {
      return JSON.parse(readFileSync(this.file(id), 'utf8')) as JournalEntry;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  started(id: string, kind: string): JournalEntry {
    const entry: JournalEntry = { id, kind, state: 'started', startedAt: new Date().toISOString() };
    this.write(id, entry);
    return entry;
  }

  finished(id: string, kind: string, startedAt: string, outcome: Outcome): JournalEntry {
    const entry: JournalEntry = {
      id,
      kind,
      state: 'done',
      startedAt,
      finishedAt: new Date().toISOString(),
      ...outcome,
    };
    this.write(id, entry);
    return entry;
  }

  /** Forgets commands older than `ms`: the server hands nothing out past its deadline (at most 7 days). */
  prune(ms: number): number {
    const cutoff = Date.now() - ms;
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat && stat.mtimeMs < cutoff) {
        rmSync(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  /** Synced and renamed into place: a crash leaves the old entry or the new one, never half. */
  private write(id: string, entry: JournalEntry): void {
    const path = this.file(id);
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(entry));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
}
