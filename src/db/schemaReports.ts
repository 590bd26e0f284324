// Report rollups (统计报表): counts per village kept exact by triggers on the rows they count, so a city-wide
// report reads a few thousand rollup rows instead of a million cases and their members. Re-exported by schema.ts.
//
// The triggers (migration reports_rollup_triggers, hand-written SQL) run inside the transaction of whatever
// changes a case, a member or an audit record — a command, a timer's firing, a backfill — so a rollup row is
// never ahead of or behind the rows it counts. Each trigger applies its deltas in one INSERT … ON CONFLICT DO
// UPDATE sorted by key (no CHECK on the counts: PostgreSQL checks the proposed row, a negative delta, before
// it meets the conflict), so two transactions lock rollup rows in the same order; deadlocks a multi-statement
// command could still meet are retried by the engine (src/engine/commands.ts, retryOnRace).
//
// Glossary
//   placement_mode  '' for a case with no current placement (the key must be NOT NULL to be part of the PK).
//   flow            one of survey (SUBMIT_SURVEY), approval (the case entered awaitingPlacement: the notice ended
//                   with no open objection), placement (PLACE), exit (the case reached exited).
//   month           the calendar month in China time (YYYY-MM) of the audit record's `at`.
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, varchar } from 'drizzle-orm/pg-core';

/** Cases and their people by village, state (as stored on cases.state) and placement mode. */
export const reportCaseCounts = pgTable(
  'report_case_counts',
  {
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    state: text('state').notNull(),
    placementMode: text('placement_mode').notNull().default(''),
    households: integer('households').notNull().default(0),
    people: integer('people').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'report_case_counts_pk', columns: [t.villageCode, t.state, t.placementMode] }),
  ],
);

/** People by village, case state and category (五类, a member counts once per category they are in). */
export const reportCategoryCounts = pgTable(
  'report_category_counts',
  {
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    state: text('state').notNull(),
    category: text('category').notNull(),
    people: integer('people').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'report_category_counts_pk', columns: [t.villageCode, t.state, t.category] }),
  ],
);

/** Events per village, month (China time) and flow. */
export const reportFlows = pgTable(
  'report_flows',
  {
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    month: varchar('month', { length: 7 }).notNull(),
    flow: text('flow').notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'report_flows_pk', columns: [t.villageCode, t.month, t.flow] }),
    check('report_flows_flow_check', sql`${t.flow} in ('survey', 'approval', 'placement', 'exit')`),
    check('report_flows_month_check', sql`${t.month} ~ '^[0-9]{4}-[0-9]{2}$'`),
  ],
);

/**
 * Approvals by village and the China dates of survey submission and approval: the working days between them
 * are counted when the report is read, with the calendar as loaded then (src/time/calendar.ts), so a calendar
 * loaded late still counts, and the rule of what a working day is stays in one place.
 */
export const reportApprovals = pgTable(
  'report_approvals',
  {
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    submittedOn: varchar('submitted_on', { length: 10 }).notNull(),
    approvedOn: varchar('approved_on', { length: 10 }).notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'report_approvals_pk', columns: [t.villageCode, t.submittedOn, t.approvedOn] }),
    // The report reads one period's approvals of a scope: approved_on first, so a city's year is a range of this
    // index (index-only with n INCLUDEd, migration 0023) instead of a scan of every pair ever recorded.
    index('report_approvals_approved_idx').on(t.approvedOn, t.villageCode, t.submittedOn),
  ],
);

/** Revisits by village and month of the visit (China date), on time (made before the deadline it answered) or late. */
export const reportRevisits = pgTable(
  'report_revisits',
  {
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    month: varchar('month', { length: 7 }).notNull(),
    onTime: integer('on_time').notNull().default(0),
    late: integer('late').notNull().default(0),
  },
  (t) => [primaryKey({ name: 'report_revisits_pk', columns: [t.villageCode, t.month] })],
);

export type ReportCaseCountRow = typeof reportCaseCounts.$inferSelect;
