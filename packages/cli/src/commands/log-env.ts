const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * `LOG_LEVEL` and `LOG_FORMAT` of the server and the agent. A level pino does not know crashed
 * the process with a stack trace, and any format but `console` quietly meant JSON.
 */
export function logEnv(env: Record<string, string | undefined>): {
  level: string;
  format: 'json' | 'console';
} {
  if (env.LOG_LEVEL && !LEVELS.includes(env.LOG_LEVEL))
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  if (env.LOG_FORMAT && !['json', 'console'].includes(env.LOG_FORMAT))
    throw new Error(`LOG_FORMAT must be json or console, got "${env.LOG_FORMAT}"`);
  return { level: env.LOG_LEVEL || 'info', format: env.LOG_FORMAT === 'console' ? 'console' : 'json' };
}
