// The registry of printed documents (issue 15). Re-exported by schema.ts so that drizzle-kit and the client see one
// schema. Append-only (trigger append_only_refuse_change; the runtime role may only read and insert).
//
// Glossary
//   issued document   one PDF the service produced and handed out: its kind, the village it is posted in or
//                     belongs to, the cases it covers, the SHA-256 of the exact bytes served, who issued it, when.
//   code              the short code printed on the paper (and in its QR code): 8 Crockford base32 characters,
//                     stored without the dash (src/domain/documentCode.ts).
//   public view       for a 公示名单 only: exactly what the posted paper shows (masked), for the public pages.
import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const DOCUMENT_KINDS = ['publicity_list', 'refusal_notice', 'care_agreement', 'revisit_form', 'exit_notice'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** What a posted 公示名单 shows, and nothing more (names as printed, ID numbers masked as printed). */
export interface PublicityPublicView {
  villageName: string;
  townshipName: string;
  countyName: string;
  rows: Array<{ caseNumber: string; name: string; maskedId: string; sex: string; categories: string[]; mode: string | null }>;
  /** ISO dates (YYYY-MM-DD), China time. */
  periodStart: string;
  periodEnd: string;
  objectTo: { office: string; address: string; telephone: string };
}

export const issuedDocuments = pgTable(
  'issued_documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    code: text('code').notNull().unique('issued_documents_code_unique'),
    kind: text('kind').$type<DocumentKind>().notNull(),
    villageCode: varchar('village_code', { length: 12 }).notNull(),
    caseIds: uuid('case_ids').array().notNull(),
    sha256: text('sha256').notNull(),
    issuedBy: uuid('issued_by').notNull(),
    issuedAt: tstz('issued_at').notNull(),
    publicView: jsonb('public_view').$type<PublicityPublicView>(),
  },
  (t) => [
    // A printed copy is checked by its hash.
    index('issued_documents_sha256_idx').on(t.sha256),
    index('issued_documents_village_idx').on(t.villageCode, t.issuedAt),
    check('issued_documents_code_check', sql`${t.code} ~ '^[0-9A-HJKMNP-TV-Z]{8}$'`),
    check('issued_documents_kind_check', sql.raw(`kind in (${DOCUMENT_KINDS.map((k) => `'${k}'`).join(', ')})`)),
    check('issued_documents_village_check', sql`${t.villageCode} ~ '^[0-9]{12}$'`),
    check('issued_documents_sha256_check', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check('issued_documents_public_view_check', sql`(${t.kind} = 'publicity_list') = (${t.publicView} is not null)`),
  ],
);

export type IssuedDocumentRow = typeof issuedDocuments.$inferSelect;
export type NewIssuedDocument = typeof issuedDocuments.$inferInsert;
