export * from './db/database.ts';
export * from './notify/receiver.ts';
export * from './retention/settings.ts';
export * from './server.ts';
