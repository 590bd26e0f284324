// A migrated database of its own for each test file: in-memory PGlite by default, or — when DATABASE_URL
// names a PostgreSQL server — a fresh database created on that server and dropped on close.
// (Tests are the one place besides main.ts that read process.env: the runner chooses the database.)
import { readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/open.js';

/** On PostgreSQL, `url` names the test database (e.g. to reach it through a proxy). */
export type TestDb = DbHandle & { url?: string };

/** Connections of a test database's pool on PostgreSQL. */
export const TEST_PG_POOL = 5;

export function testDbKind(): 'postgres' | 'pglite' {
  return process.env.DATABASE_URL ? 'postgres' : 'pglite';
}

export async function createTestDb(): Promise<TestDb> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    // Start from the migrated template that globalSetup prepared (see globalSetup.ts); migrate() then has
    // nothing to do, but still runs, so a file run alone (without the template) works too.
    const template = inject('pgliteTemplate');
    const loadDataDir = template ? new Blob([await readFile(template)]) : undefined;
    const handle = await createDb({ dataDir: 'memory://', loadDataDir });
    await migrate(handle);
    return handle;
  }

  const name = `doudi_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  let handle: DbHandle;
  try {
    handle = await createDb({ databaseUrl: testUrl.toString(), dataDir: 'unused', maxConnections: TEST_PG_POOL });
    await migrate(handle);
  } catch (error) {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    throw error;
  }
  return {
    ...handle,
    url: testUrl.toString(),
    close: async () => {
      try {
        await handle.close();
      } finally {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}

/**
 * For tests that start the service as a separate process: on PostgreSQL, a fresh empty database's URL (dropped by
 * `drop`); on PGlite, no URL (the process then uses its own embedded database).
 */
export async function createTestDatabaseUrl(): Promise<{ url: string | undefined; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { url: undefined, drop: async () => {} };
  const name = `doudi_e_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  return {
    url: testUrl.toString(),
    drop: async () => {
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * PostgreSQL only: a fresh database owned by a new owner role, migrated as that role through openDatabase (which
 * grants a second new role, the runtime role, its rights), and the runtime role's handle — the way production runs
 * with DATABASE_MIGRATION_URL and DATABASE_URL. Roles are cluster-wide: both get random names and are dropped with
 * the database on close. `owner` is a handle as the owner role (what a migration can do).
 */
export async function createRoleTestDb(): Promise<TestDb & { owner: DbHandle; ownerUrl: string; roles: { owner: string; runtime: string } }> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('createRoleTestDb needs DATABASE_URL (a PostgreSQL superuser)');
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const roles = { owner: `doudi_own_${suffix}`, runtime: `doudi_run_${suffix}` };
  const name = `doudi_r_${suffix}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const urlAs = (user: string) => {
    const u = new URL(url);
    u.username = user;
    u.password = '';
    u.pathname = `/${name}`;
    return u.toString();
  };
  const drop = async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.unsafe(`DROP ROLE IF EXISTS "${roles.runtime}"`);
    await admin.unsafe(`DROP ROLE IF EXISTS "${roles.owner}"`);
    await admin.end();
  };
  let runtime: DbHandle | undefined;
  let owner: DbHandle | undefined;
  try {
    await admin.unsafe(`CREATE ROLE "${roles.owner}" LOGIN`);
    await admin.unsafe(`CREATE ROLE "${roles.runtime}" LOGIN`);
    await admin.unsafe(`CREATE DATABASE "${name}" OWNER "${roles.owner}"`);
    runtime = await openDatabase({ databaseUrl: urlAs(roles.runtime), databaseMigrationUrl: urlAs(roles.owner), dataDir: 'unused', maxConnections: TEST_PG_POOL });
    owner = await createDb({ databaseUrl: urlAs(roles.owner), dataDir: 'unused', maxConnections: 1 });
  } catch (error) {
    await runtime?.close();
    await drop();
    throw error;
  }
  const runtimeHandle = runtime;
  const ownerHandle = owner;
  return {
    ...runtimeHandle,
    url: urlAs(roles.runtime),
    ownerUrl: urlAs(roles.owner),
    owner: ownerHandle,
    roles,
    close: async () => {
      try {
        await runtimeHandle.close();
        await ownerHandle.close();
      } finally {
        await drop();
      }
    },
  };
}
