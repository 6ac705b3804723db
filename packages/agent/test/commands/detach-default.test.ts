import { describe, expect, it } from 'vitest';
import { defaultMethod, parseDetachArgs, systemdRunUsable } from '../../src/commands/deploy/detached.ts';

/**
 * `--method auto` picks systemd-run only where it can work: systemd is PID 1 and the agent is
 * root. An unprivileged agent under systemd (deploy/systemd/opsfleet-agent-user.service) falls
 * back to setsid; before, every detached start of the template deploy script failed there.
 */
describe('the detach method by default', () => {
  it.each([
    [true, 0, 'systemd-run'],
    [true, 998, 'setsid'],
    [false, 0, 'setsid'],
    [false, 998, 'setsid'],
  ] as const)('systemd booted %s, uid %i → %s', (booted, uid, want) => {
    expect(defaultMethod(systemdRunUsable(booted, uid))).toBe(want);
    expect(parseDetachArgs(['--log', '/l', '--', 'app'], systemdRunUsable(booted, uid)).method).toBe(want);
  });
});
