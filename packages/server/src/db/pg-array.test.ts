import { describe, expect, it } from 'vitest';
import { pgArray } from './pg-array.ts';

describe('pgArray', () => {
  it.each([
    [[], '{}'],
    [['a', 'b'], '{"a","b"}'],
    [['with "quote"', 'back\\slash'], '{"with \\"quote\\"","back\\\\slash"}'],
    [['x', null], '{"x",NULL}'],
    [['{"k":"v, w"}'], '{"{\\"k\\":\\"v, w\\"}"}'],
  ])('%j → %s', (input, literal) => {
    expect(pgArray(input)).toBe(literal);
  });
});
