export * from './registry.ts';
export * from './remote-write.ts';
export * from './service.ts';
export * from './snapshot.ts';
export * from './system.ts';
export * from './telemetry.ts';
