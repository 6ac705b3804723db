export * from './duration.ts';
export * from './errors.ts';
export * from './fnv.ts';
export * from './rate-limit.ts';
export * from './retry.ts';
