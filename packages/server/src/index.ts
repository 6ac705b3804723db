export * from './db/database.ts';
export * from './server.ts';
