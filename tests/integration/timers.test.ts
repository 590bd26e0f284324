// Durable timers end to end with a manual clock: the notice period closes by itself, an overdue step notifies
// its reviewer once and escalates to the supervisors once after 7 days, a case that moves on cancels its
// timers, a revisit is reminded once per due date, and one failing timer stops nothing.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertGuardian, rows, type TimerRow } from '../../src/db/index.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
let worker: ReturnType<typeof createTimerWorker>;
beforeAll(async () => {
  svc = await startService();
  worker = createTimerWorker({ clock: svc.clock, logger: svc.app.log as never, engine: svc.engine });
});
afterAll(async () => svc?.close());

const send = async (who: TestUser, caseId: string, body: object) => {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

async function toReview() {
  const caseId = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  return caseId;
}

async function timersOf(caseId: string) {
  return rows<TimerRow & { due_at: string; kind: string; status: string; outcome: string | null }>(
    await svc.database.db.execute(sql`select kind, status, outcome, key from timers where case_id = ${caseId} order by id`),
  );
}

async function countNotifications(who: TestUser) {
  return rows<{ kind: string; case_id: string; title: string }>(
    await svc.database.db.execute(sql`select kind, case_id, title from notifications where user_id = ${svc.users[who].id} order by id`),
  );
}

describe('durable timers', () => {
  it('the public notice closes by itself after 7 days, once', async () => {
    const caseId = await toReview();
    for (const who of ['village', 'township', 'county'] as const) await send(who, caseId, { type: 'APPROVE' });
    expect(await worker.drain()).toBe(0);
    svc.clock.advanceDays(7);
    await worker.drain();
    const c = (await svc.as('supervisor', 'GET', `/cases/${caseId}`)).body;
    expect(c.state).toBe('awaitingPlacement');
    const audit = (await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`)).body.records;
    expect(audit.at(-1)).toMatchObject({ eventType: 'NOTICE_PERIOD_ENDED', actorRole: 'system' });
    expect((await timersOf(caseId)).filter((t) => t.kind === 'notice_end')).toEqual([
      expect.objectContaining({ status: 'done', outcome: 'sent NOTICE_PERIOD_ENDED' }),
    ]);
    expect(await worker.drain()).toBe(0);
    expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);
  });

  it('an open objection keeps the notice open past its end; the timer records the refusal', async () => {
    const caseId = await toReview();
    for (const who of ['village', 'township', 'county'] as const) await send(who, caseId, { type: 'APPROVE' });
    await send('officer', caseId, { type: 'FILE_OBJECTION', objectionId: 'o1', lodgedBy: '村民', channel: 'paper', content: '有异议' });
    svc.clock.advanceDays(8);
    await worker.drain();
    expect((await svc.as('supervisor', 'GET', `/cases/${caseId}`)).body.state).toBe('publicity.objected');
    expect((await timersOf(caseId)).find((t) => t.kind === 'notice_end')?.outcome).toBe('refused: GUARD_FAILED OPEN_OBJECTION');
    const done = await send('officer', caseId, { type: 'RESOLVE_OBJECTION', objectionId: 'o1', outcome: 'dismissed', reason: '查无实据' });
    expect(done.state).toBe('awaitingPlacement');
  });

  it('a township review left past its deadline: one overdue notice to its reviewer, one escalation to the supervisors after 7 days', async () => {
    const caseId = await toReview();
    await send('village', caseId, { type: 'APPROVE' });
    const before = { township: (await countNotifications('township')).length, supervisor: (await countNotifications('supervisor')).length };
    const { deadline } = (await svc.as('supervisor', 'GET', `/cases/${caseId}`)).body;
    expect(deadline.key).toBe('review.township');
    svc.clock.set(new Date(Date.parse(deadline.at) + 3600_000));
    await worker.drain();
    await worker.drain();
    const township = (await countNotifications('township')).filter((n) => n.case_id === caseId);
    expect(township).toEqual([expect.objectContaining({ kind: 'overdue', title: '乡镇审核已超期' })]);
    expect((await countNotifications('village')).filter((n) => n.case_id === caseId)).toEqual([]);
    expect((await countNotifications('supervisor')).length).toBe(before.supervisor);

    svc.clock.advanceDays(7);
    await worker.drain();
    for (const who of ['supervisor', 'citySupervisor'] as const) {
      expect((await countNotifications(who)).filter((n) => n.case_id === caseId)).toEqual([expect.objectContaining({ kind: 'escalation' })]);
    }
    expect(await countNotifications('mcCounty')).toEqual([]);
    expect((await countNotifications('township')).length).toBe(before.township + 1);
    // Recording something in the same step does not plan the fired timers again.
    await worker.drain();
    expect((await countNotifications('township')).filter((n) => n.case_id === caseId)).toHaveLength(1);
  });

  it('a case that moves on before its deadline cancels its timers; nothing fires', async () => {
    const caseId = await toReview();
    await send('village', caseId, { type: 'APPROVE' });
    await send('township', caseId, { type: 'RETURN', reason: '补充材料' });
    const t = await timersOf(caseId);
    expect(t.filter((x) => x.key.includes('review.township')).every((x) => x.status === 'cancelled')).toBe(true);
    expect(t.filter((x) => x.status === 'pending').map((x) => x.key).every((k) => k.includes('evaluationSubmitted'))).toBe(true);
  });

  it('dispersed care: one revisit reminder per due revisit, 3 days before it is due, in the inbox and on the webhook', async () => {
    const hook = rows<{ id: string }>(
      await svc.database.db.execute(sql`insert into webhooks (region_prefix, url, secret, created_by) values ('411282108', 'http://127.0.0.1:9/sms', 'secret', 'test') returning id`),
    )[0];
    const caseId = await toReview();
    for (const who of ['village', 'township', 'county'] as const) await send(who, caseId, { type: 'APPROVE' });
    svc.clock.advanceDays(7);
    await worker.drain();
    const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    const placed = await send('officer', caseId, {
      type: 'PLACE', mode: 'dispersed_care', startDate: today(),
      guardianId: (await insertGuardian(svc.database.db, { name: '邻居赵某', kind: 'neighbour', regionCode: '411282108201', createdBy: 'test' })).id,
      appointedByTownship: true,
      agreement: { signedOn: today(), startDate: today(), termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } },
    });
    const due = Date.parse(placed.deadline.at);
    const visitorCount = async () => (await countNotifications('visitor')).filter((n) => n.case_id === caseId && n.kind === 'revisit_reminder').length;

    svc.clock.set(new Date(due - 4 * 86_400_000));
    await worker.drain();
    expect(await visitorCount()).toBe(0);
    svc.clock.set(new Date(due - 3 * 86_400_000 + 60_000));
    await worker.drain();
    await worker.drain();
    expect(await visitorCount()).toBe(1);

    await send('visitor', caseId, { type: 'RECORD_REVISIT', date: today(), livingConditions: '良好', health: '稳定', reassessmentNeeded: false });
    const next = (await svc.as('supervisor', 'GET', `/cases/${caseId}`)).body.deadline;
    expect(Date.parse(next.at)).toBeGreaterThan(due + 20 * 86_400_000);
    svc.clock.set(new Date(Date.parse(next.at) - 3 * 86_400_000 + 60_000));
    await worker.drain();
    expect(await visitorCount()).toBe(2);
    await worker.drain();
    expect(await visitorCount()).toBe(2);
    // One delivery per reminder on the webhook as well, not one per recipient or per drain.
    const deliveries = rows<{ n: string }>(
      await svc.database.db.execute(sql`select count(*)::text as n from webhook_deliveries where webhook_id = ${hook.id} and payload->>'kind' = 'revisit_reminder' and payload->>'caseId' = ${caseId}`),
    );
    expect(Number(deliveries[0].n)).toBe(2);
  });

  it('one failing timer is retried with backoff and stops nothing else', async () => {
    const a = await toReview();
    const b = await toReview();
    const deadline = (await svc.as('supervisor', 'GET', `/cases/${a}`)).body.deadline.at;
    // A real failure: case a's stored snapshot names a machine the engine does not know, so its firing throws.
    await svc.database.db.execute(sql`update cases set machine_id = 'broken-machine' where id = ${a}`);
    const failing = createTimerWorker({ clock: svc.clock, logger: svc.app.log as never, engine: svc.engine }, { retryBaseMs: 60_000 });
    svc.clock.set(new Date(Date.parse(deadline) + 1000));
    await failing.runOnce();
    const [ta, tb] = [await timersOf(a), await timersOf(b)];
    const reviewOverdue = (ts: { kind: string; key: string }[]) => ts.find((t) => t.kind === 'overdue' && t.key.includes('review.village')) as { status: string } | undefined;
    expect(reviewOverdue(tb)?.status).toBe('done');
    const failed = rows<{ status: string; attempts: number; last_error: string; due_at: Date }>(
      await svc.database.db.execute(sql`select status, attempts, last_error, due_at from timers where case_id = ${a} and kind = 'overdue' and key like 'overdue:review.village:%'`),
    )[0];
    expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
    expect(failed.last_error).toContain('broken-machine');
    expect(new Date(failed.due_at).getTime()).toBe(svc.clock.now().getTime() + 60_000);
    expect(reviewOverdue(ta)?.status).toBe('pending');
    // Once the cause is gone, the real worker fires it after the backoff.
    await svc.database.db.execute(sql`update cases set machine_id = 'case' where id = ${a}`);
    svc.clock.advance(61_000);
    await worker.drain();
    expect(reviewOverdue(await timersOf(a))?.status).toBe('done');
  });
});

