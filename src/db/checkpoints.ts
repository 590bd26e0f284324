// Audit checkpoints in the database (tables: src/db/schemaAudit.ts; format and signature: src/audit/checkpoint.ts).
//
// writeCheckpoint reads every case's head in one REPEATABLE READ snapshot, page by page in case id order (keyset
// pages, so memory stays flat at millions of cases), hashing them as they come; it stores only the heads that
// changed since the previous checkpoint (its base), and then the signed checkpoint row. Two workers sealing at once
// cannot both commit: base_id is unique, and the second one's transaction rolls back (it returns null).
import type { KeyObject } from 'node:crypto';
import { desc, eq, sql } from 'drizzle-orm';
import { HeadsHasher, signCheckpoint, type CaseHead, type SignedCheckpoint } from '../audit/checkpoint.js';
import type { HashedAuditRecord } from '../audit/hash.js';
import { auditCheckpointHeads, auditCheckpoints, type AuditCheckpointRow } from './schemaAudit.js';
import { rows, type Db, type Tx } from './types.js';

export const CHECKPOINT_PAGE = 5000;

export interface WrittenCheckpoint extends SignedCheckpoint {
  changedCount: number;
}

export function toSignedCheckpoint(row: AuditCheckpointRow): SignedCheckpoint {
  return {
    v: 1,
    id: Number(row.id),
    baseId: Number(row.baseId),
    createdAt: row.createdAt.toISOString(),
    caseCount: Number(row.caseCount),
    root: row.root,
    keyId: row.keyId,
    signature: row.signature,
  };
}

/** The newest checkpoint, or null. */
export async function latestCheckpoint(db: Db | Tx): Promise<SignedCheckpoint | null> {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
  return row ? toSignedCheckpoint(row) : null;
}

export async function getCheckpoint(db: Db | Tx, id: number): Promise<SignedCheckpoint | null> {
  const [row] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.id, id));
  return row ? toSignedCheckpoint(row) : null;
}

const isUniqueViolation = (e: unknown): boolean => {
  for (let x = e, d = 0; x && typeof x === 'object' && d < 5; x = (x as { cause?: unknown }).cause, d++) {
    if ((x as { code?: unknown }).code === '23505') return true;
  }
  return false;
};

/**
 * Seal every case's audit head into a signed checkpoint. Returns it, or null when another process sealed one on
 * the same base at the same time (nothing is written then).
 */
export async function writeCheckpoint(
  db: Db,
  opts: { privateKey: KeyObject; now: Date; pageSize?: number },
): Promise<WrittenCheckpoint | null> {
  const pageSize = opts.pageSize ?? CHECKPOINT_PAGE;
  try {
    return await db.transaction(
      async (tx) => {
        const [{ base }] = rows<{ base: string | number }>(await tx.execute(sql`select coalesce(max(id), 0)::bigint as base from audit_checkpoints`));
        const baseId = Number(base);
        const [{ id }] = rows<{ id: string | number }>(await tx.execute(sql`select nextval('audit_checkpoints_id_seq') as id`));
        const checkpointId = Number(id);
        const hasher = new HeadsHasher();
        let changedCount = 0;
        let after: string | null = null;
        for (;;) {
          type Row = { case_id: string; seq: number; head: string | null; prev_seq: number | null };
          const page: Row[] = rows<Row>(
            await tx.execute(sql`
              select c.id::text as case_id, c.audit_seq as seq, c.audit_head as head, p.seq as prev_seq
              from cases c
              left join lateral (
                select h.seq from audit_checkpoint_heads h
                where h.case_id = c.id and h.checkpoint_id <= ${baseId}
                order by h.checkpoint_id desc limit 1
              ) p on true
              ${after === null ? sql`` : sql`where c.id > ${after}::uuid`}
              order by c.id
              limit ${pageSize}`),
          );
          if (page.length === 0) break;
          const changed: (typeof auditCheckpointHeads.$inferInsert)[] = [];
          for (const r of page) {
            const seq = Number(r.seq);
            hasher.add({ caseId: r.case_id, seq, head: r.head });
            if (r.prev_seq === null || Number(r.prev_seq) !== seq) {
              changed.push({ checkpointId, caseId: r.case_id, seq, head: r.head });
            }
          }
          if (changed.length > 0) await tx.insert(auditCheckpointHeads).values(changed);
          changedCount += changed.length;
          after = page[page.length - 1].case_id;
          if (page.length < pageSize) break;
        }
        const { root, count } = hasher.digest();
        const signed = signCheckpoint({ id: checkpointId, baseId, createdAt: opts.now.toISOString(), caseCount: count, root }, opts.privateKey);
        await tx.insert(auditCheckpoints).values({
          id: checkpointId,
          baseId,
          createdAt: opts.now,
          caseCount: count,
          changedCount,
          root,
          keyId: signed.keyId,
          signature: signed.signature,
        });
        return { ...signed, changedCount };
      },
      { isolationLevel: 'repeatable read' },
    );
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/**
 * The full head list of checkpoint `id` (per case, the newest stored row at or before it), ascending case id,
 * page by page.
 */
export async function* checkpointHeads(db: Db | Tx, id: number, pageSize = CHECKPOINT_PAGE): AsyncGenerator<CaseHead> {
  let after: string | null = null;
  for (;;) {
    type Row = { case_id: string; seq: number; head: string | null };
    const page: Row[] = rows<Row>(
      await db.execute(sql`
        select distinct on (case_id) case_id::text as case_id, seq, head
        from audit_checkpoint_heads
        where checkpoint_id <= ${id} ${after === null ? sql`` : sql`and case_id > ${after}::uuid`}
        order by case_id, checkpoint_id desc
        limit ${pageSize}`),
    );
    for (const r of page) yield { caseId: r.case_id, seq: Number(r.seq), head: r.head };
    if (page.length < pageSize) return;
    after = page[page.length - 1].case_id;
  }
}

/** Every audit record, in (case id, seq) order, page by page. */
export async function* auditRecordStream(db: Db | Tx, pageSize = CHECKPOINT_PAGE): AsyncGenerator<HashedAuditRecord> {
  let after: { caseId: string; seq: number } | null = null;
  for (;;) {
    type Row = {
      case_id: string; seq: number; event_type: string; payload: unknown; actor_id: string; actor_role: string;
      state_before: string | null; state_after: string; machine_version: number; request_id: string | null;
      at: string | Date; prev_hash: string | null; hash: string;
    };
    const page: Row[] = rows<Row>(
      await db.execute(sql`
        select case_id::text as case_id, seq, event_type, payload, actor_id, actor_role, state_before, state_after,
               machine_version, request_id, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, prev_hash, hash
        from audit_records
        ${after === null ? sql`` : sql`where (case_id, seq) > (${after.caseId}::uuid, ${after.seq}::int)`}
        order by case_id, seq
        limit ${pageSize}`),
    );
    for (const r of page) {
      yield {
        caseId: r.case_id, seq: Number(r.seq), eventType: r.event_type, payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
        actorId: r.actor_id, actorRole: r.actor_role, stateBefore: r.state_before, stateAfter: r.state_after,
        machineVersion: Number(r.machine_version), requestId: r.request_id, at: String(r.at), prevHash: r.prev_hash, hash: r.hash,
      };
    }
    if (page.length < pageSize) return;
    const last: Row = page[page.length - 1];
    after = { caseId: last.case_id, seq: Number(last.seq) };
  }
}

/** Every case's current audit head (the case rows), ascending case id, page by page. */
export async function* caseHeadStream(db: Db | Tx, pageSize = CHECKPOINT_PAGE): AsyncGenerator<CaseHead> {
  let after: string | null = null;
  for (;;) {
    type Row = { case_id: string; seq: number; head: string | null };
    const page: Row[] = rows<Row>(
      await db.execute(sql`
        select id::text as case_id, audit_seq as seq, audit_head as head from cases
        ${after === null ? sql`` : sql`where id > ${after}::uuid`}
        order by id limit ${pageSize}`),
    );
    for (const r of page) yield { caseId: r.case_id, seq: Number(r.seq), head: r.head };
    if (page.length < pageSize) return;
    after = page[page.length - 1].case_id;
  }
}
