// Backup and restore as docs/deploy.md tells it, tried for real: the demo data goes into a database; then
//   - on PostgreSQL: `pg_dump --format=custom` and `pg_restore` into a fresh, empty database;
//   - on PGlite: the stopped data directory copied as files, and PGlite's own dump tarball loaded into a new one;
// and the restored copy must hold every case and every audit record, every chain must verify against the heads on
// the case rows, and the database must still refuse to rewrite the trail (the append-only triggers came along).
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { count, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCasePolicy } from '../../machines/index.js';
import { verifyCaseHeads } from '../../src/audit/verifyCheckpoint.js';
import { auditRecords, auditRecordStream, caseHeadStream, cases, createDb, type DbHandle } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrate.js';
import { createEngine } from '../../src/engine/index.js';
import { createLogger } from '../../src/logger.js';
import { seedDemo } from '../../src/seed/index.js';
import { WorkingCalendar } from '../../src/time/calendar.js';
import { ManualClock } from '../../src/time/clock.js';
import { ScopedDeadlinePolicy } from '../../src/time/timeSettings.js';
import { testDbKind } from '../helpers/db.js';

const run = promisify(execFile);
const logger = createLogger({ logLevel: 'silent' });

async function seed(handle: DbHandle): Promise<void> {
  const clock = new ManualClock('2026-03-02T01:00:00.000Z');
  const engine = createEngine({
    db: handle.db, clock, calendar: new WorkingCalendar(), deadlinePolicy: new ScopedDeadlinePolicy(),
    webhookTargets: { allowHosts: [] }, casePolicy: defaultCasePolicy, logger,
  });
  await seedDemo({ db: handle.db, engine, clock, logger });
}

interface Contents { cases: number; records: number }

async function contents(handle: DbHandle): Promise<Contents> {
  const [c] = await handle.db.select({ n: count() }).from(cases);
  const [r] = await handle.db.select({ n: count() }).from(auditRecords);
  return { cases: Number(c.n), records: Number(r.n) };
}

/** Every chain against its case row's head, in one snapshot, as `npm run audit:verify` does. */
async function verifyAll(handle: DbHandle) {
  return handle.db.transaction(
    async (tx) => verifyCaseHeads({ heads: caseHeadStream(tx), records: auditRecordStream(tx) }),
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** The database's own message when it refuses a statement (drizzle wraps it as the error's cause). */
async function refusal(handle: DbHandle, statement: ReturnType<typeof sql>): Promise<string> {
  try {
    await handle.db.execute(statement);
  } catch (error) {
    const e = error as { message: string; cause?: { message?: string } };
    return e.cause?.message ?? e.message;
  }
  return 'not refused';
}

async function expectRestored(restored: DbHandle, original: Contents): Promise<void> {
  expect(await contents(restored)).toEqual(original);
  const verified = await verifyAll(restored);
  expect(verified.problems).toEqual([]);
  expect(verified).toMatchObject({ ok: true, caseCount: original.cases, records: original.records });
  // The trail is still append-only in the copy.
  expect(await refusal(restored, sql`update audit_records set seq = seq`)).toMatch(/audit_records is append-only: UPDATE refused/);
  expect(await refusal(restored, sql`delete from audit_records`)).toMatch(/audit_records is append-only: DELETE refused/);
}

describe.runIf(testDbKind() === 'postgres')('restore: pg_dump into a fresh PostgreSQL database', { timeout: 180_000 }, () => {
  const base = process.env.DATABASE_URL!;
  const stamp = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const names = { source: `doudi_bk_src_${stamp}`, target: `doudi_bk_dst_${stamp}` };
  const urlOf = (name: string) => Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  let dir: string;
  let original: Contents;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doudi-restore-'));
    await admin.unsafe(`CREATE DATABASE "${names.source}"`);
    await admin.unsafe(`CREATE DATABASE "${names.target}"`);
    const source = await createDb({ databaseUrl: urlOf(names.source), dataDir: 'unused', maxConnections: 2 });
    try {
      await migrate(source);
      await seed(source);
      original = await contents(source);
    } finally {
      await source.close();
    }
  });

  afterAll(async () => {
    for (const name of Object.values(names)) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('restores every case and record, every chain verifies, and the trail stays append-only', async () => {
    expect(original.cases).toBeGreaterThan(5);
    expect(original.records).toBeGreaterThan(original.cases);
    const file = join(dir, 'doudi.dump');
    await run('pg_dump', ['--format=custom', '--no-owner', '--file', file, urlOf(names.source)]);
    await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', urlOf(names.target), file]);
    const restored = await createDb({ databaseUrl: urlOf(names.target), dataDir: 'unused', maxConnections: 2 });
    try {
      await expectRestored(restored, original);
      // The service starts on the restored copy: its migrations have nothing left to do.
      await migrate(restored);
      expect(await contents(restored)).toEqual(original);
    } finally {
      await restored.close();
    }
  });
});

describe.runIf(testDbKind() === 'pglite')('restore: a PGlite data directory', { timeout: 180_000 }, () => {
  let dir: string;
  let original: Contents;
  let tarball: Blob;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doudi-restore-'));
    const source = await createDb({ dataDir: join(dir, 'data') });
    try {
      await migrate(source);
      await seed(source);
      original = await contents(source);
      tarball = await source.pglite!.dumpDataDir('gzip');
    } finally {
      await source.close();
    }
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a copy of the stopped directory opens with every case, record and chain', async () => {
    expect(original.cases).toBeGreaterThan(5);
    await cp(join(dir, 'data'), join(dir, 'copy'), { recursive: true });
    const restored = await createDb({ dataDir: join(dir, 'copy') });
    try {
      await expectRestored(restored, original);
    } finally {
      await restored.close();
    }
  });

  it('PGlite\'s own dump loads into a new directory with the same contents', async () => {
    const restored = await createDb({ dataDir: join(dir, 'from-dump'), loadDataDir: tarball });
    try {
      await expectRestored(restored, original);
    } finally {
      await restored.close();
    }
  });
});
