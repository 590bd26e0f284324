// The files an auditor verifies offline (JSON Lines, streamed both ways):
//
//   checkpoint file   line 1: {"checkpoint": <the signed checkpoint>}; then one line per case, ascending case id:
//                     ["<case id>", <seq>, "<head hash>" | null]
//   audit file        one audit record per line, in (case id, seq) order: the hashed fields of src/audit/hash.ts
//                     (caseId, seq, eventType, payload, actorId, actorRole, stateBefore, stateAfter, machineVersion,
//                     requestId, at, prevHash, hash)
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { CaseHead, SignedCheckpoint } from './checkpoint.js';
import type { HashedAuditRecord } from './hash.js';

async function writeLines(path: string, lines: AsyncIterable<string>): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  let n = 0;
  try {
    for await (const line of lines) {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      n++;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return n;
}

function lines(path: string): AsyncIterableIterator<string> {
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })[Symbol.asyncIterator]();
}

export async function writeCheckpointFile(path: string, checkpoint: SignedCheckpoint, heads: AsyncIterable<CaseHead>): Promise<number> {
  return writeLines(path, (async function* () {
    yield JSON.stringify({ checkpoint });
    for await (const h of heads) yield JSON.stringify([h.caseId, h.seq, h.head]);
  })());
}

export async function readCheckpointFile(path: string): Promise<{ checkpoint: SignedCheckpoint; heads: AsyncIterable<CaseHead> }> {
  const it = lines(path);
  const first = await it.next();
  if (first.done) throw new Error(`${path}: empty checkpoint file`);
  const checkpoint = (JSON.parse(first.value) as { checkpoint?: SignedCheckpoint }).checkpoint;
  if (!checkpoint) throw new Error(`${path}: the first line is not {"checkpoint": …}`);
  const heads = (async function* () {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if (r.value.trim() === '') continue;
      const [caseId, seq, head] = JSON.parse(r.value) as [string, number, string | null];
      yield { caseId, seq, head };
    }
  })();
  return { checkpoint, heads };
}

export async function writeAuditFile(path: string, records: AsyncIterable<HashedAuditRecord>): Promise<number> {
  return writeLines(path, (async function* () {
    for await (const r of records) {
      const at = r.at instanceof Date ? r.at.toISOString() : r.at;
      yield JSON.stringify({
        caseId: r.caseId, seq: r.seq, eventType: r.eventType, payload: r.payload, actorId: r.actorId, actorRole: r.actorRole,
        stateBefore: r.stateBefore, stateAfter: r.stateAfter, machineVersion: r.machineVersion, requestId: r.requestId,
        at, prevHash: r.prevHash, hash: r.hash,
      });
    }
  })());
}

export async function* readAuditFile(path: string): AsyncGenerator<HashedAuditRecord> {
  for await (const line of lines(path)) {
    if (line.trim() !== '') yield JSON.parse(line) as HashedAuditRecord;
  }
}
