export * from './demo-world.ts';
export * from './server.ts';
export * from './sim-state.ts';
export * from './world.ts';
