/** Service log files: layout, rotation and retention, query, live stream. See docs/agent.md (Logs). */
export * from './files.ts';
export * from './line.ts';
export * from './query.ts';
export * from './rotation.ts';
export * from './stream.ts';
