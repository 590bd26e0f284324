// Once per test run: on embedded PGlite, build a migrated database and keep its data directory as a tarball,
// so that each test file starts from it (loadDataDir) instead of running initdb and the migrations again —
// a few seconds per file on a 2-core machine. On PostgreSQL nothing is needed (each file creates a database).
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDb } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string | null;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('pgliteTemplate', null);
    return;
  }
  const handle = await createDb({ dataDir: 'memory://' });
  await migrate(handle);
  const tarball = Buffer.from(await (await handle.pglite!.dumpDataDir('none')).arrayBuffer());
  await handle.close();
  const path = join(tmpdir(), `doudi-pglite-template-${process.pid}.tar`);
  await writeFile(path, tarball);
  project.provide('pgliteTemplate', path);
  return async () => {
    await rm(path, { force: true });
  };
}
