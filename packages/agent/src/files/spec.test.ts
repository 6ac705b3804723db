import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../config/load.ts';
import { parseSize } from './spec.ts';

const heapDumps = `
services: []
files:
  destinations:
    dumps:
      endpoint: http://127.0.0.1:9000
      bucket: heap-dumps
      pathStyle: true
      partSize: 16MiB
  sources:
    - name: heap
      path: /var/dumps
      include: ['**/*.hprof']
      quiet: 30s
      destination: dumps
      routes:
        - subdir: payments
          labels: { team: payments }
`;

function problemsOf(text: string): string[] {
  try {
    parseAgentConfig(text, {});
    return [];
  } catch (err) {
    return String((err as Error).message).split('\n');
  }
}

describe('agent.yaml files:', () => {
  it('reads a heap-dump pipeline with the defaults filled in', () => {
    const files = parseAgentConfig(heapDumps, {}).config.files!;
    expect(files.workers).toBe(2);
    expect(files.destinations.dumps).toMatchObject({
      partSize: 16 * 1024 ** 2,
      checksum: 'CRC32C',
      region: 'us-east-1',
      credentials: { from: 'env' },
      key: '{host}/{source}/{date}/{path}',
    });
    expect(files.sources[0]).toMatchObject({ quiet: 30_000, rescan: 300_000, recursive: true, hash: false });
    expect(files.sources[0]!.tempPatterns).toContain('*.part');
  });

  it.each([
    ['destination: dumps', 'destination: nowhere', 'files.sources[0].destination'],
    ['partSize: 16MiB', 'partSize: 1MiB', 'must be at least 5MiB'],
    ['partSize: 16MiB', 'partSize: lots', "'lots' is not a size"],
    ['path: /var/dumps', 'path: dumps', 'must be an absolute path'],
    ['quiet: 30s', 'quiet: soon', "'soon' is not a duration"],
  ])('refuses %s changed to %s, naming the field', (from, to, expected) => {
    const problems = problemsOf(heapDumps.replace(from, to)).join('\n');
    expect(problems).toContain(expected);
  });

  it('refuses a route to an unknown destination and a source named twice', () => {
    const text = heapDumps
      .replace('labels: { team: payments }', 'destination: elsewhere')
      .replace(
        '      routes:',
        '    - name: heap\n      path: /var/other\n      destination: dumps\n      routes:',
      );
    const problems = problemsOf(text).join('\n');
    expect(problems).toContain('routes[0].destination');
    expect(problems).toContain("'heap' is used twice");
  });
});

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    ['5MiB', 5 * 1024 ** 2],
    ['512 KiB', 512 * 1024],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['10MB', 10_000_000],
  ])('%s is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
  it.each(['', '5 parsecs', '-1', 'MiB'])('refuses %j', (input) => {
    expect(() => parseSize(input)).toThrow(/not a size/);
  });
});
