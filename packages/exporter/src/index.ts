export * from './config/load.ts';
export * from './exporter.ts';
export * from './mappings/catalog.ts';
export * from './mappings/validate.ts';
export * from './providers/index.ts';
export type * from './providers/provider.ts';
