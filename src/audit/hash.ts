// Hash chain over a case's audit records (pure; node:crypto only).
//
// Each record's hash is SHA-256 over the canonical JSON of its content plus the previous record's hash, so
// changing, removing or reordering any record breaks every hash after it. The trigger on audit_records
// stops casual edits; the chain makes the ones that bypass it (a superuser, a restored backup) detectable.
//
// Invariant the storage must keep: what is hashed must read back identically. Hence `at` is hashed as an ISO
// string with millisecond precision (a JS Date; PostgreSQL keeps microseconds, so `at` must never come from
// now()), and the payload is hashed in canonical form (jsonb reorders keys and drops whitespace).
import { createHash } from 'node:crypto';

/** The hashed content of one audit record. */
export interface AuditHashInput {
  caseId: string;
  seq: number;
  eventType: string;
  payload: unknown;
  actorId: string;
  actorRole: string;
  stateBefore: string | null;
  stateAfter: string;
  machineVersion: number;
  requestId: string | null;
  /** The caller's X-Request-Id; hashed only when present, so records from before it existed verify unchanged. */
  clientRequestId?: string | null;
  at: Date | string;
  prevHash: string | null;
}

export interface HashedAuditRecord extends AuditHashInput {
  hash: string;
}

export type ChainVerification =
  | { ok: true; count: number }
  | { ok: false; count: number; brokenAtSeq: number; reason: string; caseId?: string };

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace; Dates become ISO strings, undefined
 * object properties are dropped. Otherwise it follows JSON.stringify (undefined in arrays and non-finite
 * numbers become null), which is also what a jsonb round trip yields.
 */
export function canonicalJson(value: unknown): string {
  const out = serialize(value);
  if (out === undefined) throw new TypeError('canonicalJson: the value itself is not representable in JSON');
  return out;
}

function serialize(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('canonicalJson: invalid Date');
    return JSON.stringify(value.toISOString());
  }
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError('canonicalJson: bigint has no JSON form; convert it to a string first');
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => serialize(item) ?? 'null').join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  if (typeof (record as { toJSON?: unknown }).toJSON === 'function') {
    return serialize((record as { toJSON: () => unknown }).toJSON());
  }
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = serialize(record[key]);
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
  }
  return `{${parts.join(',')}}`;
}

/** What an appender supplies for the next record; its place in the chain comes from the chain's head. */
export type AuditContent = Omit<AuditHashInput, 'seq' | 'prevHash' | 'requestId' | 'clientRequestId' | 'at'> & {
  requestId?: string | null;
  clientRequestId?: string | null;
  at: Date;
};

/**
 * The next record of a chain whose newest record is `head` (seq 0 and no hash before the first), hashed.
 * The one place a record's stored form is decided, for every appender: payload is NOT NULL, so an event
 * without data records {}; canonicalJson and jsonb agree on the rest (Dates become ISO strings, undefined
 * properties vanish), so the stored payload hashes the same; `at` is kept to the millisecond a Date holds.
 */
export function chainNext(head: { seq: number; hash: string | null }, r: AuditContent): HashedAuditRecord & { at: Date } {
  const content = {
    caseId: r.caseId,
    seq: head.seq + 1,
    eventType: r.eventType,
    payload: r.payload === undefined ? {} : r.payload,
    actorId: r.actorId,
    actorRole: r.actorRole,
    stateBefore: r.stateBefore,
    stateAfter: r.stateAfter,
    machineVersion: r.machineVersion,
    requestId: r.requestId ?? null,
    clientRequestId: r.clientRequestId ?? null,
    at: new Date(r.at.getTime()),
    prevHash: head.seq === 0 ? null : head.hash,
  };
  return { ...content, hash: auditHash(content) };
}

/** SHA-256 (lowercase hex) of a record's content and its predecessor's hash. */
export function auditHash(record: AuditHashInput): string {
  const at = record.at instanceof Date ? record.at : new Date(record.at);
  const content = {
    caseId: record.caseId,
    seq: record.seq,
    eventType: record.eventType,
    payload: record.payload,
    actorId: record.actorId,
    actorRole: record.actorRole,
    stateBefore: record.stateBefore,
    stateAfter: record.stateAfter,
    machineVersion: record.machineVersion,
    requestId: record.requestId,
    ...(record.clientRequestId ? { clientRequestId: record.clientRequestId } : {}),
    at: at.toISOString(),
    prevHash: record.prevHash,
  };
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/**
 * Checks one case's records in the order given (listAudit returns them by seq): seq runs 1, 2, 3…, every
 * record names its predecessor's hash, and every hash matches the content. `brokenAtSeq` is the position
 * (1-based, i.e. the seq expected there) of the first record that fails.
 */
export function verifyChain(records: readonly HashedAuditRecord[]): ChainVerification {
  const count = records.length;
  let prev: HashedAuditRecord | null = null;
  for (let i = 0; i < count; i++) {
    const record = records[i];
    const expectedSeq = i + 1;
    const broken = (reason: string): ChainVerification => ({ ok: false, count, brokenAtSeq: expectedSeq, reason });
    if (prev && record.caseId !== prev.caseId) {
      return broken(`record belongs to case ${record.caseId}, not ${prev.caseId}`);
    }
    if (record.seq !== expectedSeq) {
      return broken(`expected seq ${expectedSeq}, found ${record.seq} (a record is missing or out of order)`);
    }
    const expectedPrev = prev ? prev.hash : null;
    if (record.prevHash !== expectedPrev) {
      return broken(`prevHash does not match the hash of record ${expectedSeq - 1}`);
    }
    if (record.hash !== auditHash(record)) {
      return broken('hash does not match the record content (the record was altered)');
    }
    prev = record;
  }
  return { ok: true, count };
}

/**
 * A chain read from the trail checked against the head its case row carries (cases.audit_seq / audit_head, written
 * in the same statement as each record): a trail whose newest records were deleted still links up, but it no
 * longer ends at the head. The failure names the case.
 */
export function verifyChainAgainstHead(
  caseId: string,
  records: readonly HashedAuditRecord[],
  head: { seq: number; hash: string | null },
): ChainVerification {
  const chain = verifyChain(records);
  if (!chain.ok) return { ...chain, caseId };
  const last = records[records.length - 1];
  const lastSeq = last?.seq ?? 0;
  if (lastSeq !== head.seq) {
    return {
      ok: false, count: chain.count, brokenAtSeq: Math.min(lastSeq, head.seq) + 1, caseId,
      reason: `the case row's audit head is record ${head.seq}, but the trail ends at record ${lastSeq} (records are missing)`,
    };
  }
  if ((last?.hash ?? null) !== head.hash) {
    return {
      ok: false, count: chain.count, brokenAtSeq: lastSeq, caseId,
      reason: `the hash of record ${lastSeq} does not match the case row's audit head (the chain was rewritten)`,
    };
  }
  return chain;
}
