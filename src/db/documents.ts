// The registry of issued documents (issued_documents): insert inside the issuing transaction, and look a document up
// by its printed code or by the hash of a copy. The public pages read the registry only through these.
import { and, arrayContains, asc, desc, eq, like, or } from 'drizzle-orm';
import { cases, type CaseRow } from './schema.js';
import { normalizeDocumentCode } from '../domain/documentCode.js';
import { issuedDocuments, type IssuedDocumentRow, type NewIssuedDocument } from './schemaDocuments.js';
import type { Db, Tx } from './types.js';

/** Registers a document (the caller's transaction also appends DOCUMENT_ISSUED to each covered case). */
export async function insertDocument(tx: Db | Tx, row: Omit<NewIssuedDocument, 'id'>): Promise<IssuedDocumentRow> {
  const [inserted] = await tx.insert(issuedDocuments).values(row).returning();
  return inserted!;
}

/** By the printed code, as a person typed it (any case, with or without the dash); null when unknown or malformed. */
export async function findDocumentByCode(db: Db | Tx, code: string): Promise<IssuedDocumentRow | null> {
  const normalized = normalizeDocumentCode(code);
  if (!normalized) return null;
  const [row] = await db.select().from(issuedDocuments).where(eq(issuedDocuments.code, normalized)).limit(1);
  return row ?? null;
}

/** By the SHA-256 (hex, any case) of a copy's bytes; null when no issued document has it. */
export async function findDocumentBySha256(db: Db | Tx, sha256: string): Promise<IssuedDocumentRow | null> {
  const hex = sha256.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  const [row] = await db.select().from(issuedDocuments).where(eq(issuedDocuments.sha256, hex)).orderBy(desc(issuedDocuments.issuedAt)).limit(1);
  return row ?? null;
}

/** A village's cases whose state is (under) `statePrefix` ('publicity'), oldest case number first. */
export async function listVillageCasesInState(db: Db | Tx, villageCode: string, statePrefix: string): Promise<CaseRow[]> {
  return db
    .select()
    .from(cases)
    .where(and(eq(cases.villageCode, villageCode), or(eq(cases.state, statePrefix), like(cases.state, `${statePrefix}.%`))))
    .orderBy(asc(cases.caseNumber));
}

/** The documents issued for a case, newest first (the case page lists them). */
export async function listCaseDocuments(db: Db | Tx, caseId: string): Promise<IssuedDocumentRow[]> {
  return db.select().from(issuedDocuments).where(arrayContains(issuedDocuments.caseIds, [caseId])).orderBy(desc(issuedDocuments.issuedAt));
}
