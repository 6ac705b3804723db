import { describe, expect, it } from 'vitest';
import { S3DestinationSpec } from '../spec.ts';
import { checkKeyTemplate, KeyError, objectKey } from './key.ts';

const file = {
  host: 'web-1',
  source: 'dumps',
  relPath: 'app-a/java_pid42.hprof',
  labels: { app: 'billing', env: 'prod' },
  time: new Date('2026-03-04T05:06:07.890Z'),
};

describe('object keys', () => {
  it.each([
    ['{host}/{source}/{date}/{path}', 'web-1/dumps/2026-03-04/app-a/java_pid42.hprof'],
    ['{label.env}/{label.app}/{date}T{time}-{name}', 'prod/billing/2026-03-04T050607-java_pid42.hprof'],
    ['by-type/{ext}/{dir}/{name}', 'by-type/hprof/app-a/java_pid42.hprof'],
    ['/leading/{path}', 'leading/app-a/java_pid42.hprof'],
    ['a//b/{path}/', 'a/b/app-a/java_pid42.hprof'],
  ])('%s → %s', (template, key) => {
    expect(objectKey(template, file)).toBe(key);
  });

  it.each([
    ['a file at the root has an empty {dir}, dropped', 'top.log', '{dir}/{name}', 'top.log'],
    ['a name without a dot has no {ext}', 'app/README', 'x/{ext}/{name}', 'x/README'],
    ['a dot file is not an extension', 'app/.env', '{ext}-{name}', '-.env'],
    ['the last dot decides', 'logs/a.log.gz', '{ext}/{path}', 'gz/logs/a.log.gz'],
  ])('%s', (_, relPath, template, key) => {
    expect(objectKey(template, { ...file, relPath })).toBe(key);
  });

  it.each([
    ['a label the file lacks', '{label.team}/{path}', file, /no label 'team'/],
    [
      'a label value that climbs out',
      '{label.app}/{path}',
      { ...file, labels: { app: '..' } },
      /'\.\.' segment/,
    ],
    ['a host named .', '{host}/{path}', { ...file, host: '.' }, /'\.' segment/],
    ['a key over 1024 bytes', '{path}', { ...file, relPath: 'é'.repeat(513) }, /1026 bytes/],
  ])('refuses %s', (_, template, input, message) => {
    expect(() => objectKey(template, input)).toThrow(KeyError);
    expect(() => objectKey(template, input)).toThrow(message);
  });

  it.each([
    ['{host}/{source}/{date}/{path}', []],
    ['{label.app}/{name}', []],
    ['{host}/{file}', ["unknown field '{file}'", 'has neither']],
    ['{label.}/{path}', ["'{label.}' names no label"]],
    ['{host}/{date}', ['has neither {path} nor {name}']],
    ['{host}/{path', ["unmatched '{'", 'has neither']],
    ['{host}/../{path}', ["a '.' or '..' segment"]],
  ])('template %s: problems %j', (template, expected) => {
    const problems = checkKeyTemplate(template);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((p, i) => {
      expect(problems[i]).toContain(p);
    });
  });
});

describe('key templates in agent.yaml', () => {
  it('a destination whose key has an unknown field is refused at load, at its path', () => {
    const parsed = S3DestinationSpec.safeParse({ bucket: 'logs', key: '{host}/{filename}' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['key', expect.stringContaining("unknown field '{filename}'")],
      ['key', expect.stringContaining('neither {path} nor {name}')],
    ]);
    expect(S3DestinationSpec.parse({ bucket: 'logs' }).key).toBe('{host}/{source}/{date}/{path}');
  });
});
