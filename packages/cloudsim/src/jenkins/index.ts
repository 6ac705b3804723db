export * from './console.ts';
export * from './crumb.ts';
export * from './json.ts';
export * from './model.ts';
export * from './reply.ts';
export * from './security.ts';
export * from './server.ts';
