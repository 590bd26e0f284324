import { defineConfig } from 'vitest/config';

// The same suite runs on embedded PGlite (DATABASE_URL unset) and on a real PostgreSQL server
// (DATABASE_URL set): see tests/helpers/db.ts. Each test file gets a database of its own.
// The browser tests (tests/browser, Debian's Chromium) are part of it; BROWSER_TESTS=off leaves them out
// (CI runs them once, in a step of their own: npm run test:browser on PostgreSQL).
const browserTests = process.env.BROWSER_TESTS !== 'off';
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'tests/faults/**', ...(browserTests ? [] : ['tests/browser/**'])], // faults: npm run test:faults (vitest.faults.config.ts)
    pool: 'forks',
    // Vitest's default is CPUs − 1, i.e. one worker on these 2-core machines: the suite would run serially.
    maxWorkers: 2,
    // Prepares a migrated PGlite template once per run (tests/helpers/globalSetup.ts).
    globalSetup: ['tests/helpers/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
