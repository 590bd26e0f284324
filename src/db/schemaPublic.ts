// Objections lodged online through the public notice page (issue 15). Re-exported by schema.ts so that drizzle-kit
// and the client see one schema.
//
// Glossary
//   receipt   the number the villager is given (W + China date + 6 Crockford base32 characters); it is also the
//             objection's id on the case, so an officer and the villager speak of the same number.
//   slot      the objection's place among the case's online objections of one China day (1, 2, …): unique per
//             (case, day), so the per-notice daily limit holds in the database even if two processes race.
//   name, contact  the lodger's, as typed: personal data, shown to the officers of the case's jurisdiction only.
import { sql } from 'drizzle-orm';
import { check, date, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { cases } from './schema.js';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const publicObjections = pgTable(
  'public_objections',
  {
    receipt: text('receipt').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    documentCode: text('document_code').notNull(),
    lodgedOn: date('lodged_on', { mode: 'string' }).notNull(),
    slot: integer('slot').notNull(),
    name: text('name').notNull(),
    contact: text('contact').notNull(),
    createdAt: tstz('created_at').notNull(),
  },
  (t) => [
    unique('public_objections_case_day_slot_unique').on(t.caseId, t.lodgedOn, t.slot),
    check('public_objections_slot_check', sql`${t.slot} >= 1`),
    check('public_objections_receipt_check', sql`${t.receipt} ~ '^W[0-9]{8}[0-9A-HJKMNP-TV-Z]{6}$'`),
  ],
);

export type PublicObjectionRow = typeof publicObjections.$inferSelect;
