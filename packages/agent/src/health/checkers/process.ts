import { readStat } from '../../proc/stat.ts';
import { type Checker, type CheckResult, elapsed } from './checker.ts';

/**
 * Passing while the service's main process exists and is not a zombie, read from
 * `/proc/<pid>/stat`. Critical when the service has no process.
 */
export function createProcessChecker(proc = '/proc'): Checker {
  return {
    type: 'process',
    async run(_check, ctx): Promise<CheckResult> {
      const started = performance.now();
      const ms = () => elapsed(started);
      if (ctx.pid === undefined)
        return { status: 'critical', output: 'no process: the service is not running', ms: ms() };
      const stat = readStat(ctx.pid, proc);
      if (!stat) return { status: 'critical', output: `process ${ctx.pid} is gone`, ms: ms() };
      if (stat.state === 'Z')
        return {
          status: 'critical',
          output: `process ${ctx.pid} (${stat.comm}) is a zombie: it exited and was not reaped`,
          ms: ms(),
        };
      return {
        status: 'passing',
        output: `process ${ctx.pid} (${stat.comm}) is alive, state ${stat.state}`,
        ms: ms(),
      };
    },
  };
}

export const processChecker: Checker = createProcessChecker();
