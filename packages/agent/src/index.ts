export * from './agent.ts';
export * from './config/load.ts';
export { AGENT_PROTO } from './rpc/server.ts';
export * from './spec.ts';
