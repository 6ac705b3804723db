export * from './agent.ts';
export * from './config/load.ts';
export * from './spec.ts';
