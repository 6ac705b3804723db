import { describe, expect, it } from 'vitest';
import { loggableError } from './log-error.ts';

describe('loggableError', () => {
  it('keeps PostgreSQL names but not the values a message quotes', () => {
    const pg = Object.assign(
      new Error('invalid input syntax for type uuid: "ofk_secretsecret" in column "id"'),
      {
        code: '22P02',
        detail: 'Key (name)=(ofk_secretsecret) already exists.',
        table: 'alerts',
      },
    );
    const logged = JSON.stringify(loggableError(pg));
    expect(logged).not.toContain('ofk_secretsecret');
    expect(logged).toContain('column \\"id\\"');
    expect(logged).toContain('22P02');
    expect(logged).toContain('alerts');
  });

  it('withholds a failed query’s parameters, which drizzle also writes into its message', () => {
    const err = Object.assign(new Error(`Failed query: SELECT $1\nparams: ${'s3cr3t'.repeat(100_000)}`), {
      query: 'SELECT $1',
      params: ['s3cr3t'.repeat(100_000)],
    });
    const logged = JSON.stringify(loggableError(err));
    expect(logged).not.toContain('s3cr3t');
    expect(logged).toContain('SELECT $1');
  });

  it('clips any other error’s message and stack', () => {
    expect(JSON.stringify(loggableError(new Error('x'.repeat(1_000_000)))).length).toBeLessThan(6000);
  });
});
