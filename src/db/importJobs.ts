// The import jobs (批量导入任务): one small function per operation. Status changes are conditional on the
// status they leave (`from`), so two requests racing to commit or cancel the same job cannot both win.
import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { importJobs, type ImportJobRow, type ImportStatus, type NewImportJob } from './schemaImports.js';
import type { Stmt } from './session.js';
import type { Db, Tx } from './types.js';

export async function insertImportJob(db: Db | Tx, job: NewImportJob): Promise<void> {
  await db.insert(importJobs).values(job);
}

/** The job without its file (the file is read only by the runner: fileOfImportJob). */
export type ImportJobInfo = Omit<ImportJobRow, 'file'>;

const { file: _file, ...infoColumns } = getTableColumns(importJobs);

export async function getImportJob(db: Db | Tx, id: string): Promise<ImportJobInfo | null> {
  const [row] = await db.select(infoColumns).from(importJobs).where(eq(importJobs.id, id)).limit(1);
  return row ?? null;
}

export async function fileOfImportJob(db: Db | Tx, id: string): Promise<Buffer | null> {
  const [row] = await db.select({ file: importJobs.file }).from(importJobs).where(eq(importJobs.id, id)).limit(1);
  return row?.file ?? null;
}

/** Sets fields of a job that is in one of `from`; the row, or null when it was not (cancelled meanwhile, or raced). */
export async function updateImportJob(db: Db | Tx, id: string, from: readonly ImportStatus[], set: Partial<NewImportJob>): Promise<ImportJobInfo | null> {
  const [row] = await db
    .update(importJobs)
    .set(set)
    .where(and(eq(importJobs.id, id), inArray(importJobs.status, [...from])))
    .returning({ id: importJobs.id });
  return row ? getImportJob(db, id) : null;
}

/** Jobs a process was working on when it stopped (validating, committing). */
export async function unfinishedImportJobs(db: Db | Tx): Promise<{ id: string; status: ImportStatus }[]> {
  return db.select({ id: importJobs.id, status: importJobs.status }).from(importJobs).where(inArray(importJobs.status, ['validating', 'committing']));
}

/** The committed job of the same file, kind and jurisdiction, if any. */
export async function committedImportOf(db: Db | Tx, kind: string, sha256: string, scope: string): Promise<string | null> {
  const [row] = await db
    .select({ id: importJobs.id })
    .from(importJobs)
    .where(and(eq(importJobs.kind, kind), eq(importJobs.sha256, sha256), eq(importJobs.scope, scope), sql`${importJobs.status} = 'committed'`))
    .limit(1);
  return row?.id ?? null;
}

/**
 * The commit's first write, inside its transaction: the job becomes `committed`. The partial unique index
 * import_jobs_committed_once (kind, sha256, scope) makes a second commit of the same file wait for the first and
 * then fail (IMPORT_COMMITTED_CONSTRAINT): the second transaction rolls back having written nothing.
 */
export function markImportCommittedStmt(id: string, at: Date): Stmt {
  return {
    text: `update import_jobs set status = 'committed', committed_at = $2::text::timestamptz, updated_at = $2::text::timestamptz
      where id = $1::uuid and status = 'committing' returning id`,
    params: [id, at.toISOString()],
  };
}

export function importCountsStmt(id: string, rowsCommitted: number, recordsCommitted: number): Stmt {
  return {
    text: 'update import_jobs set rows_committed = $2::int, records_committed = $3::int where id = $1::uuid',
    params: [id, String(rowsCommitted), String(recordsCommitted)],
  };
}

export const IMPORT_COMMITTED_CONSTRAINT = 'import_jobs_committed_once';
