export * from './agent.ts';
export { detach } from './commands/deploy/detached.ts';
export * from './config/load.ts';
export { type Permission, TOKEN_FILES } from './rpc/auth.ts';
export { AGENT_PROTO } from './rpc/server.ts';
export * from './spec.ts';
