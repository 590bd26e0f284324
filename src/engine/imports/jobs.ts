/**
 * Import jobs (批量导入任务), run in the service process: POST /imports stores the file in the job's row and
 * starts the dry run in the background; GET /imports/:id reads its progress; POST /imports/:id/commit starts the
 * commit, one transaction, all or nothing; cancel stops a job before its commit.
 *
 * A job survives a restart: its file is in the database. On start (`recover`), a job left `validating` is
 * validated again and one left `committing` — whose transaction died with the process, so nothing of it was
 * written — goes back to `validated`, ready to commit again.
 *
 * Who: the kind's roles (the survey: enumerators) within their own jurisdiction; a job is seen by whoever
 * uploaded it, and read by admins and supervisors whose jurisdiction covers its scope.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  addRollupsOfNewCasesStmts,
  committedImportOf,
  fileOfImportJob,
  getImportJob,
  importCountsStmt,
  IMPORT_COMMITTED_CONSTRAINT,
  insertImportJob,
  markImportCommittedStmt,
  rollupModeStmt,
  unfinishedImportJobs,
  updateImportJob,
  type ImportJobInfo,
} from '../../db/index.js';
import { commandDbOf } from '../../db/session.js';
import type { ImportStatus } from '../../db/schemaImports.js';
import { AppError, errors, isAppError } from '../../errors.js';
import { defaultIntakeLimits, fileRows, sniffFile, type FileFormat, type IntakeLimits } from '../../imports/intake.js';
import { reportWorkbook, templateWorkbook } from '../../imports/workbooks.js';
import type { ImportIssue, ImportKind, ReadContext } from '../../imports/kind.js';
import type { EngineDeps, Principal } from '../types.js';
import { analyse, AnalysisStopped } from './analyse.js';

/** Issues kept in the job row and shown by GET (the report lists them all, from the file). */
const STORED_ISSUES = 2000;
/** Rows between two progress writes. */
const PROGRESS_EVERY = 5000;

export interface ImportView {
  id: string;
  kind: string;
  kindLabel: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  format: FileFormat;
  status: ImportStatus;
  dryRun: boolean;
  importer: string;
  rowsRead: number;
  rowsValidated: number;
  rowsWithErrors: number;
  rowsCommitted: number;
  households: number;
  recordsCommitted: number;
  issuesTotal: number;
  issues: (ImportIssue & { header: string | null })[];
  error: { code: string; message: string } | null;
  createdAt: string;
  validatedAt: string | null;
  committedAt: string | null;
}

export interface UploadRequest {
  kind: string;
  fileName: string;
  bytes: Buffer;
  dryRun: boolean;
  options: Record<string, unknown>;
}

type AnyKind = ImportKind<unknown, unknown, unknown>;

export function createImports(deps: EngineDeps, opts: { maxBytes: number; limits?: IntakeLimits }) {
  const { db, clock, logger } = deps;
  const cdb = commandDbOf(db);
  const limits = opts.limits ?? defaultIntakeLimits(opts.maxBytes);
  const kinds = new Map<string, AnyKind>();
  /** Jobs this process is working on, with their live progress (a commit's counts are invisible until COMMIT). */
  const running = new Map<string, { promise: Promise<void>; rowsCommitted: number }>();

  function register(kind: ImportKind<any, any, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    kinds.set(kind.name, kind as AnyKind);
  }

  function kindOf(name: string): AnyKind {
    const k = kinds.get(name);
    if (!k) throw new AppError('IMPORT_KIND_UNKNOWN', { message: `No import kind ${name}`, messageZh: `没有“${name.slice(0, 30)}”这种导入类型`, details: { kind: name.slice(0, 30), known: [...kinds.keys()] } });
    return k;
  }

  function mayRun(p: Principal, kind: AnyKind): void {
    if (!p.roles.some((r) => kind.roles.includes(r))) throw errors.forbidden({ roles: kind.roles });
  }

  const notFound = (id: string) => new AppError('IMPORT_NOT_FOUND', { message: `No import ${id}`, messageZh: '未找到该导入任务', details: { importId: id } });

  /** The job when the caller may see it: its importer, or an admin/supervisor over its scope. Otherwise not found. */
  async function visibleJob(p: Principal, id: string): Promise<ImportJobInfo> {
    const job = /^[0-9a-f-]{36}$/i.test(id) ? await getImportJob(db, id) : null;
    if (!job) throw notFound(id);
    const own = job.actorId === p.id;
    const overseer = p.roles.some((r) => r === 'admin' || r === 'supervisor') && job.scope.startsWith(p.region);
    if (!own && !overseer) throw notFound(id);
    return job;
  }

  function view(job: ImportJobInfo): ImportView {
    const kind = kinds.get(job.kind);
    const header = (key: string | null) => (key === null ? null : (kind?.columns.find((c) => c.key === key)?.header ?? key));
    const live = running.get(job.id);
    return {
      id: job.id,
      kind: job.kind,
      kindLabel: kind?.label ?? job.kind,
      fileName: job.fileName,
      sha256: job.sha256,
      sizeBytes: job.sizeBytes,
      format: job.format,
      status: job.status,
      dryRun: job.dryRun,
      importer: job.actorUsername,
      rowsRead: job.rowsRead,
      rowsValidated: job.rowsValidated,
      rowsWithErrors: job.rowsWithErrors,
      rowsCommitted: job.status === 'committing' && live ? live.rowsCommitted : job.rowsCommitted,
      households: job.groups,
      recordsCommitted: job.recordsCommitted,
      issuesTotal: job.issuesTotal,
      issues: job.issues.slice(0, 200).map((i) => ({ ...i, header: header(i.column) })),
      error: job.error ? { code: job.error.code, message: job.error.messageZh } : null,
      createdAt: job.createdAt.toISOString(),
      validatedAt: job.validatedAt?.toISOString() ?? null,
      committedAt: job.committedAt?.toISOString() ?? null,
    };
  }

  const readContext = (p: Principal): ReadContext => ({ principal: p, at: clock.now(), query: async (stmts) => Promise.all(stmts.map((s) => cdb.run(s))) });

  const errorOf = (e: unknown) =>
    isAppError(e)
      ? { code: e.code, message: e.message, messageZh: e.messageZh ?? e.message, details: e.details }
      : { code: 'INTERNAL', message: 'The import failed', messageZh: '导入出错，请重试或联系管理员' };

  function start(id: string, run: () => Promise<void>): void {
    const entry = { promise: Promise.resolve(), rowsCommitted: 0 };
    entry.promise = run()
      .catch((e: unknown) => logger.error({ err: e instanceof Error ? { name: e.name, message: e.message } : String(e), importId: id }, 'import job failed unexpectedly'))
      .finally(() => running.delete(id));
    running.set(id, entry);
  }

  /** The principal a job runs as: its importer as recorded (roles and region at upload are what was checked). */
  const principalOf = (job: ImportJobInfo, p: Principal): Principal => ({ ...p, id: job.actorId, username: job.actorUsername });

  async function upload(p: Principal, req: UploadRequest): Promise<ImportView> {
    const kind = kindOf(req.kind);
    mayRun(p, kind);
    let options: Record<string, unknown>;
    try {
      options = kind.parseOptions(req.options) as Record<string, unknown>;
    } catch {
      throw errors.validationFailed([{ path: 'body.options', message: 'unknown or invalid import options', messageZh: '导入选项无效' }]);
    }
    const format: FileFormat = sniffFile(req.bytes, limits);
    const at = clock.now();
    const id = randomUUID();
    await insertImportJob(db, {
      id, kind: kind.name, actorId: p.id, actorUsername: p.username, scope: p.region,
      fileName: req.fileName.slice(0, 200) || '(未命名)', sha256: createHash('sha256').update(req.bytes).digest('hex'),
      sizeBytes: req.bytes.length, format, file: req.bytes, options, dryRun: req.dryRun, status: 'validating', createdAt: at, updatedAt: at,
    });
    start(id, () => validate(id, p));
    return view((await getImportJob(db, id))!);
  }

  async function validate(id: string, p: Principal): Promise<void> {
    const job = (await getImportJob(db, id))!;
    const kind = kindOf(job.kind);
    const bytes = (await fileOfImportJob(db, id))!;
    try {
      const a = await analyse(kind, bytes, job.format, readContext(principalOf(job, p)), {
        every: PROGRESS_EVERY,
        progress: async (rowsRead) => (await updateImportJob(db, id, ['validating'], { rowsRead, updatedAt: clock.now() })) !== null,
      });
      const earlier = await committedImportOf(db, job.kind, job.sha256, job.scope);
      if (earlier) a.issues.unshift({ row: null, column: null, message: '这个文件（内容相同）已由本辖区导入过，不会重复导入' });
      const at = clock.now();
      const done = await updateImportJob(db, id, ['validating'], {
        status: 'validated', rowsRead: a.rowsRead, rowsValidated: a.rowsRead, rowsWithErrors: a.rowsWithErrors, groups: a.groups.length,
        issues: a.issues.slice(0, STORED_ISSUES), issuesTotal: a.issues.length, validatedAt: at, updatedAt: at,
      });
      if (done && !job.dryRun && a.issues.length === 0) await beginCommit(principalOf(job, p), id, true);
    } catch (e) {
      if (e instanceof AnalysisStopped) return; // cancelled meanwhile
      const noHeader = (e as { noHeader?: boolean }).noHeader;
      const err = noHeader ? { code: 'IMPORT_HEADER_INVALID', message: 'The file has no header row', messageZh: '文件是空的，没有表头行', details: { missing: [], unknown: [], duplicate: [] } } : errorOf(e);
      if (!isAppError(e) && !noHeader) logger.error({ importId: id, err: e instanceof Error ? e.message : String(e) }, 'import validation failed');
      await updateImportJob(db, id, ['validating'], { status: 'failed', error: err, updatedAt: clock.now() });
    }
  }

  async function beginCommit(p: Principal, id: string, wait: boolean): Promise<ImportView> {
    const job = await getImportJob(db, id);
    if (!job) throw notFound(id);
    const conflict = (status: string) => new AppError('IMPORT_STATE_CONFLICT', { messageZh: `导入任务当前状态为“${statusLabels[status] ?? status}”，不能提交导入`, details: { importId: id, status, allowed: ['validated'] } });
    if (job.status !== 'validated') throw conflict(job.status);
    const earlier = await committedImportOf(db, job.kind, job.sha256, job.scope);
    if (earlier) throw alreadyCommitted(earlier);
    if (job.rowsWithErrors > 0 || job.issuesTotal > 0) {
      throw new AppError('IMPORT_HAS_ERRORS', { messageZh: `试导入发现 ${job.rowsWithErrors} 行有错误，请按报告修改文件后重新上传`, details: { importId: id, rowsWithErrors: job.rowsWithErrors } });
    }
    const claimed = await updateImportJob(db, id, ['validated'], { status: 'committing', updatedAt: clock.now() });
    if (!claimed) throw conflict((await getImportJob(db, id))?.status ?? 'unknown');
    const run = () => commitNow(id, p);
    if (wait) await run();
    else start(id, run);
    return view((await getImportJob(db, id))!);
  }

  const alreadyCommitted = (importId: string) => new AppError('IMPORT_ALREADY_COMMITTED', { details: { importId } });

  /** The commit: parse anew, then one transaction — mark committed (the once-only index), check, write, count. */
  async function commitNow(id: string, p: Principal): Promise<void> {
    const job = (await getImportJob(db, id))!;
    const kind = kindOf(job.kind);
    const principal = principalOf(job, p);
    const live = running.get(id);
    try {
      const bytes = (await fileOfImportJob(db, id))!;
      const a = await analyse(kind, bytes, job.format, readContext(principal), { every: PROGRESS_EVERY, progress: () => true });
      if (a.issues.length > 0) throw new AppError('IMPORT_HAS_ERRORS', { messageZh: `提交时复核发现 ${a.rowsWithErrors} 行有错误（数据已有变化），未导入任何数据`, details: { importId: id, rowsWithErrors: a.rowsWithErrors } });
      const at = clock.now();
      await cdb.transaction(async (s) => {
        // A kind that opens cases writes them with the rollup triggers off and adds the rollups once at the end.
        const [marked] = await s.batch([markImportCommittedStmt(id, at), ...(kind.createsCases ? [rollupModeStmt('deferred')] : [])]);
        if (marked.length !== 1) throw new AppError('IMPORT_STATE_CONFLICT', { details: { importId: id, status: 'cancelled', allowed: ['committing'] } });
        const ctx = { ...readContext(principal), at, query: (stmts: readonly import('../../db/session.js').Stmt[]) => s.batch(stmts) };
        const again = await kind.validateGroups(a.groups, ctx);
        if (again.length > 0) throw new AppError('IMPORT_HAS_ERRORS', { messageZh: '提交时复核发现错误（数据已有变化），未导入任何数据', details: { importId: id, rowsWithErrors: new Set(again.map((i) => i.row)).size } });
        const written = await kind.commit(a.groups, {
          ...ctx,
          session: s,
          source: { jobId: id, kind: job.kind, fileName: job.fileName, sha256: job.sha256, importer: { id: job.actorId, username: job.actorUsername } },
          options: job.options,
          progress: (n) => {
            if (live) live.rowsCommitted = n;
          },
        });
        if (kind.createsCases) await s.batch([...addRollupsOfNewCasesStmts(written.caseIds ?? []), rollupModeStmt('immediate')]);
        return { final: [importCountsStmt(id, written.rows, written.records)], result: written };
      });
      logger.info({ importId: id, kind: job.kind, actorId: job.actorId }, 'import committed');
    } catch (e) {
      const code = (e as { code?: string; constraint_name?: string; constraint?: string }) ?? {};
      const once = code.code === '23505' && (code.constraint_name ?? code.constraint) === IMPORT_COMMITTED_CONSTRAINT;
      const earlier = once ? await committedImportOf(db, job.kind, job.sha256, job.scope) : null;
      const err = once ? errorOf(alreadyCommitted(earlier ?? id)) : code.code === '23505' ? errorOf(errors.duplicateResidentElsewhere()) : errorOf(e);
      if (!isAppError(e) && !once) logger.error({ importId: id, err: e instanceof Error ? e.message : String(e) }, 'import commit failed; nothing was written');
      await updateImportJob(db, id, ['committing'], { status: 'failed', error: err, updatedAt: clock.now() });
    }
  }

  async function cancel(p: Principal, id: string): Promise<ImportView> {
    const job = await visibleJob(p, id);
    if (job.actorId !== p.id) throw notFound(id);
    const at = clock.now();
    const done = await updateImportJob(db, id, ['validating', 'validated'], { status: 'cancelled', cancelledAt: at, updatedAt: at });
    if (!done) {
      const now = (await getImportJob(db, id))!;
      throw new AppError('IMPORT_STATE_CONFLICT', { messageZh: `导入任务当前状态为“${statusLabels[now.status] ?? now.status}”，不能取消`, details: { importId: id, status: now.status, allowed: ['validating', 'validated'] } });
    }
    return view(done);
  }

  async function commit(p: Principal, id: string): Promise<ImportView> {
    const job = await visibleJob(p, id);
    if (job.actorId !== p.id) throw notFound(id);
    mayRun(p, kindOf(job.kind));
    return beginCommit(p, id, false);
  }

  /** On start: jobs a stopped process left unfinished. */
  async function recover(): Promise<{ revalidated: number; reopened: number }> {
    let revalidated = 0;
    let reopened = 0;
    for (const j of await unfinishedImportJobs(db)) {
      if (running.has(j.id)) continue;
      if (j.status === 'committing') {
        // Its transaction ended with the process: nothing of it is in the database. Ready to commit again.
        await updateImportJob(db, j.id, ['committing'], { status: 'validated', updatedAt: clock.now() });
        reopened++;
      } else {
        const job = (await getImportJob(db, j.id))!;
        const p: Principal = { id: job.actorId, username: job.actorUsername, roles: [...kindOf(job.kind).roles], level: null, region: job.scope };
        start(j.id, () => validate(j.id, p));
        revalidated++;
      }
    }
    return { revalidated, reopened };
  }

  /** Resolves when the job's background work (if any) in this process has ended. */
  async function settled(id: string): Promise<void> {
    await running.get(id)?.promise;
  }

  async function drain(): Promise<void> {
    await Promise.all([...running.values()].map((r) => r.promise));
  }

  /**
   * The dry-run report as of now: the file's rows with the faulty cells marked, and every issue listed (the job
   * row keeps the first STORED_ISSUES only; the report checks the file again, so it may name what changed since).
   */
  async function report(p: Principal, id: string): Promise<{ fileName: string; bytes: Buffer }> {
    const job = await visibleJob(p, id);
    const kind = kindOf(job.kind);
    const bytes = (await fileOfImportJob(db, id))!;
    let issues: ImportIssue[];
    try {
      issues = (await analyse(kind, bytes, job.format, readContext(principalOf(job, p)), { every: PROGRESS_EVERY, progress: () => true })).issues;
    } catch (e) {
      if (!isAppError(e) && !(e as { noHeader?: boolean }).noHeader) throw e;
      issues = [{ row: null, column: null, message: isAppError(e) ? (e.messageZh ?? e.message) : '文件是空的，没有表头行' }];
    }
    const byHeader = new Map(kind.columns.map((c) => [c.header, c.key]));
    const keys = (h: readonly unknown[]) => h.map((v) => byHeader.get(String(v ?? '').replace(/[\s\u3000*＊]/g, '')) ?? null);
    const out = await reportWorkbook(kind, fileRows(bytes, job.format), issues, keys);
    return { fileName: `试导入报告-${job.fileName.replace(/\.(xlsx|csv)$/i, '')}.xlsx`, bytes: out };
  }

  return {
    register,
    report,
    template: (name: string) => templateWorkbook(kindOf(name)),
    kinds: () => [...kinds.values()],
    kindOf,
    upload,
    get: async (p: Principal, id: string) => view(await visibleJob(p, id)),
    job: visibleJob,
    file: async (p: Principal, id: string) => {
      const job = await visibleJob(p, id);
      return { job, kind: kindOf(job.kind), bytes: (await fileOfImportJob(db, id))! };
    },
    commit,
    cancel,
    recover,
    settled,
    drain,
  };
}

export const statusLabels: Record<string, string> = {
  validating: '校验中',
  validated: '已校验',
  committing: '导入中',
  committed: '已导入',
  failed: '失败',
  cancelled: '已取消',
};

export type Imports = ReturnType<typeof createImports>;
