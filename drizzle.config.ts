import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` needs no database. DATABASE_URL is read only so that `drizzle-kit studio` or
// `check` can reach a server when one is configured; the application itself never uses drizzle-kit.
const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: './src/db/schema.ts',
  out: './migrations',
  dialect: 'postgresql',
  strict: true,
  ...(url ? { dbCredentials: { url } } : {}),
});
