export * from './checkers/index.ts';
export { createProcessChecker } from './checkers/process.ts';
export { type RunOptions, type RunOutcome, runBounded } from './exec.ts';
export * from './history.ts';
export * from './monitor.ts';
export { BoundedOutput, boundText, MAX_OUTPUT } from './output.ts';
export * from './recovery.ts';
export * from './report.ts';
export * from './state.ts';
