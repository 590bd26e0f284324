import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainNext, verifyChain } from '../../src/audit/hash.js';
import { appendAudit, listAudit, verifyCaseAudit, type AuditAppend } from '../../src/db/audit.js';
import { lockCase } from '../../src/db/cases.js';
import { auditRecords } from '../../src/db/schema.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';
import { seedCase, seedEnumerator, seedRegions, VILLAGES } from './fixtures.js';

/** The database error behind drizzle's wrapper ("Failed query: …"), whichever driver raised it. */
async function dbError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as { message: string; cause?: { message?: string } };
    return `${e.message} ${e.cause?.message ?? ''}`;
  }
  throw new Error('expected the statement to fail');
}

describe(`audit trail (${testDbKind()})`, () => {
  let t: TestDb;
  let caseId: string;
  let userId: string;
  const event = (n: number, overrides: Partial<AuditAppend> = {}): AuditAppend => ({
    caseId,
    eventType: 'APPROVE',
    payload: { level: 'village', note: `approval ${n}`, at: new Date(Date.UTC(2026, 2, n)) },
    actorId: userId,
    actorRole: 'reviewer',
    stateBefore: 'review',
    stateAfter: 'review',
    machineVersion: 1,
    requestId: `req-${n}`,
    at: new Date(Date.UTC(2026, 2, n, 1, 2, 3, 456)),
    ...overrides,
  });

  beforeAll(async () => {
    t = await createTestDb();
    await seedRegions(t.db);
    userId = (await seedEnumerator(t.db)).id;
    caseId = (await seedCase(t.db, { villageCode: VILLAGES.sunjiagou, createdBy: userId })).case.id;
    // Appends happen under the case lock, as the engine does them.
    for (let n = 1; n <= 3; n++) {
      await t.db.transaction(async (tx) => {
        await lockCase(tx, caseId);
        await appendAudit(tx, n === 1 ? event(n, { eventType: 'CREATE', stateBefore: null, stateAfter: 'survey' }) : event(n));
      });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('numbers records from 1 and links each to its predecessor', async () => {
    const records = await listAudit(t.db, caseId);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0].prevHash).toBeNull();
    expect(records[1].prevHash).toBe(records[0].hash);
    expect(records[2].prevHash).toBe(records[1].hash);
    expect(records[0]).toMatchObject({ eventType: 'CREATE', stateBefore: null, stateAfter: 'survey', requestId: 'req-1' });
    expect(records[1].at.toISOString()).toBe('2026-03-02T01:02:03.456Z');
    // Dates inside the payload come back as the ISO strings that were hashed.
    expect(records[1].payload).toEqual({ level: 'village', note: 'approval 2', at: '2026-03-02T00:00:00.000Z' });
  });

  it('verifies the chain as read back from the database', async () => {
    expect(await verifyCaseAudit(t.db, caseId)).toEqual({ ok: true, count: 3 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    expect(await dbError(t.db.update(auditRecords).set({ actorId: 'intruder' }))).toMatch(
      /audit_records is append-only/,
    );
    expect(await dbError(t.db.delete(auditRecords))).toMatch(/audit_records is append-only/);
    expect(await dbError(t.db.execute(sql`truncate audit_records`))).toMatch(/audit_records is append-only/);
    expect(await verifyCaseAudit(t.db, caseId)).toEqual({ ok: true, count: 3 });
  });

  it('refuses a second record with the same seq (an append without the case lock)', async () => {
    const [first] = await listAudit(t.db, caseId);
    expect(
      await dbError(
        t.db.insert(auditRecords).values({ ...first, id: undefined, payload: { forged: true } }),
      ),
    ).toMatch(/audit_records_case_seq_unique|duplicate key/);
  });

  it('detects a record tampered with while the trigger was disabled', async () => {
    // A superuser can bypass the trigger; the chain is what catches it. Done on a second case so the other
    // tests keep an intact chain.
    const other = (await seedCase(t.db, { villageCode: VILLAGES.mingshan, createdBy: userId })).case.id;
    for (let n = 1; n <= 3; n++) {
      await t.db.transaction(async (tx) => {
        await lockCase(tx, other);
        await appendAudit(tx, event(n, { caseId: other }));
      });
    }
    expect(await verifyCaseAudit(t.db, other)).toEqual({ ok: true, count: 3 });

    await t.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_records disable trigger audit_records_append_only`);
      await tx.execute(
        sql`update audit_records set payload = jsonb_set(payload, '{note}', '"forged"') where case_id = ${other} and seq = 2`,
      );
      await tx.execute(sql`alter table audit_records enable trigger audit_records_append_only`);
    });
    expect(await verifyCaseAudit(t.db, other)).toMatchObject({ ok: false, count: 3, brokenAtSeq: 2 });

    // The trigger is back in force.
    expect(await dbError(t.db.delete(auditRecords))).toMatch(/append-only/);
  });

  it('keeps seq consecutive under concurrent appends, the case lock ordering them', async () => {
    const other = (await seedCase(t.db, { villageCode: VILLAGES.lushi, createdBy: userId })).case.id;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.db.transaction(async (tx) => {
          await lockCase(tx, other);
          await appendAudit(tx, event(i + 1, { caseId: other }));
        }),
      ),
    );
    const records = await listAudit(t.db, other);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(verifyChain(records)).toEqual({ ok: true, count: 8 });
  });

  it('detects a modified in-memory copy', async () => {
    const records = await listAudit(t.db, caseId);
    const copy = records.map((r) => ({ ...r }));
    copy[2].stateAfter = 'publicity';
    expect(verifyChain(copy)).toMatchObject({ ok: false, brokenAtSeq: 3 });
  });
});

describe(`audit verify against the case row's head (${testDbKind()})`, () => {
  let t: TestDb;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDb();
    await seedRegions(t.db);
    userId = (await seedEnumerator(t.db)).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function caseWithRecords(n: number): Promise<string> {
    const id = (await seedCase(t.db, { villageCode: VILLAGES.sunjiagou, createdBy: userId })).case.id;
    for (let i = 1; i <= n; i++) {
      await t.db.transaction(async (tx) => {
        await lockCase(tx, id);
        await appendAudit(tx, {
          caseId: id, eventType: i === 1 ? 'CREATE' : 'APPROVE', payload: { i }, actorId: userId, actorRole: 'reviewer',
          stateBefore: i === 1 ? null : 'review', stateAfter: 'review', machineVersion: 1, at: new Date(Date.UTC(2026, 2, i)),
        });
      });
    }
    return id;
  }

  /** What someone who owns the table can do: switch the trigger off, delete, switch it on again. */
  async function deleteNewest(caseId: string, fromSeq: number) {
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_records disable trigger audit_records_append_only`);
      await tx.execute(sql`delete from audit_records where case_id = ${caseId} and seq >= ${fromSeq}`);
      await tx.execute(sql`alter table audit_records enable trigger audit_records_append_only`);
    });
  }

  it('finds a deleted tail, naming the case', async () => {
    const id = await caseWithRecords(4);
    expect(await verifyCaseAudit(t.db, id)).toEqual({ ok: true, count: 4 });
    await deleteNewest(id, 3);
    // The two remaining records still link up: the chain alone says nothing is wrong.
    expect(verifyChain(await listAudit(t.db, id))).toEqual({ ok: true, count: 2 });
    const verdict = await verifyCaseAudit(t.db, id);
    expect(verdict).toMatchObject({ ok: false, count: 2, brokenAtSeq: 3, caseId: id });
    expect(verdict.ok || verdict.reason).toMatch(/head is record 4, but the trail ends at record 2/);
  });

  it('finds a whole trail deleted', async () => {
    const id = await caseWithRecords(2);
    await deleteNewest(id, 1);
    expect(await verifyCaseAudit(t.db, id)).toMatchObject({ ok: false, count: 0, brokenAtSeq: 1, caseId: id });
  });

  it('finds a newest record replaced by one chained to the same predecessor', async () => {
    const id = await caseWithRecords(3);
    const records = await listAudit(t.db, id);
    await deleteNewest(id, 3);
    const forged = chainNext({ seq: 2, hash: records[1].hash }, { ...records[2], payload: { forged: true } });
    await t.db.insert(auditRecords).values(forged);
    expect(verifyChain(await listAudit(t.db, id))).toEqual({ ok: true, count: 3 });
    expect(await verifyCaseAudit(t.db, id)).toMatchObject({ ok: false, brokenAtSeq: 3, caseId: id });
  });
});
