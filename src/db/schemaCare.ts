// Tables of care after approval (三个一批): the guardian registry for dispersed care and the revisit log.
// Re-exported by schema.ts.
//
// Glossary
//   guardian   监护人/托养人 of a dispersed-care beneficiary: the household's legal supporter (法定赡养人), or a
//              neighbour, village party member or capable poor household member appointed by the township.
//   ward       a beneficiary in a guardian's care; a guardian has at most a configured number of wards.
//   revisit    回访: a visit by the village committee (monthly for dispersed care, quarterly for the
//              centralized modes) recording living conditions, health, problems and whether to reassess.
import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, date, index, integer, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { cases } from './schema.js';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const GUARDIAN_KINDS = ['legal_supporter', 'neighbour', 'party_member', 'capable_poor_household'] as const;

export const guardians = pgTable(
  'guardians',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    kind: text('kind').$type<(typeof GUARDIAN_KINDS)[number]>().notNull(),
    // The village (12 digits) or township (9) the guardian lives in.
    regionCode: varchar('region_code', { length: 12 }).notNull(),
    phone: text('phone').notNull().default(''),
    // Null = the deployment's default maximum.
    maxWards: integer('max_wards'),
    active: boolean('active').notNull().default(true),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('guardians_region_idx').on(t.regionCode),
    check('guardians_kind_check', sql`${t.kind} in ('legal_supporter', 'neighbour', 'party_member', 'capable_poor_household')`),
    check('guardians_max_wards_check', sql`${t.maxWards} is null or ${t.maxWards} >= 1`),
  ],
);

export const revisits = pgTable(
  'revisits',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    date: date('date', { mode: 'string' }).notNull(),
    visitorId: text('visitor_id').notNull(),
    livingConditions: text('living_conditions').notNull(),
    health: text('health').notNull(),
    problems: text('problems').notNull().default(''),
    reassessmentNeeded: boolean('reassessment_needed').notNull(),
    // The placement the visit was made under (mode and facility or guardian at the time).
    placementMode: text('placement_mode').notNull(),
    recordedAt: tstz('recorded_at').notNull(),
    // The revisit deadline the visit answered (cases.deadline_at while it was due): on time when made before it.
    // Null for revisits recorded before the column existed (reports count those neither on time nor late).
    dueAt: tstz('due_at'),
  },
  (t) => [index('revisits_case_idx').on(t.caseId, t.date)],
);

export type GuardianRow = typeof guardians.$inferSelect;
export type NewGuardian = typeof guardians.$inferInsert;
export type RevisitRow = typeof revisits.$inferSelect;
