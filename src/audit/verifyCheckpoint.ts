// An auditor's check of the audit trail against a signed checkpoint, over streams (pure; no database): the
// checkpoint's heads in ascending case id order, and the audit records in (case id, seq) order — read from an
// export (src/audit/exportFiles.ts) or from a database (src/db/checkpoints.ts). Nothing is held but one case's
// previous record, so millions of cases verify in constant memory.
//
// It holds when: the signature verifies with the public key; the heads hash to the signed root and count; and
// every case's trail is an intact chain (auditHash, links, seq 1, 2, …) that passes through the sealed head — the
// record at the sealed seq has the sealed hash. A record rewritten and the chain recomputed, a deleted tail, or a
// changed head list each fail, naming the case.
import type { KeyObject } from 'node:crypto';
import { checkpointSignatureProblem, HeadsHasher, type CaseHead, type SignedCheckpoint } from './checkpoint.js';
import { auditHash, type HashedAuditRecord } from './hash.js';

export interface CheckpointProblem {
  caseId?: string;
  reason: string;
}

export interface CheckpointVerification {
  ok: boolean;
  checkpointId: number;
  createdAt: string;
  caseCount: number;
  /** Audit records read. */
  records: number;
  /** The first problems found (at most `maxProblems`), and how many in all. */
  problems: CheckpointProblem[];
  problemCount: number;
}

export interface VerifyCheckpointInput {
  checkpoint: SignedCheckpoint;
  publicKey: KeyObject;
  heads: AsyncIterable<CaseHead>;
  records: AsyncIterable<HashedAuditRecord>;
  maxProblems?: number;
}

export interface HeadsVerification {
  ok: boolean;
  caseCount: number;
  records: number;
  problems: CheckpointProblem[];
  problemCount: number;
}

/**
 * Every case's trail against a list of heads (ascending case id), streaming both. `exact`: the heads are the
 * current ones (the case rows, read in the same snapshot as the records), so each trail must END at its head;
 * otherwise (a checkpoint's heads) it must pass through it, and may go on. `label` names the heads in messages.
 */
async function walkTrails(
  heads: AsyncIterable<CaseHead>,
  recordStream: AsyncIterable<HashedAuditRecord>,
  o: { exact: boolean; label: string; maxProblems: number; hasher?: HeadsHasher; problems?: { list: CheckpointProblem[]; count: number } },
): Promise<HeadsVerification> {
  const acc = o.problems ?? { list: [], count: 0 };
  const problem = (p: CheckpointProblem) => {
    acc.count++;
    if (acc.list.length < o.maxProblems) acc.list.push(p);
  };
  const records = recordStream[Symbol.asyncIterator]();
  let pending: HashedAuditRecord | null = null;
  let recordCount = 0;
  let caseCount = 0;
  let lastRecordKey = '';
  const next = async (): Promise<HashedAuditRecord | null> => {
    const r = await records.next();
    if (r.done) return null;
    recordCount++;
    const key = `${r.value.caseId}\t${String(r.value.seq).padStart(10, '0')}`;
    if (key <= lastRecordKey) throw new Error(`audit records out of order at case ${r.value.caseId} seq ${r.value.seq} (expected case id, then seq, ascending)`);
    lastRecordKey = key;
    return r.value;
  };
  pending = await next();

  /** Verify one case's whole trail (the records at the stream's front with this case id). */
  async function walkCase(caseId: string, sealed: CaseHead | null): Promise<void> {
    let prev: HashedAuditRecord | null = null;
    let expected = 1;
    let broken = false;
    let sealedFound = sealed === null || sealed.seq === 0;
    while (pending && pending.caseId === caseId) {
      const r: HashedAuditRecord = pending;
      if (!broken) {
        let reason: string | null = null;
        if (r.seq !== expected) reason = `expected record ${expected}, found ${r.seq} (a record is missing)`;
        else if (r.prevHash !== (prev ? prev.hash : null)) reason = `record ${r.seq} does not link to record ${expected - 1}`;
        else if (r.hash !== auditHash(r)) reason = `record ${r.seq} does not match its hash (it was altered)`;
        if (reason) {
          problem({ caseId, reason });
          broken = true;
        }
      }
      if (sealed && r.seq === sealed.seq) {
        sealedFound = true;
        if (r.hash !== sealed.head) {
          const named = o.exact ? `${o.label}'s head` : `the one ${o.label} sealed`;
          problem({ caseId, reason: `record ${r.seq} is not ${named}: its hash differs (the chain was rewritten)` });
        }
      }
      prev = r;
      expected++;
      pending = await next();
    }
    const last = expected - 1;
    if (!sealedFound && sealed) {
      const named = o.exact ? `${o.label}'s head is record ${sealed.seq}` : `${o.label} sealed record ${sealed.seq}`;
      problem({ caseId, reason: `${named}, but the trail ends at record ${last} (records were deleted)` });
    } else if (o.exact && sealed && last > sealed.seq) {
      problem({ caseId, reason: `the trail goes on to record ${last} after the head ${o.label} names, record ${sealed.seq}` });
    } else if (o.exact && !sealed) {
      problem({ caseId, reason: 'audit records of a case that does not exist' });
    }
  }

  for await (const head of heads) {
    caseCount++;
    if (o.hasher) {
      try {
        o.hasher.add(head);
      } catch (error) {
        problem({ reason: (error as Error).message });
        break;
      }
    }
    // Cases before this one that the heads do not list (opened after the checkpoint): their chains are checked too.
    while (pending && pending.caseId < head.caseId) await walkCase(pending.caseId, null);
    await walkCase(head.caseId, head);
  }
  while (pending) await walkCase(pending.caseId, null);
  return { ok: acc.count === 0, caseCount, records: recordCount, problems: acc.list, problemCount: acc.count };
}

/**
 * Every case's trail against the head on its case row (audit_seq, audit_head): each must be an intact chain ending
 * exactly there. Read both streams from one snapshot (a REPEATABLE READ transaction) on a live database.
 */
export async function verifyCaseHeads(input: { heads: AsyncIterable<CaseHead>; records: AsyncIterable<HashedAuditRecord>; maxProblems?: number }): Promise<HeadsVerification> {
  return walkTrails(input.heads, input.records, { exact: true, label: 'the case row', maxProblems: input.maxProblems ?? 100 });
}

export async function verifyCheckpoint(input: VerifyCheckpointInput): Promise<CheckpointVerification> {
  const { checkpoint: cp } = input;
  const maxProblems = input.maxProblems ?? 100;
  const acc = { list: [] as CheckpointProblem[], count: 0 };
  const problem = (p: CheckpointProblem) => {
    acc.count++;
    if (acc.list.length < maxProblems) acc.list.push(p);
  };

  const signature = checkpointSignatureProblem(cp, input.publicKey);
  if (signature) problem({ reason: signature });

  const hasher = new HeadsHasher();
  const walked = await walkTrails(input.heads, input.records, { exact: false, label: `checkpoint ${cp.id}`, maxProblems, hasher, problems: acc });

  const { root, count } = hasher.digest();
  if (count !== cp.caseCount) problem({ reason: `the checkpoint lists ${count} cases, but ${cp.caseCount} were signed` });
  if (root !== cp.root) problem({ reason: 'the case heads do not hash to the signed root (the head list was altered)' });

  return {
    ok: acc.count === 0,
    checkpointId: cp.id,
    createdAt: cp.createdAt,
    caseCount: cp.caseCount,
    records: walked.records,
    problems: acc.list,
    problemCount: acc.count,
  };
}
