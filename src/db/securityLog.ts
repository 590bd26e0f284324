// The security log (安全日志): account changes and sign-ins, append-only (trigger in the accounts migration)
// and hash-chained as one chain for the whole table, so that a removed or rewritten entry breaks every hash
// after it. Appends are serialized by a transaction-scoped advisory lock: account changes and sign-ins are
// rare next to case commands, so one chain costs nothing that matters.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { canonicalJson } from '../audit/hash.js';
import { securityLog, type SecurityAction, type SecurityLogRow } from './schema.js';
import type { Db, Tx } from './types.js';

/** Arbitrary, fixed: the advisory lock key that orders appends to the security log. */
const SECURITY_LOG_LOCK = 7_142_001;

export interface SecurityEntry {
  at: Date;
  action: SecurityAction;
  actorId?: string | null;
  actorUsername?: string | null;
  subjectId?: string | null;
  subjectUsername?: string | null;
  scope: string;
  ip?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

type Hashed = Omit<SecurityLogRow, 'seq' | 'hash'> & { seq: number };

function entryHash(e: Hashed): string {
  const content = { ...e, at: new Date(e.at.getTime()).toISOString() };
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/** Appends in the caller's transaction (so the entry commits, or not, with the change it records). */
export async function appendSecurityLog(tx: Db | Tx, entry: SecurityEntry): Promise<SecurityLogRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SECURITY_LOG_LOCK})`);
  const [last] = await tx.select({ seq: securityLog.seq, hash: securityLog.hash }).from(securityLog).orderBy(desc(securityLog.seq)).limit(1);
  const seq = (last?.seq ?? 0) + 1;
  const content: Hashed = {
    seq,
    at: new Date(entry.at.getTime()),
    action: entry.action,
    actorId: entry.actorId ?? null,
    actorUsername: entry.actorUsername ?? null,
    subjectId: entry.subjectId ?? null,
    subjectUsername: entry.subjectUsername ?? null,
    scope: entry.scope,
    ip: entry.ip ?? null,
    requestId: entry.requestId ?? null,
    details: entry.details ?? {},
    prevHash: last?.hash ?? '',
  };
  const [row] = await tx.insert(securityLog).values({ ...content, hash: entryHash(content) }).returning();
  return row;
}

/** Entries whose scope lies inside `prefix` (an admin's jurisdiction), newest first. */
export async function listSecurityLog(
  tx: Db | Tx,
  query: { prefix: string; subjectId?: string; beforeSeq?: number; limit: number },
): Promise<SecurityLogRow[]> {
  return tx
    .select()
    .from(securityLog)
    .where(
      and(
        // Entries of no jurisdiction (a sign-in attempt with an unknown username) are shown to province-wide admins.
        sql`(starts_with(${securityLog.scope}, ${query.prefix}) or (${securityLog.scope} = '' and char_length(${query.prefix}) <= 2))`,
        query.subjectId ? eq(securityLog.subjectId, query.subjectId) : undefined,
        query.beforeSeq ? lt(securityLog.seq, query.beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(securityLog.seq))
    .limit(query.limit);
}

/** Walks the whole chain in seq order; the first entry that does not follow is reported. */
export async function verifySecurityLog(tx: Db | Tx): Promise<{ ok: true; count: number } | { ok: false; count: number; brokenAtSeq: number }> {
  let prevHash = '';
  let expected = 1;
  let after = 0;
  for (;;) {
    const batch = await tx.select().from(securityLog).where(gt(securityLog.seq, after)).orderBy(asc(securityLog.seq)).limit(1000);
    if (batch.length === 0) return { ok: true, count: expected - 1 };
    for (const row of batch) {
      const { hash, ...content } = row;
      if (row.seq !== expected || row.prevHash !== prevHash || entryHash(content) !== hash) {
        return { ok: false, count: expected - 1, brokenAtSeq: expected };
      }
      prevHash = hash;
      expected++;
      after = row.seq;
    }
  }
}

