// The registry of issued documents (issued_documents): insert inside the issuing transaction, and look a document up
// by its printed code or by the hash of a copy. The public pages read the registry only through these.
import { desc, eq } from 'drizzle-orm';
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
