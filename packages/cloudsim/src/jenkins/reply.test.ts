import { describe, expect, it } from 'vitest';
import { parseDelay } from './reply.ts';

describe('parseDelay (Jenkins TimeDuration)', () => {
  it.each([
    ['0sec', 0],
    ['10', 10_000],
    ['10sec', 10_000],
    ['3 seconds', 3000],
    ['500ms', 500],
    ['2min', 120_000],
    ['soon', undefined],
    [null, undefined],
  ])('%s → %s ms', (input, ms) => {
    expect(parseDelay(input)).toBe(ms);
  });
});
