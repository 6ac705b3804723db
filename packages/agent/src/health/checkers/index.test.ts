import { describe, expect, it } from 'vitest';
import { CheckSpec } from '../../spec.ts';
import { CHECKERS, checkerFor } from './index.ts';

describe('checker registry', () => {
  it('has exactly one checker for every check type of the schema', () => {
    const types = CheckSpec.shape.type.options;
    expect(CHECKERS.map((c) => c.type).sort()).toEqual([...types].sort());
    for (const t of types) expect(checkerFor(t).type).toBe(t);
  });
});
