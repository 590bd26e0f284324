/**
 * What changed, for the fuzzers. Every table of the service gets a row-level trigger that counts inserted, updated
 * and deleted rows in `fuzz_writes`, in the same transaction as the write: a committed write (whole or partial)
 * moves the count, a rolled-back one does not. Reading that one row is the fingerprint, cheap enough to take after
 * every request.
 *
 * Not counted: the traces of access itself — a refused sign-in is recorded in the security log and counted for the
 * lockout on purpose, a session's last request is noted on its row, and a download (a GET) is recorded in the
 * export log (who took which rows out, by design).
 */
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../src/db/index.js';

const TRACES = new Set(['security_log', 'rate_limit_hits', 'sessions', 'export_log']);

/** Installs the counter; returns the counted tables and the fingerprint function. */
export async function installWriteCounter(db: Db): Promise<{ tables: string[]; fingerprint: () => Promise<string> }> {
  const tables = rows<{ tablename: string }>(await db.execute(sql`select tablename from pg_tables where schemaname = 'public' order by tablename`))
    .map((r) => r.tablename)
    .filter((t) => !TRACES.has(t));
  await db.execute(sql`create table fuzz_writes (n bigint not null)`);
  await db.execute(sql`insert into fuzz_writes values (0)`);
  await db.execute(sql.raw(`create function fuzz_count_write() returns trigger language plpgsql as $$ begin update fuzz_writes set n = n + 1; return null; end $$`));
  for (const t of tables) await db.execute(sql.raw(`create trigger fuzz_count_write after insert or update or delete on "${t}" for each row execute function fuzz_count_write()`));
  const fingerprint = async () => String(rows<{ n: unknown }>(await db.execute(sql`select n from fuzz_writes`))[0].n);
  return { tables, fingerprint };
}
