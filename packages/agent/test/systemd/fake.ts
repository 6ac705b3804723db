import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The recorded systemctl stand-in (not systemd: see fake-systemctl.mjs) and its files, in a fresh folder. */
export const FAKE_SYSTEMCTL = fileURLToPath(new URL('./fake-systemctl.mjs', import.meta.url));

export interface FakeUnitState {
  activeState: string;
  subState: string;
  result: string;
  mainPid: number;
  nRestarts: number;
  execMainCode: number;
  execMainStatus: number;
  execMainStartTimestamp: number | null;
  execMainExitTimestamp: number | null;
  stateChangeTimestamp: number | null;
  inactiveEnterTimestamp: number | null;
  /** SIGSTOP was sent and no SIGCONT since. */
  stopped: boolean;
}

const roots: string[] = [];

/** Deletes the folders of every stand-in made so far (for afterAll). */
export function removeFakes(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function fakeSystemd(opts: { version?: number } = {}) {
  // The file loses its execute bit in some checkouts; the stand-in is run as a program.
  chmodSync(FAKE_SYSTEMCTL, 0o755);
  const root = mkdtempSync(join(tmpdir(), 'opsfleet-systemd-'));
  roots.push(root);
  const unitDir = join(root, 'units');
  const stateFile = join(root, 'state.json');
  const logFile = join(root, 'calls.jsonl');
  const dataDir = join(root, 'data');
  mkdirSync(unitDir);
  const env = {
    FAKE_SYSTEMCTL_UNIT_DIR: unitDir,
    FAKE_SYSTEMCTL_STATE: stateFile,
    FAKE_SYSTEMCTL_LOG: logFile,
    FAKE_SYSTEMD_VERSION: String(opts.version ?? 252),
  };
  const readState = () =>
    existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, 'utf8')) as {
          nextPid: number;
          units: Record<string, FakeUnitState>;
        })
      : { nextPid: 5_000_001, units: {} as Record<string, FakeUnitState> };
  let seen = 0;
  return {
    root,
    unitDir,
    dataDir,
    env,
    binary: FAKE_SYSTEMCTL,
    /** Every argv the stand-in was called with, oldest first. */
    calls(): string[][] {
      if (!existsSync(logFile)) return [];
      return readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
    },
    /** The calls since the last time this was asked, as command lines. */
    newCalls(): string[] {
      const all = this.calls();
      const out = all.slice(seen).map((a) => a.join(' '));
      seen = all.length;
      return out;
    },
    unit(name: string): FakeUnitState | undefined {
      return readState().units[name];
    },
    /** Puts a unit in a state systemd would reach by itself (a crash loop, a start limit…). */
    setUnit(name: string, patch: Partial<FakeUnitState>): void {
      const state = readState();
      state.units[name] = { ...(state.units[name] ?? defaults()), ...patch };
      writeFileSync(stateFile, JSON.stringify(state, null, 2));
    },
  };
}

function defaults(): FakeUnitState {
  return {
    activeState: 'inactive',
    subState: 'dead',
    result: 'success',
    mainPid: 0,
    nRestarts: 0,
    execMainCode: 0,
    execMainStatus: 0,
    execMainStartTimestamp: null,
    execMainExitTimestamp: null,
    stateChangeTimestamp: null,
    inactiveEnterTimestamp: null,
    stopped: false,
  };
}
