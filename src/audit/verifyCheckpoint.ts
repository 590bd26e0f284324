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

export async function verifyCheckpoint(input: VerifyCheckpointInput): Promise<CheckpointVerification> {
  const { checkpoint: cp } = input;
  const maxProblems = input.maxProblems ?? 100;
  const problems: CheckpointProblem[] = [];
  let problemCount = 0;
  const problem = (p: CheckpointProblem) => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(p);
  };

  const signature = checkpointSignatureProblem(cp, input.publicKey);
  if (signature) problem({ reason: signature });

  const records = input.records[Symbol.asyncIterator]();
  let pending: HashedAuditRecord | null = null;
  let recordCount = 0;
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

  /** Verify one case's whole trail (the records at the stream's front with this case id); return its records by seq. */
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
          problem({ caseId, reason: `record ${r.seq} is not the one checkpoint ${cp.id} sealed: its hash differs (the chain was rewritten)` });
        }
      }
      prev = r;
      expected++;
      pending = await next();
    }
    if (!sealedFound && sealed) {
      problem({ caseId, reason: `checkpoint ${cp.id} sealed record ${sealed.seq}, but the trail ends at record ${expected - 1} (records were deleted)` });
    }
  }

  const hasher = new HeadsHasher();
  for await (const head of input.heads) {
    try {
      hasher.add(head);
    } catch (error) {
      problem({ reason: (error as Error).message });
      break;
    }
    // Cases before this one that the checkpoint does not know (opened after it): their chains are checked too.
    while (pending && pending.caseId < head.caseId) await walkCase(pending.caseId, null);
    await walkCase(head.caseId, head);
  }
  while (pending) await walkCase(pending.caseId, null);

  const { root, count } = hasher.digest();
  if (count !== cp.caseCount) problem({ reason: `the checkpoint lists ${count} cases, but ${cp.caseCount} were signed` });
  if (root !== cp.root) problem({ reason: 'the case heads do not hash to the signed root (the head list was altered)' });

  return {
    ok: problemCount === 0,
    checkpointId: cp.id,
    createdAt: cp.createdAt,
    caseCount: cp.caseCount,
    records: recordCount,
    problems,
    problemCount,
  };
}
