import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shipped units: systemd accepts them, both keep the services running across an agent
 * restart (KillMode=process), keep what the agent writes private, and the unprivileged one
 * holds no capability its services could inherit.
 */
const DIR = join(import.meta.dirname, '../../../deploy/systemd');
const UNITS = ['opsfleet-agent.service', 'opsfleet-agent-user.service'];
const settings = (unit: string) =>
  new Map(
    readFileSync(join(DIR, unit), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Za-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/systemd', () => {
  it.runIf(analyze).each(UNITS)('%s passes systemd-analyze verify', (unit) => {
    expect(() =>
      execFileSync('systemd-analyze', ['verify', join(DIR, unit)], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it.each(UNITS)('%s leaves the services running when the agent stops, and its files private', (unit) => {
    const s = settings(unit);
    expect(s.get('KillMode')).toBe('process');
    expect(s.get('StateDirectoryMode')).toBe('0700');
    expect(s.get('ProtectSystem')).toMatch(/^(full|strict)$/);
  });

  it('runs the unprivileged agent with no capabilities and no way to gain any', () => {
    const s = settings('opsfleet-agent-user.service');
    expect(s.get('User')).toBe('opsfleet');
    expect(s.get('CapabilityBoundingSet')).toBe('');
    expect(s.get('NoNewPrivileges')).toBe('yes');
  });
});
