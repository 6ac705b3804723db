import { describe, expect, it } from 'vitest';
import { compileSource } from './match.ts';
import { FileSourceSpec } from './spec.ts';

const source = (fields: Record<string, unknown> = {}) =>
  FileSourceSpec.parse({
    name: 'dumps',
    path: '/data/dumps',
    destination: 'main',
    labels: { team: 'core' },
    ...fields,
  });

describe('compileSource().match', () => {
  const cases: [string, Record<string, unknown>, string, string | true][] = [
    ['every file by default', {}, 'a/b/heap.hprof', true],
    ['a hidden file is a file (dot: true)', {}, '.env', true],
    ['a file under a hidden folder', {}, '.cache/x.bin', true],
    ['include by extension, nested', { include: ['**/*.hprof'] }, 'svc/2024/heap.hprof', true],
    ['include by extension, at the root', { include: ['**/*.hprof'] }, 'heap.hprof', true],
    ['include misses', { include: ['**/*.hprof'] }, 'svc/core.log', 'not-included'],
    ['several extensions', { include: ['**/*.log.gz', '**/*.hprof'] }, 'x/a.log.gz', true],
    ['exclude wins over include', { exclude: ['private/**'] }, 'private/k.pem', 'excluded'],
    ['default temp pattern *.tmp', {}, 'a/upload.tmp', 'temp-name'],
    ['temp pattern on the base name only', {}, 'x.tmp/real.hprof', true],
    ['vim swap file is hidden and temp', {}, 'a/.heap.hprof.swp', 'temp-name'],
    ['office lock file', {}, '~$report.docx', 'temp-name'],
    ['partial download', {}, 'big.iso.crdownload', 'temp-name'],
    ['own temp list replaces the default', { tempPatterns: ['*.inprogress'] }, 'a.tmp', true],
    ['own temp list applies', { tempPatterns: ['*.inprogress'] }, 'a.inprogress', 'temp-name'],
    ['ignored dir at the top', {}, '.git/HEAD', 'ignored-dir'],
    ['ignored dir deep down', {}, 'a/b/lost+found/x', 'ignored-dir'],
    ['an ignored name as a file name is fine', { ignoreDirs: ['tmp'] }, 'a/tmp', true],
    ['not recursive: direct child', { recursive: false }, 'heap.hprof', true],
    ['not recursive: nested', { recursive: false }, 'a/heap.hprof', 'not-direct-child'],
    ['.. never', {}, '../etc/passwd', 'invalid-path'],
    ['.. inside never', {}, 'a/../../etc/passwd', 'invalid-path'],
    ['absolute never', {}, '/etc/passwd', 'invalid-path'],
    ['empty segment', {}, 'a//b', 'invalid-path'],
    ['empty', {}, '', 'invalid-path'],
  ];
  it.each(cases)('%s', (_name, fields, relPath, want) => {
    const m = compileSource(source(fields)).match(relPath);
    if (want === true) expect(m.taken).toBe(true);
    else expect(m).toEqual({ taken: false, reason: want });
  });

  it('routes by the first sub-folder that contains the file, merging labels', () => {
    const m = compileSource(
      source({
        routes: [
          { subdir: 'app-a/', destination: 'archive', labels: { app: 'a' } },
          { subdir: './app-a/deep', destination: 'never', labels: { app: 'deep' } },
          { subdir: 'app-b', labels: { app: 'b', team: 'b-team' } },
        ],
      }),
    );
    expect(m.match('app-a/deep/x.hprof')).toEqual({
      taken: true,
      destination: 'archive',
      labels: { team: 'core', app: 'a' },
      route: 'app-a/',
    });
    expect(m.match('app-b/x')).toEqual({
      taken: true,
      destination: 'main',
      labels: { team: 'b-team', app: 'b' },
      route: 'app-b',
    });
    // A name that only starts like the sub-folder is not in it.
    expect(m.match('app-bb/x')).toEqual({ taken: true, destination: 'main', labels: { team: 'core' } });
  });
});

describe('compileSource().enters', () => {
  it.each([
    ['a plain folder', {}, 'a/b', true],
    ['an ignored folder', {}, 'a/.git', false],
    ['below an ignored folder', {}, '.git/objects', false],
    ['not recursive', { recursive: false }, 'a', false],
    ['..', {}, '..', false],
  ] as [string, Record<string, unknown>, string, boolean][])('%s', (_n, fields, dir, want) => {
    expect(compileSource(source(fields)).enters(dir)).toBe(want);
  });
});
