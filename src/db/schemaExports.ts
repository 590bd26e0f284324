// The export log (导出记录): one row per export a person took (a list, the 花名册 roster, a report), written
// when the download ends. Append-only: the trigger of the accounts migration (append_only_refuse_change)
// refuses UPDATE, DELETE and TRUNCATE, and the runtime role may only read and insert (src/db/roles.ts).
// Re-exported by schema.ts.
//
// Glossary
//   export     one download of a table as XLSX or CSV (src/exports).
//   scope      the region-code prefix the rows came from (the reader's jurisdiction, or a narrower filter);
//              admins and supervisors read the records whose scope lies inside their own jurisdiction.
//   filters    the filters of the export, without personal values: a search text is kept only as the fact
//              that a search was used (and of which kind), never its words or digits.
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const EXPORT_OUTCOMES = ['completed', 'aborted', 'failed'] as const;
export type ExportOutcome = (typeof EXPORT_OUTCOMES)[number];

export const exportLog = pgTable(
  'export_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // When the download ended (the injected clock).
    at: tstz('at').notNull(),
    actorId: uuid('actor_id').notNull(),
    // As they were at the time.
    actorUsername: text('actor_username').notNull(),
    actorRoles: text('actor_roles').array().notNull(),
    // Which export: 'worklist', 'overdue', 'roster', or a report's table id.
    export: text('export').notNull(),
    format: text('format').notNull(),
    scope: text('scope').notNull(),
    filters: jsonb('filters').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    rowCount: integer('row_count').notNull(),
    // completed: the last byte was handed on; aborted: the reader went away; failed: an error mid-stream.
    outcome: text('outcome').$type<ExportOutcome>().notNull(),
    // Whether the rows showed full ID numbers (the reader's role sees them).
    idNumbers: text('id_numbers').$type<'full' | 'masked' | 'none'>().notNull(),
    requestId: text('request_id'),
  },
  (t) => [
    index('export_log_scope_idx').on(t.scope, t.id),
    check('export_log_format_check', sql`${t.format} in ('xlsx', 'csv')`),
    check('export_log_outcome_check', sql`${t.outcome} in ('completed', 'aborted', 'failed')`),
    check('export_log_id_numbers_check', sql`${t.idNumbers} in ('full', 'masked', 'none')`),
    check('export_log_row_count_check', sql`${t.rowCount} >= 0`),
    check('export_log_scope_check', sql`${t.scope} ~ '^[0-9]{2,12}$'`),
  ],
);

export type ExportLogRow = typeof exportLog.$inferSelect;
export type NewExportLog = typeof exportLog.$inferInsert;
