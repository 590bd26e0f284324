// Bulk import jobs (批量导入任务): the uploaded file itself (bytea: a job survives a restart and the dry-run
// report is built from it), who uploaded it and for which jurisdiction, its status and progress counts, and the
// issues the dry run found. Re-exported by schema.ts.
//
// Glossary
//   scope      the importer's jurisdiction (region-code prefix) when they uploaded: a file is committed at most
//              once per (kind, sha256, scope) — import_jobs_committed_once, a partial unique index.
//   status     validating → validated → committing → committed; failed or cancelled end a job early.
import { sql } from 'drizzle-orm';
import { boolean, check, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

export const IMPORT_STATUSES = ['validating', 'validated', 'committing', 'committed', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export const importJobs = pgTable(
  'import_jobs',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    actorId: uuid('actor_id').notNull(),
    actorUsername: text('actor_username').notNull(),
    scope: text('scope').notNull(),
    fileName: text('file_name').notNull(),
    sha256: text('sha256').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    format: text('format').$type<'xlsx' | 'csv'>().notNull(),
    file: bytea('file').notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    dryRun: boolean('dry_run').notNull().default(true),
    status: text('status').$type<ImportStatus>().notNull(),
    rowsRead: integer('rows_read').notNull().default(0),
    rowsValidated: integer('rows_validated').notNull().default(0),
    rowsWithErrors: integer('rows_with_errors').notNull().default(0),
    rowsCommitted: integer('rows_committed').notNull().default(0),
    groups: integer('groups').notNull().default(0),
    recordsCommitted: integer('records_committed').notNull().default(0),
    issues: jsonb('issues').$type<{ row: number | null; column: string | null; message: string }[]>().notNull().default(sql`'[]'::jsonb`),
    issuesTotal: integer('issues_total').notNull().default(0),
    error: jsonb('error').$type<{ code: string; message: string; messageZh: string; details?: unknown } | null>(),
    createdAt: tstz('created_at').notNull(),
    updatedAt: tstz('updated_at').notNull(),
    validatedAt: tstz('validated_at'),
    committedAt: tstz('committed_at'),
    cancelledAt: tstz('cancelled_at'),
  },
  (t) => [
    uniqueIndex('import_jobs_committed_once').on(t.kind, t.sha256, t.scope).where(sql`${t.status} = 'committed'`),
    index('import_jobs_actor_idx').on(t.actorId, t.createdAt),
    index('import_jobs_open_idx').on(t.status).where(sql`${t.status} in ('validating', 'committing')`),
    check('import_jobs_status_check', sql`${t.status} in ('validating', 'validated', 'committing', 'committed', 'failed', 'cancelled')`),
    check('import_jobs_format_check', sql`${t.format} in ('xlsx', 'csv')`),
    check('import_jobs_scope_check', sql`${t.scope} ~ '^[0-9]{2,12}$'`),
    check('import_jobs_sha256_check', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type ImportJobRow = typeof importJobs.$inferSelect;
export type NewImportJob = typeof importJobs.$inferInsert;
