import type { Check } from '../../spec.ts';
import { runBounded, timedOutText } from '../exec.ts';
import type { Checker, CheckResult, CheckStatus } from './checker.ts';

/** Consul's rule: exit 0 passing, 1 warning, anything else (or a signal) critical. */
export function statusOfExit(code: number | null): CheckStatus {
  if (code === 0) return 'passing';
  if (code === 1) return 'warning';
  return 'critical';
}

/**
 * Runs `script.command script.args` (no shell) in its own process group with the check's
 * timeout; stdout and stderr together are the output (first 4 KiB). A timeout kills the whole
 * group and is critical.
 */
export const scriptChecker: Checker = {
  type: 'script',
  async run(check: Check, _ctx, signal): Promise<CheckResult> {
    const script = check.script;
    if (!script) return { status: 'critical', output: 'no script: settings', ms: 0 };
    const r = await runBounded(script.command, script.args, { timeoutMs: check.timeout, signal });
    if (r.error !== undefined)
      return { status: 'critical', output: `cannot run ${script.command}: ${r.error}`, ms: r.ms };
    if (r.timedOut)
      return {
        status: 'critical',
        output: r.output ? `${timedOutText(check.timeout)}\n${r.output}` : timedOutText(check.timeout),
        ms: r.ms,
      };
    const status = r.signal ? 'critical' : statusOfExit(r.code);
    const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
    // A silent script still says something useful: how it ended.
    return { status, output: r.output || how, ms: r.ms };
  },
};
