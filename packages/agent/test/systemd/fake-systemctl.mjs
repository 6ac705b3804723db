#!/usr/bin/env node
/**
 * A stand-in for `systemctl`, for tests on machines without systemd as PID 1. It is NOT systemd:
 * it runs no process and reads only Restart=, RestartSec= and WantedBy= of a unit file. It keeps
 * made-up unit states in a JSON file and answers with the messages, exit codes and `show` format
 * recorded from a real systemd 252 user manager (see docs/agent.md, systemd backend):
 *
 *   start/restart of an unknown unit  "Failed to start U: Unit U not found."              exit 5
 *   stop of an unknown unit           "Failed to stop U: Unit U not loaded."              exit 5
 *   kill/reset-failed of a unit that is not loaded (unknown, or inactive and unloaded)
 *                                     "Failed to kill unit U: Unit U not loaded."         exit 1
 *                                     "Failed to reset failed state of unit U: …"         exit 1
 *   enable/disable without a file     "Failed to enable unit: Unit file U does not exist." exit 1
 *   start after start-limit-hit       "Job for U failed because start of the service was
 *                                      attempted too often." (+ 3 lines)                  exit 1
 *   show of an unknown unit           LoadState=not-found ActiveState=inactive …          exit 0
 *
 * start → active/running with a made-up MainPID above the kernel's pid_max (so it never names a
 * real process); stop → inactive/dead and unloaded; kill --signal=SIGSTOP/SIGCONT sets or clears a
 * `stopped` flag (what /proc would show as state T); reset-failed → failed becomes inactive, and
 * NRestarts is cleared. Tests put a unit in any other state (auto-restart, failed …) by writing
 * the state file.
 *
 * Environment:
 *   FAKE_SYSTEMCTL_UNIT_DIR  where unit files are looked for (required)
 *   FAKE_SYSTEMCTL_STATE     the JSON state file (required)
 *   FAKE_SYSTEMCTL_LOG       JSON lines, one {"argv": [...]} per invocation (optional)
 *   FAKE_SYSTEMD_VERSION     what --version says (default 252)
 *   FAKE_SYSTEMCTL_NOW       the time to record, epoch ms (default the clock)
 */
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

const argv = process.argv.slice(2);
const env = process.env;
if (env.FAKE_SYSTEMCTL_LOG) appendFileSync(env.FAKE_SYSTEMCTL_LOG, `${JSON.stringify({ argv })}\n`);

const unitDir = env.FAKE_SYSTEMCTL_UNIT_DIR;
const stateFile = env.FAKE_SYSTEMCTL_STATE;
const version = Number(env.FAKE_SYSTEMD_VERSION || 252);
const now = env.FAKE_SYSTEMCTL_NOW ? Number(env.FAKE_SYSTEMCTL_NOW) : Date.now();
const scope = argv.includes('--user') ? ' --user' : '';

function fail(message, code) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

if (!unitDir || !stateFile) fail('fake-systemctl: set FAKE_SYSTEMCTL_UNIT_DIR and FAKE_SYSTEMCTL_STATE', 1);

// Options and operands.
const props = [];
let signal = 'SIGTERM';
const operands = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--user' || a === '--system' || a === '--no-reload' || a === '--no-block' || a === '--no-pager')
    continue;
  if (a.startsWith('--property=')) props.push(...a.slice('--property='.length).split(','));
  else if (a === '-p' || a === '--property') props.push(...(argv[++i] ?? '').split(','));
  else if (a.startsWith('--signal=')) signal = a.slice('--signal='.length);
  else if (a === '-s' || a === '--signal') signal = argv[++i] ?? signal;
  else if (a === '--version') operands.unshift('--version');
  else if (a.startsWith('-')) fail(`systemctl: unrecognized option '${a}'`, 1);
  else operands.push(a);
}
const [verb, ...units] = operands;

const state = existsSync(stateFile)
  ? JSON.parse(readFileSync(stateFile, 'utf8'))
  : { nextPid: 5_000_001, units: {} };
state.units ??= {};
state.nextPid ??= 5_000_001;
function save() {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${stateFile}.tmp`, stateFile);
}

const fileOf = (u) => join(unitDir, u);
const isLink = (p) => {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};
const hasFile = (u) => existsSync(fileOf(u));

/** [Service] and [Install] keys of a unit file that the stand-in understands. */
function unitConfig(u) {
  const cfg = { Restart: 'no', RestartSec: '100ms', WantedBy: [] };
  if (!hasFile(u)) return cfg;
  for (const line of readFileSync(fileOf(u), 'utf8').split('\n')) {
    const m = /^(Restart|RestartSec|WantedBy)=(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'WantedBy') cfg.WantedBy.push(...m[2].split(/\s+/).filter(Boolean));
    else cfg[m[1]] = m[2];
  }
  return cfg;
}

function spanMs(v) {
  const m = /^(\d+)(ms|s|min)?$/.exec(v.trim());
  if (!m) return 100;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'min' ? 60_000 : 1000);
}

/** systemd's format_timespan as `show` prints it: `100ms`, `1s`, `1.500000s`, `1min 30s`, `0`. */
function formatSpan(ms) {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms}ms`;
  const parts = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['min', 60_000],
  ]) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(rest % 1000 === 0 ? `${rest / 1000}s` : `${(rest / 1000).toFixed(6)}s`);
  return parts.join(' ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** `Wed 2026-11-25 23:58:37 UTC`, as systemctl prints with TZ=UTC; empty when unset. */
function formatStamp(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

const fresh = () => ({
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
});

/** The loaded unit, loading it from its file if needed (start, stop and show load units). */
function load(u) {
  if (!state.units[u] && hasFile(u)) state.units[u] = fresh();
  return state.units[u];
}

function startUnit(u) {
  const s = load(u);
  if (s.activeState === 'active') return;
  Object.assign(s, {
    activeState: 'active',
    subState: 'running',
    result: 'success',
    mainPid: state.nextPid++,
    nRestarts: 0,
    execMainCode: 0,
    execMainStatus: 0,
    execMainStartTimestamp: now,
    execMainExitTimestamp: null,
    stateChangeTimestamp: now,
    stopped: false,
  });
}

// In the order systemd 252 prints them (D-Bus property order), with RestartUSecNext from 254 on.
const SHOW_ORDER = [
  'Restart',
  'RestartUSec',
  ...(version >= 254 ? ['RestartUSecNext'] : []),
  'MainPID',
  'Result',
  'NRestarts',
  'ExecMainStartTimestamp',
  'ExecMainExitTimestamp',
  'ExecMainCode',
  'ExecMainStatus',
  'LoadState',
  'ActiveState',
  'SubState',
  'StateChangeTimestamp',
  'InactiveEnterTimestamp',
];

function show(u) {
  const s = state.units[u] ?? fresh();
  const cfg = unitConfig(u);
  const values = {
    Restart: cfg.Restart,
    RestartUSec: formatSpan(spanMs(cfg.RestartSec)),
    RestartUSecNext: formatSpan(spanMs(cfg.RestartSec)),
    MainPID: String(s.mainPid),
    Result: s.result,
    NRestarts: String(s.nRestarts),
    ExecMainStartTimestamp: formatStamp(s.execMainStartTimestamp),
    ExecMainExitTimestamp: formatStamp(s.execMainExitTimestamp),
    ExecMainCode: String(s.execMainCode),
    ExecMainStatus: String(s.execMainStatus),
    LoadState: hasFile(u) ? 'loaded' : 'not-found',
    ActiveState: s.activeState,
    SubState: s.subState,
    StateChangeTimestamp: formatStamp(s.stateChangeTimestamp),
    InactiveEnterTimestamp: formatStamp(s.inactiveEnterTimestamp),
  };
  const wanted = props.length > 0 ? props : SHOW_ORDER;
  return SHOW_ORDER.filter((k) => wanted.includes(k))
    .map((k) => `${k}=${values[k]}\n`)
    .join('');
}

const notLoaded = (u) => !state.units[u];

switch (verb) {
  case '--version':
    process.stdout.write(
      `systemd ${version} (${version}.0-fake)\n+PAM +AUDIT -SELINUX +SECCOMP default-hierarchy=unified\n`,
    );
    break;

  case 'daemon-reload':
    for (const u of Object.keys(state.units))
      if (!hasFile(u) && state.units[u].activeState === 'inactive') delete state.units[u];
    break;

  case 'enable':
  case 'disable': {
    const missing = units.find((u) => !hasFile(u));
    if (missing) fail(`Failed to ${verb} unit: Unit file ${missing} does not exist.`, 1);
    for (const u of units) {
      if (verb === 'enable')
        for (const target of unitConfig(u).WantedBy) {
          const link = join(unitDir, `${target}.wants`, u);
          if (existsSync(link)) continue;
          mkdirSync(dirname(link), { recursive: true });
          symlinkSync(fileOf(u), link);
          process.stderr.write(`Created symlink ${link} → ${fileOf(u)}.\n`);
        }
      // disable removes every link to the unit, whatever its [Install] section says now.
      else
        for (const dir of readdirSync(unitDir).filter((d) => d.endsWith('.wants'))) {
          const link = join(unitDir, dir, u);
          if (!isLink(link)) continue;
          rmSync(link);
          process.stderr.write(`Removed "${link}".\n`);
        }
    }
    break;
  }

  case 'start':
  case 'restart':
    for (const u of units) {
      if (!load(u)) fail(`Failed to ${verb} ${u}: Unit ${u} not found.`, 5);
      const s = state.units[u];
      if (s.activeState === 'failed' && s.result === 'start-limit-hit')
        fail(
          `Job for ${u} failed because start of the service was attempted too often.\n` +
            `See "systemctl${scope} status ${u}" and "journalctl${scope} -xeu ${u}" for details.\n` +
            `To force a start use "systemctl${scope} reset-failed ${u}"\n` +
            `followed by "systemctl${scope} start ${u}" again.`,
          1,
        );
      if (verb === 'restart') s.activeState = 'inactive';
      startUnit(u);
    }
    break;

  case 'stop':
    for (const u of units) {
      if (!load(u)) fail(`Failed to stop ${u}: Unit ${u} not loaded.`, 5);
      // Stopped and unreferenced: systemd unloads it; show reads it again from its file.
      if (state.units[u].activeState !== 'failed') delete state.units[u];
    }
    break;

  case 'kill':
    for (const u of units) {
      if (notLoaded(u)) fail(`Failed to kill unit ${u}: Unit ${u} not loaded.`, 1);
      if (signal === 'SIGSTOP' || signal === 'STOP') state.units[u].stopped = true;
      if (signal === 'SIGCONT' || signal === 'CONT') state.units[u].stopped = false;
    }
    break;

  case 'reset-failed':
    for (const u of units) {
      if (notLoaded(u)) fail(`Failed to reset failed state of unit ${u}: Unit ${u} not loaded.`, 1);
      const s = state.units[u];
      s.nRestarts = 0;
      s.result = 'success';
      if (s.activeState === 'failed') delete state.units[u];
    }
    break;

  case 'show':
    process.stdout.write(units.map(show).join('\n'));
    break;

  default:
    fail(`Unknown command verb '${verb}'.`, 1);
}
save();
