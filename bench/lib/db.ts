// The benchmark's database: a dedicated database on the PostgreSQL server (dropped and created per run unless
// --reuse), migrated with the project's own migrator; or an embedded PGlite directory for the PGlite run.
import { sql, type SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { createDb, migrate, rows, type Db, type DbHandle } from '../../src/db/index.js';
import { cpuSecondsOf } from './util.js';

export function databaseUrl(server: string, database: string): string {
  return `${server}/${database}`;
}

/** Runs `fn` with a connection to the server's maintenance database (`postgres`). */
async function withAdmin<T>(server: string, fn: (admin: postgres.Sql) => Promise<T>): Promise<T> {
  const admin = postgres(databaseUrl(server, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    return await fn(admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export async function databaseExists(server: string, database: string): Promise<boolean> {
  return withAdmin(server, async (admin) => (await admin`select 1 from pg_database where datname = ${database}`).length > 0);
}

export async function recreateDatabase(server: string, database: string): Promise<void> {
  await withAdmin(server, async (admin) => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${database}"`);
  });
}

/** The harness's own connections are named, so the CPU sampler can leave them out. */
export const HARNESS_APP = 'doudi-bench-harness';

export async function openPostgres(server: string, database: string, maxConnections = 4): Promise<DbHandle> {
  const handle = await createDb({ databaseUrl: `${databaseUrl(server, database)}?application_name=${HARNESS_APP}`, dataDir: 'unused', maxConnections });
  await migrate(handle);
  return handle;
}

export async function openPglite(dataDir: string): Promise<DbHandle> {
  const handle = await createDb({ dataDir });
  await migrate(handle);
  return handle;
}

/** Raw SQL text (one statement) on either driver. */
export async function exec(db: Db, text: string): Promise<void> {
  await db.execute(sql.raw(text));
}

export async function query<T = Record<string, unknown>>(db: Db, q: SQL | string): Promise<T[]> {
  return rows<T>(await db.execute(typeof q === 'string' ? sql.raw(q) : q));
}

export async function one<T = Record<string, unknown>>(db: Db, q: SQL | string): Promise<T> {
  const [r] = await query<T>(db, q);
  return r;
}

/** What the benchmark stored about the data it seeded (for --reuse). */
export interface BenchMeta {
  cases: number;
  seededAt: string;
  seed: unknown;
}

export async function readMeta(db: Db): Promise<BenchMeta | null> {
  const exists = await one<{ ok: boolean }>(db, `select to_regclass('bench_meta') is not null as ok`);
  if (!exists.ok) return null;
  const r = await one<{ value: BenchMeta } | undefined>(db, `select value from bench_meta where key = 'seed'`);
  return r?.value ?? null;
}

export async function writeMeta(db: Db, meta: BenchMeta): Promise<void> {
  await exec(db, `create table if not exists bench_meta (key text primary key, value jsonb not null)`);
  await db.execute(sql`insert into bench_meta (key, value) values ('seed', ${JSON.stringify(meta)}::jsonb)
    on conflict (key) do update set value = excluded.value`);
}

/**
 * CPU used by PostgreSQL backends of `database` (except the harness's) over an interval, from /proc: the
 * backends are listed every 500 ms and each one's CPU time read at its first and last sighting.
 */
export function pgCpuSampler(server: string, database: string) {
  const client = postgres(`${databaseUrl(server, database)}?application_name=doudi-bench-sampler`, { max: 1, onnotice: () => {} });
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let stopped = false;
  const sample = async () => {
    const rows = await client`select pid from pg_stat_activity where datname = ${database} and backend_type = 'client backend'
      and application_name not like 'doudi-bench-%'`;
    for (const { pid } of rows) {
      const c = cpuSecondsOf(pid as number);
      if (c === null) continue;
      if (!first.has(pid as number)) first.set(pid as number, c);
      last.set(pid as number, c);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await sample().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await sample().catch(() => {});
    await client.end({ timeout: 5 });
    let total = 0;
    for (const [pid, c] of last) total += c - (first.get(pid) ?? c);
    return { cpuSeconds: total, backends: last.size };
  };
}
