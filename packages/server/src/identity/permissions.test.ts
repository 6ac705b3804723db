import { describe, expect, it } from 'vitest';
import { can, PERMISSIONS, ROLES } from './permissions.ts';

describe('roles', () => {
  it.each([
    ['admin', 'user:write', true],
    ['admin', 'alert:ingest', true],
    ['operator', 'alert:acknowledge', true],
    ['operator', 'user:write', false],
    ['operator', 'apikey:write', false],
    ['viewer', 'alert:read', true],
    ['viewer', 'alert:acknowledge', false],
    ['viewer', 'alert:ingest', false],
    ['ingest', 'alert:ingest', true],
    ['ingest', 'alert:read', false],
  ] as const)('%s may %s: %s', (role, permission, allowed) => {
    expect(can(role, permission)).toBe(allowed);
  });

  it('gives admin every permission and every other role a strict subset', () => {
    for (const p of PERMISSIONS) expect(can('admin', p)).toBe(true);
    for (const role of ROLES.filter((r) => r !== 'admin'))
      expect(PERMISSIONS.filter((p) => can(role, p)).length).toBeLessThan(PERMISSIONS.length);
  });
});
