import { defineConfig } from 'vitest/config';

// Fault tests (`npm run test:faults`): a killed service, a restarted PostgreSQL, fuzzing every route. They start
// processes and servers of their own and run for minutes, so they are kept out of `npm test` and run one file at a
// time (ports, CPU and the shared PostgreSQL server are not contended).
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
