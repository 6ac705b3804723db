import { describe, expect, it } from 'vitest';
import { redacted } from '../src/commands/deploy/artifact.ts';
import { defaultMethod, parseDetachArgs, systemdRunArgs, unitName } from '../src/commands/deploy/detached.ts';
import { deployEnv, deployPaths } from '../src/commands/deploy/env.ts';
import { LineSplitter } from '../src/commands/deploy/lines.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LineSplitter', () => {
  it.each([
    ['one line', ['a\n'], [], ['a']],
    ['lines across chunks', ['ab', 'c\nde', 'f\n'], [], ['abc', 'def']],
    ['CRLF', ['a\r\nb\r\n'], [], ['a', 'b']],
    ['no newline at the end', ['a\nb'], [], ['a', 'b']],
    ['empty lines kept', ['\n\nx\n'], [], ['', '', 'x']],
    ['a long line cut at the cap', ['abcdefghij\n'], [4], ['abcd', 'efgh', 'ij']],
    ['a long line without newline cut as it comes', ['abcdefghij'], [4], ['abcd', 'efgh', 'ij']],
    [
      'a UTF-8 character split between chunks',
      [new Uint8Array([0xc3]), new Uint8Array([0xa9, 0x0a])],
      [],
      ['é'],
    ],
  ] as const)('%s', (_name, chunks, args, want) => {
    const s = new LineSplitter(args[0]);
    const got = chunks.flatMap((c) => s.push(typeof c === 'string' ? bytes(c) : c));
    expect([...got, ...s.end()]).toEqual(want);
  });
});

describe('deploy environment', () => {
  const paths = deployPaths('/var/lib/opsfleet', { project: 'shop', env: 'prod', version: '2.0.1' });
  it.each([
    [
      'an update with artifact',
      { previousVersion: '2.0.0', operation: 'update' as const },
      '/var/lib/opsfleet/deploys/shop/prod/artifacts/abc',
      {
        OPSFLEET_PREVIOUS_VERSION: '2.0.0',
        OPSFLEET_OPERATION: 'update',
        OPSFLEET_ARTIFACT: '/var/lib/opsfleet/deploys/shop/prod/artifacts/abc',
      },
    ],
    [
      'a first install: no previous version',
      { operation: 'install' as const },
      '/a',
      { OPSFLEET_PREVIOUS_VERSION: '', OPSFLEET_OPERATION: 'install' },
    ],
    [
      'a first install as the server sends it: previous version null',
      { previousVersion: null, operation: 'install' as const },
      '/a',
      { OPSFLEET_PREVIOUS_VERSION: '', OPSFLEET_OPERATION: 'install' },
    ],
    [
      'a rollback without artifact',
      { previousVersion: '3.0.0', operation: 'rollback' as const },
      undefined,
      { OPSFLEET_PREVIOUS_VERSION: '3.0.0', OPSFLEET_ARTIFACT: '' },
    ],
  ])('%s', (_name, req, artifact, want) => {
    const env = deployEnv(
      { project: 'shop', env: 'prod', version: '2.0.1', target: 'web-1', ...req },
      paths,
      {
        commandId: 'c-1',
        detach: '/d',
        ...(artifact ? { artifact } : {}),
      },
    );
    expect(env).toMatchObject({
      OPSFLEET_PROJECT: 'shop',
      OPSFLEET_ENV: 'prod',
      OPSFLEET_VERSION: '2.0.1',
      OPSFLEET_TARGET: 'web-1',
      OPSFLEET_APP_DIR: '/var/lib/opsfleet/deploys/shop/prod',
      OPSFLEET_RELEASE_DIR: '/var/lib/opsfleet/deploys/shop/prod/releases/2.0.1',
      OPSFLEET_COMMAND_ID: 'c-1',
      OPSFLEET_DETACH: '/d',
      ...want,
    });
    expect(Object.values(env).every((v) => typeof v === 'string')).toBe(true);
  });
});

describe('systemd-run command line', () => {
  it.each([
    [
      'with a log and working folder',
      {
        method: 'systemd-run' as const,
        command: '/srv/app/bin/start',
        args: ['--port', '8080'],
        unit: 'opsfleet-shop-2.0.1',
        log: '/var/log/shop.log',
        cwd: '/srv/app',
      },
      [
        '--unit=opsfleet-shop-2.0.1',
        '--collect',
        '--property=KillMode=control-group',
        '--working-directory=/srv/app',
        '--property=StandardOutput=append:/var/log/shop.log',
        '--property=StandardError=append:/var/log/shop.log',
        '--',
        '/srv/app/bin/start',
        '--port',
        '8080',
      ],
    ],
    [
      'output to the journal, unit named after the command',
      { method: 'systemd-run' as const, command: '/usr/bin/worker', args: [] },
      ['--unit=opsfleet-worker', '--collect', '--property=KillMode=control-group', '--', '/usr/bin/worker'],
    ],
  ])('%s', (_name, req, want) => {
    expect(systemdRunArgs(req)).toEqual(want);
  });

  it.each([
    [['shop', 'prod', '2.0.1'], 'opsfleet-shop-prod-2.0.1'],
    [['my shop', '1.0+build/7'], 'opsfleet-my_shop-1.0_build_7'],
  ])('unit name of %j is %s', (parts, want) => expect(unitName(...parts)).toBe(want));

  it.each([
    [true, 'systemd-run'],
    [false, 'setsid'],
  ] as const)('systemd booted %s → %s by default', (booted, want) =>
    expect(defaultMethod(booted)).toBe(want),
  );
});

describe('detach arguments', () => {
  it.each([
    [
      ['--log', '/l', '--', 'sleep', '9'],
      false,
      { method: 'setsid', command: 'sleep', args: ['9'], log: '/l' },
    ],
    [['--', '/bin/app'], true, { method: 'systemd-run', command: '/bin/app', args: [] }],
    [
      ['--method', 'nohup', '--log', '/l', '--pid-file', '/p', '--cwd', '/c', '--', 'a', '--b'],
      true,
      { method: 'nohup', command: 'a', args: ['--b'], log: '/l', pidFile: '/p', cwd: '/c' },
    ],
    [
      ['--method', 'systemd-run', '--unit', 'u', '--', 'a'],
      false,
      { method: 'systemd-run', unit: 'u', command: 'a' },
    ],
  ])('%j (systemd %s)', (argv, booted, want) => {
    expect(parseDetachArgs(argv, booted)).toMatchObject(want);
  });

  it.each([
    [['sleep', '9'], /the command to start goes after --/],
    [['--log', '/l', '--'], /the command to start goes after --/],
    [
      ['--method', 'fork', '--log', '/l', '--', 'a'],
      /--method: fork is none of auto, systemd-run, setsid, nohup/,
    ],
    [['--method', 'setsid', '--', 'a'], /--log: the setsid method needs a file/],
    [['--verbose', '--', 'a'], /unknown flag --verbose/],
    [['--log', '--', 'a'], /--log: needs a value|the command to start/],
  ])('%j is refused', (argv, error) => {
    expect(() => parseDetachArgs(argv, false)).toThrow(error);
  });
});

describe('artifact URL as shown', () => {
  it.each([
    ['https://user:pw@example.com/a.tgz', 'https://example.com/a.tgz'],
    [
      'https://bucket.s3.amazonaws.com/a.tgz?X-Amz-Signature=secret',
      'https://bucket.s3.amazonaws.com/a.tgz?…',
    ],
    ['not a url', '(an invalid URL)'],
  ])('%s → %s', (url, want) => expect(redacted(url)).toBe(want));
});
