import { defineConfig } from 'vitest/config';

// The same suite runs on embedded PGlite (DATABASE_URL unset) and on a real PostgreSQL server
// (DATABASE_URL set): see tests/helpers/db.ts. Each test file gets a database of its own.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'tests/faults/**'], // npm run test:faults (vitest.faults.config.ts)
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
