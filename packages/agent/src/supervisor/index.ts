export * from './direct.ts';
export * from './graph.ts';
export * from './restart-policy.ts';
export * from './state-file.ts';
export * from './supervisor.ts';
