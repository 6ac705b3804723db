import { describe, expect, it } from 'vitest';
import type { ConfigTarget } from '../spec.ts';
import { changedPaths, isOwnedRuleFile, placeFiles } from './layout.ts';

const prom: ConfigTarget = {
  name: 'p',
  kind: 'prometheus',
  rulesDir: '/etc/prom/rules',
  url: 'http://x',
  reload: 'http',
};
const am: ConfigTarget = {
  name: 'a',
  kind: 'alertmanager',
  configFile: '/etc/am/alertmanager.yml',
  passwordFile: '/etc/am/key',
  url: 'http://x',
  reload: 'http',
};

describe('placeFiles', () => {
  it('puts rule files in the rules folder under their own names', () => {
    expect(placeFiles(prom, { 'opsfleet-a-1f2e3d.yml': 'x' })).toEqual({
      ok: true,
      files: { '/etc/prom/rules/opsfleet-a-1f2e3d.yml': 'x' },
    });
  });
  it.each(['../../etc/passwd', 'opsfleet-../x.yml', 'sub/opsfleet-a.yml', 'other.yml', 'opsfleet-a.yaml'])(
    'refuses the file name %s',
    (name) => {
      const r = placeFiles(prom, { [name]: 'x' });
      expect(r.ok).toBe(false);
    },
  );
  it("writes an Alertmanager's one file to its configFile, whatever the server calls it", () => {
    expect(placeFiles(am, { 'alertmanager.yml': 'route: {}' })).toEqual({
      ok: true,
      files: { '/etc/am/alertmanager.yml': 'route: {}' },
    });
    expect(placeFiles(am, { 'a.yml': '', 'b.yml': '' }).ok).toBe(false);
  });
});

describe('changedPaths', () => {
  it('lists added, removed and changed files', () => {
    expect(changedPaths({ '/a': '1', '/b': '2', '/c': '3' }, { '/a': '1', '/b': 'x', '/d': '4' })).toEqual([
      '/b',
      '/c',
      '/d',
    ]);
  });
  it('is empty for equal configurations', () => {
    expect(changedPaths({ '/a': '1' }, { '/a': '1' })).toEqual([]);
  });
});

it('owns opsfleet-*.yml only', () => {
  expect(isOwnedRuleFile('opsfleet-x-abc123.yml')).toBe(true);
  expect(isOwnedRuleFile('node.rules.yml')).toBe(false);
});
