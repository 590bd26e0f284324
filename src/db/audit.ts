// The audit trail: one record per accepted event, hash-chained per case (see src/audit/hash.ts) and
// append-only in the database (trigger in migrations/0001_audit_append_only.sql).
import { asc, desc, eq } from 'drizzle-orm';
import { chainNext, verifyChain, verifyChainAgainstHead, type AuditContent, type ChainVerification } from '../audit/hash.js';
import { auditRecords, cases, type AuditRecordRow } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

/** An event to record; seq, prevHash and hash are computed here. */
export type AuditAppend = AuditContent;

/**
 * Appends the next record of a case's chain. The caller must hold the case's row lock (lockCase) in the same
 * transaction: the lock orders concurrent appends, and unique(case_id, seq) turns a missing lock into an
 * error instead of a fork in the chain.
 */
export async function appendAudit(tx: Db | Tx, record: AuditAppend): Promise<AuditRecordRow> {
  const [last] = await tx
    .select({ seq: auditRecords.seq, hash: auditRecords.hash })
    .from(auditRecords)
    .where(eq(auditRecords.caseId, record.caseId))
    .orderBy(desc(auditRecords.seq))
    .limit(1);
  const content = chainNext(last ?? { seq: 0, hash: null }, record);
  const [row] = await tx
    .insert(auditRecords)
    .values(content)
    .returning();
  // The case row carries the chain's head for the command path (src/engine/commands.ts), which appends
  // without reading the chain; every other appender keeps it in step here.
  await tx.update(cases).set({ auditSeq: row.seq, auditHead: row.hash }).where(eq(cases.id, record.caseId));
  return row;
}

/** A case's records in seq order. */
export async function listAudit(tx: Db | Tx, caseId: string): Promise<AuditRecordRow[]> {
  if (!isUuid(caseId)) return [];
  return tx.select().from(auditRecords).where(eq(auditRecords.caseId, caseId)).orderBy(asc(auditRecords.seq));
}

/**
 * Reads a case's chain and verifies it: every record links to its predecessor and hashes to its content, and the
 * chain ends at the head the case row carries (so deleting the newest records is found too). A record whose case
 * row is missing is checked as a chain only.
 */
export async function verifyCaseAudit(tx: Db | Tx, caseId: string): Promise<ChainVerification> {
  if (!isUuid(caseId)) return verifyChain([]);
  // One statement, so the head and the records are read from the same snapshot while commands go on.
  const rows = await tx
    .select({ record: auditRecords, headSeq: cases.auditSeq, headHash: cases.auditHead })
    .from(cases)
    .leftJoin(auditRecords, eq(auditRecords.caseId, cases.id))
    .where(eq(cases.id, caseId))
    .orderBy(asc(auditRecords.seq));
  if (rows.length === 0) return verifyChain(await listAudit(tx, caseId));
  const records = rows.flatMap((r) => (r.record ? [r.record] : []));
  return verifyChainAgainstHead(caseId, records, { seq: rows[0].headSeq, hash: rows[0].headHash });
}
