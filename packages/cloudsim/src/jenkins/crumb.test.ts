import { describe, expect, it } from 'vitest';
import { crumbValid, issueCrumb } from './crumb.ts';

describe('Jenkins crumb', () => {
  const issued = { user: 'alice', session: 's1', ip: '127.0.0.1', salt: 'salt-a' };
  const crumb = issueCrumb(issued);

  it.each([
    ['the same user, session, address and salt', issued, true],
    ['another user', { ...issued, user: 'bob' }, false],
    ['another session (cookie not kept)', { ...issued, session: 's2' }, false],
    ['no session', { ...issued, session: undefined }, false],
    ['another address', { ...issued, ip: '10.0.0.2' }, false],
    ['a restarted instance (new salt)', { ...issued, salt: 'salt-b' }, false],
  ])('is valid with %s: %s', (_, input, valid) => {
    expect(crumbValid(crumb, input)).toBe(valid);
  });

  it('refuses a missing or truncated crumb', () => {
    expect(crumbValid(undefined, issued)).toBe(false);
    expect(crumbValid(crumb.slice(1), issued)).toBe(false);
  });

  it('without the session part, a crumb survives a new session', () => {
    const noSession = issueCrumb({ ...issued, session: undefined });
    expect(crumbValid(noSession, { ...issued, session: undefined })).toBe(true);
  });
});
