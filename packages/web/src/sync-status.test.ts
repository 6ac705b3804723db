import { describe, expect, it } from 'vitest';
import { firstLine, peerSummary, syncSummary, versionsText } from './sync-status.ts';

const base = {
  agentId: 'a1',
  desiredVersion: 3,
  pinnedVersion: null,
  appliedVersion: 3,
  inSync: true,
  lastAttemptAt: '2026-12-07T18:00:00Z',
  lastError: null,
};

describe('a sync target’s state', () => {
  it.each([
    ['the peer loads the desired version', {}, 'in-sync', 'in sync', 'The peer loads version 3.'],
    [
      'rolled back: pinned and loaded',
      { pinnedVersion: 3 },
      'in-sync',
      'in sync',
      'The peer loads version 3 (pinned).',
    ],
    [
      'a newer version not loaded yet',
      { desiredVersion: 4, inSync: false },
      'behind',
      'behind',
      'The peer loads version 3; it should load version 4.',
    ],
    [
      'a failed attempt the peer reverted',
      { desiredVersion: 4, inSync: false, lastError: 'promtool: bad rule' },
      'failed',
      'failed',
      'The last attempt failed; the peer keeps version 3, it should load version 4.',
    ],
    [
      'a failure on the first attempt',
      { appliedVersion: null, inSync: false, lastError: 'amtool: no route' },
      'failed',
      'failed',
      'The last attempt failed; the peer has loaded nothing from opsfleet, it should load version 3.',
    ],
    [
      'never reported',
      { appliedVersion: null, inSync: false, lastAttemptAt: null },
      'pending',
      'not applied yet',
      'Its ConfigAgent has not reported yet; it is to load version 3.',
    ],
    [
      'no agent to apply it',
      { agentId: null, appliedVersion: null, inSync: false, lastAttemptAt: null },
      'unassigned',
      'no agent',
      "No host agent applies it: pick the agent on the peer's host to have version 3 loaded.",
    ],
    [
      'nothing rendered',
      { desiredVersion: null, appliedVersion: null, inSync: false },
      'empty',
      'no version',
      'Nothing rendered yet.',
    ],
  ] as const)('%s', (_, change, state, label, detail) => {
    expect(syncSummary({ ...base, ...change })).toMatchObject({ state, label, detail });
  });

  it.each([
    [{ desiredVersion: 4, appliedVersion: 3 }, '4 / 3'],
    [{ desiredVersion: 1, appliedVersion: null }, '1 / —'],
    [{ desiredVersion: null, appliedVersion: null }, '— / —'],
  ])('shows desired / applied as %j → %s', (t, text) => {
    expect(versionsText(t)).toBe(text);
  });

  it.each([
    [null, ''],
    ['', ''],
    [
      '\n  promtool: rules.yml: 3:9: group "x", rule 1: could not parse\nmore\n',
      'promtool: rules.yml: 3:9: group "x", rule 1: could not parse',
    ],
    ['reload failed', 'reload failed'],
  ])('takes the first line of %j', (text, line) => {
    expect(firstLine(text)).toBe(line);
  });
});

describe('the peer as its ConfigAgent saw it', () => {
  const at = '2026-12-07T19:00:00.000Z';
  it.each([
    [null, 'not reported'],
    [
      { up: false, reloadSuccessful: null, error: 'http://p/metrics: connect ECONNREFUSED', checkedAt: at },
      'unreachable',
    ],
    [{ up: true, reloadSuccessful: false, checkedAt: at }, 'last reload failed'],
    [{ up: true, reloadSuccessful: true, checkedAt: at }, 'up'],
    [{ up: true, reloadSuccessful: null, checkedAt: at }, 'up'],
  ] as const)('%j → %s', (peer, label) => {
    expect(peerSummary(peer).label).toBe(label);
  });
  it('says why an unreachable peer is', () => {
    expect(
      peerSummary({
        up: false,
        reloadSuccessful: null,
        error: 'http://p/metrics: connect ECONNREFUSED',
        checkedAt: at,
      }).detail,
    ).toContain('ECONNREFUSED');
  });
});
