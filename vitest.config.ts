import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most files wait on processes and databases: two at a time on two cores cut the suite's
    // wall time by about 40 % (the whole suite passed this way on a loaded machine).
    maxWorkers: 2,
    globalSetup: ['packages/server/test/pglite-template.ts'],
  },
});
