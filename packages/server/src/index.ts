export * from './db/database.ts';
export { parseAllowList } from './http/outbound.ts';
export { SecretBox } from './identity/secret-box.ts';
export { checkAuthSecret } from './identity/tokens.ts';
export * from './notify/receiver.ts';
export * from './retention/settings.ts';
export * from './server.ts';
