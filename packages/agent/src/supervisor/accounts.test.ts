import { describe, expect, it } from 'vitest';
import { type AccountFiles, resolveIdentity } from './accounts.ts';

const files = (uid: number, gid = uid): AccountFiles => ({
  passwd: [
    'root:x:0:0:root:/root:/bin/bash',
    '# a comment',
    'app:x:1001:1002:App:/srv/app:/usr/sbin/nologin',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  ].join('\n'),
  group: ['root:x:0:', 'web:x:1002:app', 'deploy:x:1003:'].join('\n'),
  uid,
  gid,
});

describe('resolveIdentity', () => {
  it.each([
    ['nothing asked', undefined, undefined, { env: {} }],
    [
      'a user: its uid, primary group and login env',
      'app',
      undefined,
      { uid: 1001, gid: 1002, env: { HOME: '/srv/app', USER: 'app', LOGNAME: 'app' } },
    ],
    [
      'a user and another group',
      'app',
      'deploy',
      { uid: 1001, gid: 1003, env: { HOME: '/srv/app', USER: 'app', LOGNAME: 'app' } },
    ],
    ['numeric ids not in the files', '4000', '4001', { uid: 4000, gid: 4001, env: {} }],
    ['a group alone', undefined, 'web', { gid: 1002, env: {} }],
  ])('as root, %s', (_, user, group, identity) => {
    expect(resolveIdentity(user, group, files(0))).toEqual(identity);
  });

  it.each([
    ['an unknown user', 'ghost', undefined, files(0), 'user ghost is not in /etc/passwd'],
    ['an unknown group', 'app', 'ghosts', files(0), 'group ghosts is not in /etc/group'],
    [
      'another user when not root',
      'app',
      undefined,
      files(1000),
      'running as user app needs the agent to run as root (it runs as uid 1000)',
    ],
  ])('refuses %s', (_, user, group, f, message) => {
    expect(() => resolveIdentity(user, group, f)).toThrow(message);
  });

  it('lets a non-root agent name its own identity', () => {
    expect(resolveIdentity('app', 'web', files(1001, 1002))).toMatchObject({ uid: 1001, gid: 1002 });
  });
});
