import { describe, expect, it } from 'vitest';
import { logEnv } from './log-env.ts';

describe('LOG_LEVEL and LOG_FORMAT', () => {
  it.each([
    [{}, { level: 'info', format: 'json' }],
    [
      { LOG_LEVEL: 'debug', LOG_FORMAT: 'console' },
      { level: 'debug', format: 'console' },
    ],
    [
      { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' },
      { level: 'silent', format: 'json' },
    ],
  ])('%j → %j', (env, want) => {
    expect(logEnv(env)).toEqual(want);
  });

  it.each([
    [
      { LOG_LEVEL: 'verbose' },
      /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"/,
    ],
    [{ LOG_FORMAT: 'text' }, /LOG_FORMAT must be json or console, got "text"/],
  ])('refuses %j', (env, message) => {
    expect(() => logEnv(env)).toThrow(message);
  });
});
