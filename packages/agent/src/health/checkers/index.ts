import type { Check } from '../../spec.ts';
import type { Checker } from './checker.ts';
import { grpcChecker } from './grpc.ts';
import { httpChecker } from './http.ts';
import { processChecker } from './process.ts';
import { scriptChecker } from './script.ts';
import { tcpChecker } from './tcp.ts';

export type { CheckContext, Checker, CheckResult, CheckStatus } from './checker.ts';

/** Every kind of check the agent knows; a new kind is one file and one line here. */
export const CHECKERS: readonly Checker[] = [
  httpChecker,
  tcpChecker,
  processChecker,
  scriptChecker,
  grpcChecker,
];

const byType = new Map(CHECKERS.map((c) => [c.type, c]));

export function checkerFor(type: Check['type']): Checker {
  const checker = byType.get(type);
  if (!checker) throw new Error(`no checker for check type ${type}`);
  return checker;
}
