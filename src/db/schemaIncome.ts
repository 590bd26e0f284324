// Tables of money (issue 13): household income by source and year, the per-village reference for the 120%
// collective-dividend rule, and the history of money settings. Re-exported by schema.ts so that drizzle-kit and the
// client see one schema.
//
// Glossary
//   income line         household_income: one source's amount (whole fen) for one household and year, with evidence.
//                       One row per (household, year, source) — the primary key — so a source is never counted twice.
//   dividend reference  dividend_references: a general poor household's collective dividend in a village and year
//                       (一般贫困户集体经济分红); versioned like settings (If-Match).
//   setting history     setting_history: every change of a money setting (the projection parameters, a dividend
//                       reference), who made it, the value and version — append-only (trigger, as the audit trail).
import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { INCOME_SOURCES, MAX_INCOME_YEAR, MIN_INCOME_YEAR, type IncomeSource } from '../domain/income.js';
import { cases, households } from './schema.js';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const sqlList = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(', ')})`);

export const householdIncome = pgTable(
  'household_income',
  {
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    year: integer('year').notNull(),
    source: text('source').$type<IncomeSource>().notNull(),
    // Whole fen (分): money is never a float.
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    evidence: text('evidence').notNull(),
    // The case the line was recorded through (its audit trail holds the change) and who recorded it.
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    recordedBy: uuid('recorded_by').notNull(),
    recordedAt: tstz('recorded_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'household_income_pk', columns: [t.householdId, t.year, t.source] }),
    // Reports: a year's lines, joined to households by village.
    index('household_income_year_idx').on(t.year, t.householdId),
    check('household_income_source_check', sql`${t.source} in ${sqlList(INCOME_SOURCES)}`),
    check('household_income_amount_check', sql`${t.amountFen} >= 0`),
    check('household_income_year_check', sql.raw(`year between ${MIN_INCOME_YEAR} and ${MAX_INCOME_YEAR}`)),
  ],
);

export const dividendReferences = pgTable(
  'dividend_references',
  {
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    year: integer('year').notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    version: integer('version').notNull().default(1),
    updatedBy: text('updated_by').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'dividend_references_pk', columns: [t.villageCode, t.year] }),
    check('dividend_references_village_check', sql`${t.villageCode} ~ '^[0-9]{12}$'`),
    check('dividend_references_amount_check', sql`${t.amountFen} >= 0`),
    check('dividend_references_year_check', sql.raw(`year between ${MIN_INCOME_YEAR} and ${MAX_INCOME_YEAR}`)),
  ],
);

export const settingHistory = pgTable(
  'setting_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // 'care_projection', or 'dividend_reference:<year>'.
    setting: text('setting').notNull(),
    // The region the setting applies to: 'global', a prefix, or a village code.
    scope: text('scope').notNull(),
    version: integer('version').notNull(),
    value: jsonb('value').$type<unknown>().notNull(),
    actorId: uuid('actor_id').notNull(),
    actorUsername: text('actor_username').notNull(),
    requestId: text('request_id'),
    at: tstz('at').notNull(),
  },
  (t) => [
    index('setting_history_setting_idx').on(t.setting, t.scope, t.id),
    check('setting_history_scope_check', sql`${t.scope} = 'global' or ${t.scope} ~ '^[0-9]{2,12}$'`),
  ],
);

export type HouseholdIncomeRow = typeof householdIncome.$inferSelect;
export type DividendReferenceRow = typeof dividendReferences.$inferSelect;
export type SettingHistoryRow = typeof settingHistory.$inferSelect;
