import { describe, expect, it } from 'vitest';
import {
  type EnvironmentValues,
  environmentBody,
  environmentValues,
  labelsText,
  parseLabels,
  versionBody,
  versionValues,
  windowText,
} from './release-forms.ts';

describe('labels typed as text', () => {
  it.each([
    ['', { labels: {} }],
    ['zone=a', { labels: { zone: 'a' } }],
    [' zone = a , rack=r1\nrole=web ', { labels: { zone: 'a', rack: 'r1', role: 'web' } }],
    ['empty=', { labels: { empty: '' } }],
    ['zone', { error: '"zone" is not name=value' }],
    ['=a', { error: '"=a" is not name=value' }],
  ])('%j → %j', (text, want) => {
    expect(parseLabels(text)).toEqual(want);
  });

  it('round-trips through the text shown for editing', () => {
    expect(parseLabels(labelsText({ zone: 'a', rack: 'r1' }))).toEqual({ labels: { zone: 'a', rack: 'r1' } });
  });
});

describe('the environment form', () => {
  it.each([
    ['without a window', { windowOn: false }, null, 'any time'],
    [
      'with a window',
      { windowOn: true, timezone: ' Europe/Berlin ', days: ['sat', 'sun'], start: '02:00', end: '04:00' },
      { timezone: 'Europe/Berlin', days: ['sat', 'sun'], start: '02:00', end: '04:00' },
      'sat, sun 02:00–04:00 Europe/Berlin',
    ],
  ] as const)('%s', (_, change, window, text) => {
    const body = environmentBody({
      ...environmentValues(undefined),
      name: ' prod ',
      ...change,
    } as EnvironmentValues);
    expect(body).toEqual({ name: 'prod', approval_required: false, approvers: [], release_window: window });
    expect(windowText({ releaseWindow: body.release_window })).toBe(text);
  });
});

describe('the version form', () => {
  it.each([
    ['no artifact is null', '', '', null, null],
    ['an artifact', ' https://a.example/x.tgz ', 'AB'.repeat(32), 'https://a.example/x.tgz', 'AB'.repeat(32)],
  ])('%s', (_, url, sha, wantUrl, wantSha) => {
    const body = versionBody({
      ...versionValues(undefined),
      version: '1.2.3 ',
      artifactUrl: url,
      artifactSha256: sha,
    });
    expect(body).toMatchObject({ version: '1.2.3', artifact_url: wantUrl, artifact_sha256: wantSha });
  });
});
