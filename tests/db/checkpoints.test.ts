// Signed audit checkpoints: the heads of every case sealed with Ed25519, verified from the database and from an
// export. Someone with the database's rights — even the owner, trigger switched off — can rewrite a record and
// recompute the chain with the public hash function, or delete a case's newest records and fix the case row; the
// per-case verify then says ok, but the last checkpoint does not.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headsRoot, loadCheckpointPrivateKey, loadCheckpointPublicKey, publicKeyPem } from '../../src/audit/checkpoint.js';
import { readAuditFile, readCheckpointFile, writeAuditFile, writeCheckpointFile } from '../../src/audit/exportFiles.js';
import { auditHash } from '../../src/audit/hash.js';
import { verifyCaseHeads, verifyCheckpoint } from '../../src/audit/verifyCheckpoint.js';
import { appendAudit, listAudit, verifyCaseAudit } from '../../src/db/audit.js';
import { lockCase } from '../../src/db/cases.js';
import { auditRecordStream, caseHeadStream, checkpointHeads, latestCheckpoint, writeCheckpoint } from '../../src/db/checkpoints.js';
import { createLogger } from '../../src/logger.js';
import { createCheckpointWorker } from '../../src/scheduler/checkpointWorker.js';
import { startWorkers } from '../../src/scheduler/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';
import { seedCase, seedEnumerator, seedRegions, VILLAGES } from './fixtures.js';

const keys = () => generateKeyPairSync('ed25519');

describe(`signed audit checkpoints (${testDbKind()})`, () => {
  let t: TestDb;
  let userId: string;
  let caseIds: string[];
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  const at0 = Date.UTC(2026, 2, 2, 1);

  async function append(caseId: string, n: number) {
    for (let i = 0; i < n; i++) {
      await t.db.transaction(async (tx) => {
        await lockCase(tx, caseId);
        const seq = (await listAudit(tx, caseId)).length + 1;
        await appendAudit(tx, {
          caseId, eventType: seq === 1 ? 'CREATE' : 'APPROVE', payload: { seq, note: `step ${seq}` }, actorId: userId,
          actorRole: 'reviewer', stateBefore: seq === 1 ? null : 'review', stateAfter: 'review', machineVersion: 1,
          requestId: `r-${seq}`, at: new Date(at0 + seq * 60_000),
        });
      });
    }
  }

  /** Verify checkpoint `id` (default: the newest) against the database as it is now. */
  async function verifyFromDb(publicKeyToUse = publicKey, id?: number) {
    const checkpoint = id ? (await import('../../src/db/checkpoints.js')).getCheckpoint(t.db, id) : latestCheckpoint(t.db);
    const cp = (await checkpoint)!;
    return verifyCheckpoint({ checkpoint: cp, publicKey: publicKeyToUse, heads: checkpointHeads(t.db, cp.id, 2), records: auditRecordStream(t.db, 3) });
  }

  /** As the table's owner (or a superuser): triggers off, change, triggers on. */
  async function tamper(statements: ReturnType<typeof sql>[]) {
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_records disable trigger audit_records_append_only`);
      for (const s of statements) await tx.execute(s);
      await tx.execute(sql`alter table audit_records enable trigger audit_records_append_only`);
    });
  }

  beforeEach(async () => {
    t = await createTestDb();
    await seedRegions(t.db);
    userId = (await seedEnumerator(t.db)).id;
    caseIds = [];
    for (const v of [VILLAGES.sunjiagou, VILLAGES.mingshan, VILLAGES.lushi]) {
      const id = (await seedCase(t.db, { villageCode: v, createdBy: userId })).case.id;
      caseIds.push(id);
      await append(id, 3);
    }
    ({ privateKey, publicKey } = keys());
  });
  afterEach(async () => {
    await t?.close();
  });

  it('signs the heads of every case and verifies them, also after the trails grew; later checkpoints store only what changed', async () => {
    const first = await writeCheckpoint(t.db, { privateKey, now: new Date(at0 + 3_600_000), pageSize: 2 });
    expect(first).toMatchObject({ id: 1, baseId: 0, caseCount: 3, changedCount: 3, createdAt: '2026-03-02T02:00:00.000Z' });
    const heads = (await Promise.all(caseIds.map(async (id) => {
      const r = await listAudit(t.db, id);
      return { caseId: id, seq: 3, head: r[2].hash };
    }))).sort((a, b) => (a.caseId < b.caseId ? -1 : 1));
    expect(first!.root).toBe(headsRoot(heads).root);
    expect(await verifyFromDb()).toMatchObject({ ok: true, caseCount: 3, records: 9, problems: [] });

    await append(caseIds[0], 2); // after the checkpoint: the trail passes through the sealed head
    expect(await verifyFromDb()).toMatchObject({ ok: true, records: 11 });

    const second = await writeCheckpoint(t.db, { privateKey, now: new Date(at0 + 7_200_000), pageSize: 2 });
    expect(second).toMatchObject({ id: 2, baseId: 1, caseCount: 3, changedCount: 1 });
    const rebuilt: unknown[] = [];
    for await (const h of checkpointHeads(t.db, 2)) rebuilt.push(h);
    expect(rebuilt).toHaveLength(3);
    expect(headsRoot(rebuilt as never).root).toBe(second!.root);
    expect(await verifyFromDb()).toMatchObject({ ok: true, checkpointId: 2 });
    expect(await verifyFromDb(publicKey, 1)).toMatchObject({ ok: true, checkpointId: 1 });
  });

  it('verifies offline from exported files, and the same files fail after the chain was rewritten and recomputed', async () => {
    await writeCheckpoint(t.db, { privateKey, now: new Date(at0 + 3_600_000) });
    const dir = await mkdtemp(join(tmpdir(), 'doudi-checkpoint-'));
    try {
      const cp = (await latestCheckpoint(t.db))!;
      expect(await writeCheckpointFile(join(dir, 'checkpoint.jsonl'), cp, checkpointHeads(t.db, cp.id))).toBe(4);
      expect(await writeAuditFile(join(dir, 'audit.jsonl'), auditRecordStream(t.db))).toBe(9);
      const file = await readCheckpointFile(join(dir, 'checkpoint.jsonl'));
      const pub = loadCheckpointPublicKey(publicKeyPem(privateKey));
      expect(await verifyCheckpoint({ ...file, publicKey: pub, records: readAuditFile(join(dir, 'audit.jsonl')) })).toMatchObject({ ok: true, records: 9 });

      await rewriteAndRecompute(caseIds[1]);
      await writeAuditFile(join(dir, 'audit.jsonl'), auditRecordStream(t.db));
      const again = await readCheckpointFile(join(dir, 'checkpoint.jsonl'));
      const verdict = await verifyCheckpoint({ ...again, publicKey: pub, records: readAuditFile(join(dir, 'audit.jsonl')) });
      expect(verdict.ok).toBe(false);
      expect(verdict.problems).toEqual([{ caseId: caseIds[1], reason: 'record 3 is not the one checkpoint 1 sealed: its hash differs (the chain was rewritten)' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** Rewrite record 2 of a case, recompute the hashes of 2 and 3 with the public function, fix the case row. */
  async function rewriteAndRecompute(caseId: string) {
    const records = await listAudit(t.db, caseId);
    const r2 = { ...records[1], payload: { seq: 2, note: 'rewritten' } };
    r2.hash = auditHash(r2);
    const r3 = { ...records[2], prevHash: r2.hash };
    r3.hash = auditHash(r3);
    await tamper([
      sql`update audit_records set payload = ${JSON.stringify(r2.payload)}::jsonb, hash = ${r2.hash} where case_id = ${caseId} and seq = 2`,
      sql`update audit_records set prev_hash = ${r2.hash}, hash = ${r3.hash} where case_id = ${caseId} and seq = 3`,
      sql`update cases set audit_head = ${r3.hash} where id = ${caseId}`,
    ]);
  }

  it('fails a rewritten chain whose hashes were recomputed, which the per-case verify cannot see', async () => {
    await writeCheckpoint(t.db, { privateKey, now: new Date(at0 + 3_600_000) });
    await rewriteAndRecompute(caseIds[0]);
    expect(await verifyCaseAudit(t.db, caseIds[0])).toEqual({ ok: true, count: 3 });
    const verdict = await verifyFromDb();
    expect(verdict).toMatchObject({ ok: false, problemCount: 1 });
    expect(verdict.problems[0]).toMatchObject({ caseId: caseIds[0], reason: expect.stringMatching(/the chain was rewritten/) });
  });

  it('fails a deleted tail, even with the case row set back to match', async () => {
    await writeCheckpoint(t.db, { privateKey, now: new Date(at0 + 3_600_000) });
    const records = await listAudit(t.db, caseIds[2]);
    await tamper([
      sql`delete from audit_records where case_id = ${caseIds[2]} and seq = 3`,
      sql`update cases set audit_seq = 2, audit_head = ${records[1].hash} where id = ${caseIds[2]}`,
    ]);
    expect(await verifyCaseAudit(t.db, caseIds[2])).toEqual({ ok: true, count: 2 });
    const verdict = await verifyFromDb();
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([{ caseId: caseIds[2], reason: 'checkpoint 1 sealed record 3, but the trail ends at record 2 (records were deleted)' }]);
  });

  it('checks every case against the head on its case row, in one snapshot (the database verify, no checkpoint needed)', async () => {
    const all = () => t.db.transaction(
      async (tx) => verifyCaseHeads({ heads: caseHeadStream(tx, 2), records: auditRecordStream(tx, 2) }),
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    expect(await all()).toEqual({ ok: true, caseCount: 3, records: 9, problems: [], problemCount: 0 });
    await tamper([sql`delete from audit_records where case_id = ${caseIds[1]} and seq = 3`]);
    expect(await all()).toMatchObject({
      ok: false,
      problems: [{ caseId: caseIds[1], reason: "the case row's head is record 3, but the trail ends at record 2 (records were deleted)" }],
    });
  });

  it('fails with another public key, and a checkpoint or head list altered in the database', async () => {
    await writeCheckpoint(t.db, { privateKey, now: new Date(at0 + 3_600_000) });
    const wrong = await verifyFromDb(keys().publicKey);
    expect(wrong.ok).toBe(false);
    expect(wrong.problems[0].reason).toMatch(/was signed by key [0-9a-f]{64}, not by this public key/);

    // A forger who re-signs with their own key and presents their public key is caught by the key id the auditor holds:
    const forged = { ...(await latestCheckpoint(t.db))!, root: '0'.repeat(64) };
    const altered = await verifyCheckpoint({ checkpoint: forged, publicKey, heads: checkpointHeads(t.db, 1), records: auditRecordStream(t.db) });
    expect(altered.problems.map((p) => p.reason)).toEqual([
      'the signature of checkpoint 1 does not verify with this public key (the checkpoint was altered)',
      'the case heads do not hash to the signed root (the head list was altered)',
    ]);
  });

  it('is written by the checkpoint worker once per interval, by the injected clock', async () => {
    const clock = new ManualClock(new Date(at0 + 3_600_000).toISOString());
    const logger = createLogger({ logLevel: 'silent' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const worker = createCheckpointWorker({ db: t.db, clock, logger, privateKey: loadCheckpointPrivateKey(pem), intervalMs: 3_600_000 });
    expect(await worker.runOnce()).toMatchObject({ id: 1 });
    clock.advance(3_599_000);
    expect(await worker.runOnce()).toBeNull();
    clock.advance(1_000);
    expect(await worker.runOnce()).toMatchObject({ id: 2, baseId: 1, changedCount: 0 });
    expect(await verifyFromDb()).toMatchObject({ ok: true, checkpointId: 2 });
  });

  it('runs in the scheduler when AUDIT_CHECKPOINT_KEY is set, and says so when it is not', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => { lines.push(String(chunk)); done(); } });
    const logger = createLogger({ logLevel: 'info' }, sink);
    const engine = { dueTimerIds: async () => [], fireTimer: async () => null, recordTimerFailure: async () => {} };
    const clock = new ManualClock(new Date(at0 + 3_600_000).toISOString());
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const withKey = startWorkers({ database: t, engine, clock, logger, config: { auditCheckpointKey: pem, auditCheckpointIntervalSeconds: 900 } });
    await withKey.stop(); // lets the first round, which seals a checkpoint, finish
    expect(await latestCheckpoint(t.db)).toMatchObject({ id: 1, caseCount: 3 });
    expect(lines.join('')).toMatch(/audit checkpoint sealed/);
    const without = startWorkers({ database: t, engine, clock, logger, config: {} });
    await without.stop();
    expect(lines.join('')).toMatch(/AUDIT_CHECKPOINT_KEY is not set: no signed audit checkpoints are written/);
    expect(() => startWorkers({ database: t, engine, clock, logger, config: { auditCheckpointKey: '/nonexistent/key.pem' } })).toThrow(/ENOENT/);
  });

  it.skipIf(testDbKind() !== 'postgres')('keeps checkpoints in one line when two are sealed at once', async () => {
    const now = new Date(at0 + 3_600_000);
    // Overlapping, the second to commit on the same base rolls back (null); one after the other, both commit, the
    // second on the first. Either way every committed checkpoint has a base of its own and verifies.
    const results = await Promise.all([writeCheckpoint(t.db, { privateKey, now }), writeCheckpoint(t.db, { privateKey, now })]);
    const committed = results.filter((r) => r !== null).sort((a, b) => a!.id - b!.id);
    expect(committed.length).toBeGreaterThanOrEqual(1);
    expect(committed[0]!.baseId).toBe(0);
    if (committed.length === 2) expect(committed[1]!.baseId).toBe(committed[0]!.id);
    for (const cp of committed) expect(await verifyFromDb(publicKey, cp!.id)).toMatchObject({ ok: true, caseCount: 3 });
  });
});
