// Admins and timers that failed for good: GET /timers?status=failed within the jurisdiction (keyset pages),
// POST /timers/:id/retry (fires again through the worker) and /cancel, each in the case's audit trail.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import { testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
let worker: ReturnType<typeof createTimerWorker>;
let caseA: string; // 灵宝市, in evaluation
let caseB: string; // 渑池县, in survey
let members: { id: string }[];
beforeAll(async () => {
  svc = await startService();
  worker = createTimerWorker({ clock: svc.clock, logger: svc.app.log as never, engine: svc.engine });
  caseA = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId;
  await send('enumerator', caseA, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseA, { type: 'START_EVALUATION' });
  members = c.household.members;
  const b = await svc.as('mcEnumerator', 'POST', '/households', sunSurvey(V.mianchi));
  expect(b.status, JSON.stringify(b.body)).toBe(201);
  caseB = b.body.caseId;

  // Every due timer fails at its only attempt: the overdue notices of both cases end up failed.
  // A real failure: both cases' stored snapshots name a machine the engine does not know, until repaired.
  await svc.database.db.execute(sql`update cases set machine_id = 'broken-machine' where id in (${caseA}, ${caseB})`);
  const failing = createTimerWorker({ clock: svc.clock, logger: svc.app.log as never, engine: svc.engine }, { maxAttempts: 1 });
  svc.clock.set(new Date(Date.parse(c.deadline.at) + 3600_000));
  expect(await failing.drain()).toBe(2);
  await svc.database.db.execute(sql`update cases set machine_id = 'case' where id in (${caseA}, ${caseB})`);
});
afterAll(async () => svc?.close());

async function send(who: TestUser, caseId: string, body: object) {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function timerRow(id: number) {
  return rows<{ status: string; attempts: number; outcome: string | null; due_at: Date | string }>(
    await svc.database.db.execute(sql`select status, attempts, outcome, due_at from timers where id = ${id}`),
  )[0];
}

const failedOf = async (who: TestUser, query = '') => svc.as(who, 'GET', `/timers?status=failed${query}`);

describe(`admins and failed timers (${testDbKind()})`, () => {
  let failedA: { id: number; caseId: string; kind: string; key: string };

  it('lists the failed timers of cases in the jurisdiction only', async () => {
    const lb = await failedOf('admin');
    expect(lb.status, JSON.stringify(lb.body)).toBe(200);
    expect(lb.body.items).toEqual([
      {
        id: expect.any(Number), caseId: caseA, kind: 'overdue', key: expect.stringMatching(/^overdue:evaluationSubmitted:/),
        dueAt: expect.any(String), attempts: 1, lastError: expect.stringContaining('broken-machine'), status: 'failed',
      },
    ]);
    expect(lb.body.nextAfter).toBeNull();
    failedA = lb.body.items[0];

    const mc = await failedOf('mcAdmin');
    expect(mc.body.items.map((t: { caseId: string }) => t.caseId)).toEqual([caseB]);
    expect((await svc.as('officer', 'GET', '/timers?status=failed')).status).toBe(403);
  });

  it('an admin of another county sees nothing of them: 404 TIMER_NOT_FOUND, and nothing changes', async () => {
    for (const action of ['retry', 'cancel']) {
      const r = await svc.as('mcAdmin', 'POST', `/timers/${failedA.id}/${action}`, {});
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ code: 'TIMER_NOT_FOUND', details: { timerId: failedA.id } });
    }
    expect((await svc.as('admin', 'POST', '/timers/987654321/retry')).body.code).toBe('TIMER_NOT_FOUND');
    expect((await timerRow(failedA.id)).status).toBe('failed');
  });

  it('refuses malformed requests', async () => {
    const bad = [
      await svc.as('admin', 'POST', `/timers/${failedA.id}/retry`, { reason: 'x', force: true }),
      await svc.as('admin', 'POST', `/timers/${failedA.id}/retry`, { reason: '' }),
      await svc.as('admin', 'POST', '/timers/abc/retry', {}),
      await svc.as('admin', 'GET', '/timers?status=pending'),
      await svc.as('admin', 'GET', '/timers?status=failed&colour=red'),
      await svc.as('admin', 'GET', '/timers?limit=0'),
    ];
    for (const r of bad) expect(r).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect((await svc.as('officer', 'POST', `/timers/${failedA.id}/retry`, {})).status).toBe(403);
    expect((await timerRow(failedA.id)).status).toBe('failed');
  });

  it('retry: pending again, due now, attempts reset; the worker fires it; the audit trail records it and verifies', async () => {
    const before = (await svc.as('admin', 'GET', `/cases/${caseA}`)).body;
    const r = await svc.as('admin', 'POST', `/timers/${failedA.id}/retry`, { reason: '短信网关已恢复' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: failedA.id, status: 'pending', attempts: 0, dueAt: svc.clock.now().toISOString() });

    const again = await svc.as('admin', 'POST', `/timers/${failedA.id}/retry`);
    expect(again).toMatchObject({ status: 409, body: { code: 'TIMER_STATE_CONFLICT', details: { timerId: failedA.id, status: 'pending', allowed: ['failed'] } } });
    expect((await failedOf('admin')).body.items).toEqual([]);

    const evaluatorInbox = async () => (await svc.as('evaluator', 'GET', '/notifications')).body.items.filter((n: { caseId: string }) => n.caseId === caseA);
    expect(await evaluatorInbox()).toEqual([]);
    expect(await worker.drain()).toBe(1);
    expect(await timerRow(failedA.id)).toMatchObject({ status: 'done', outcome: expect.stringMatching(/^notified 1 user/) });
    expect(await evaluatorInbox()).toEqual([expect.objectContaining({ kind: 'overdue' })]);

    const after = (await svc.as('admin', 'GET', `/cases/${caseA}`)).body;
    expect(after.state).toBe(before.state);
    expect(after.rowVersion).toBe(before.rowVersion + 1);
    const audit = (await svc.as('admin', 'GET', `/cases/${caseA}/audit`)).body.records;
    expect(audit.at(-1)).toMatchObject({
      eventType: 'TIMER_RETRIED', actorId: svc.users.admin.id, actorRole: 'admin', stateBefore: 'evaluation', stateAfter: 'evaluation',
      payload: { timerId: failedA.id, kind: 'overdue', key: failedA.key, reason: '短信网关已恢复' },
    });
    expect(audit).toHaveLength(after.rowVersion);
    expect((await svc.as('admin', 'GET', `/cases/${caseA}/audit/verify`)).body).toEqual({ ok: true, count: audit.length });
  });

  it('cancel: a failed timer and a pending one; a done timer is refused; the case goes on', async () => {
    const [failedB] = (await failedOf('mcAdmin')).body.items;
    const c = await svc.as('mcAdmin', 'POST', `/timers/${failedB.id}/cancel`, { reason: '重复提醒' });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body).toMatchObject({ id: failedB.id, status: 'cancelled' });
    expect(await timerRow(failedB.id)).toMatchObject({ status: 'cancelled', outcome: 'cancelled by mcAdmin' });
    expect((await failedOf('mcAdmin')).body.items).toEqual([]);
    const auditB = (await svc.as('mcAdmin', 'GET', `/cases/${caseB}/audit`)).body.records;
    expect(auditB.at(-1)).toMatchObject({ eventType: 'TIMER_CANCELLED', stateBefore: 'survey', stateAfter: 'survey', payload: { timerId: failedB.id, kind: 'overdue', key: failedB.key, reason: '重复提醒' } });
    expect((await svc.as('mcAdmin', 'GET', `/cases/${caseB}/audit/verify`)).body.ok).toBe(true);

    const escalation = rows<{ id: number }>(
      await svc.database.db.execute(sql`select id::int as id from timers where case_id = ${caseA} and kind = 'escalation' and status = 'pending'`),
    )[0];
    const p = await svc.as('admin', 'POST', `/timers/${escalation.id}/cancel`);
    expect(p.body).toMatchObject({ id: escalation.id, status: 'cancelled' });
    expect((await svc.as('admin', 'POST', `/timers/${escalation.id}/cancel`)).body).toMatchObject({ code: 'TIMER_STATE_CONFLICT', details: { status: 'cancelled', allowed: ['failed', 'pending'] } });
    expect((await svc.as('admin', 'POST', `/timers/${failedA.id}/cancel`)).body).toMatchObject({ code: 'TIMER_STATE_CONFLICT', details: { status: 'done' } });
    const audit = (await svc.as('admin', 'GET', `/cases/${caseA}/audit`)).body.records;
    expect(audit.at(-1)).toMatchObject({ eventType: 'TIMER_CANCELLED', payload: { timerId: escalation.id, kind: 'escalation' } });
    expect(audit.at(-1).payload).not.toHaveProperty('reason');

    // The case's next commands go on as usual, and the chain still verifies.
    for (const m of members) {
      await send('evaluator', caseA, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    expect((await send('evaluator', caseA, { type: 'SUBMIT_EVALUATION', conclusion: '符合' })).state).toBe('review');
    expect((await svc.as('admin', 'GET', `/cases/${caseA}/audit/verify`)).body.ok).toBe(true);
  });

  it('pages by id (keyset)', async () => {
    await svc.database.db.execute(sql`update timers set status = 'failed', attempts = 8, last_error = 'set by the test' where case_id = ${caseA} and status = 'pending'`);
    const all = (await failedOf('admin')).body.items as { id: number }[];
    expect(all.length).toBeGreaterThanOrEqual(2);
    const seen: number[] = [];
    let after: number | null = null;
    do {
      const page: { body: { items: { id: number }[]; nextAfter: number | null } } = await failedOf('admin', `&limit=1${after ? `&after=${after}` : ''}`);
      expect(page.body.items).toHaveLength(1);
      seen.push(page.body.items[0].id);
      after = page.body.nextAfter;
    } while (after !== null);
    expect(seen).toEqual(all.map((t) => t.id));
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
