import { describe, expect, it } from 'vitest';
import { consoleAt, progressiveText } from './console.ts';
import type { Build } from './model.ts';

const build: Build = {
  job: 'dumps/analyse',
  number: 3,
  queueId: 7,
  params: { URL: 's3://b/k' },
  cause: { user: 'alice' },
  startedAt: 1000,
  plannedMs: 300,
  plannedResult: 'FAILURE',
  lines: ['one', 'two'],
};

describe('progressiveText', () => {
  const log = 'ab\ncd\nef';
  it.each([
    // start, complete → body, X-Text-Size, X-More-Data
    [0, false, 'ab\ncd\n', 6, true],
    [3, false, 'cd\n', 6, true],
    [6, false, '', 6, true],
    [0, true, 'ab\ncd\nef', 8, false],
    [6, true, 'ef', 8, false],
    [99, true, 'ab\ncd\nef', 8, false],
    [-1, false, 'ab\ncd\n', 6, true],
  ])('from %i (complete %s) sends %j, next %i, more %s', (start, complete, body, size, more) => {
    const p = progressiveText(log, start, complete);
    expect(p.body.toString()).toBe(body);
    expect(p.textSize).toBe(size);
    expect(p.moreData).toBe(more);
  });

  it('counts bytes, not characters', () => {
    expect(progressiveText('é\n', 0, true).textSize).toBe(3);
  });

  it('sends at most 10,000 lines per call while the log grows', () => {
    const p = progressiveText('x\n'.repeat(10_005), 0, false);
    expect(p.textSize).toBe(20_000);
  });
});

describe('consoleAt', () => {
  it('prints the script lines over the duration, then the result', () => {
    expect(consoleAt(build, 1000)).not.toContain('one');
    expect(consoleAt(build, 1100)).toContain('one\n');
    expect(consoleAt(build, 1100)).not.toContain('two');
    expect(consoleAt(build, 1250)).not.toContain('Finished');
    const done = consoleAt(build, 1300);
    expect(done.startsWith('Started by user alice\n')).toBe(true);
    expect(
      done.endsWith("one\ntwo\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n"),
    ).toBe(true);
  });

  it('ends an aborted build with who aborted it', () => {
    const log = consoleAt({ ...build, aborted: { at: 1050, by: 'bob' } }, 2000);
    expect(log).not.toContain('one');
    expect(log.endsWith('Aborted by bob\nFinished: ABORTED\n')).toBe(true);
  });
});
