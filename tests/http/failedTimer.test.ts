// A timer that failed for good (retries exhausted, status `failed`) must not block its case. Its key stays
// taken (the unique index timers_case_key_idx counts failed rows): the next commands in the same step plan the
// same key again, and must neither insert it a second time (a 500 from the unique index) nor fire it again.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import { testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const send = async (who: TestUser, caseId: string, body: object) => {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

async function timerRows(caseId: string, keyLike: string) {
  return rows<{ id: number; status: string; attempts: number; last_error: string | null }>(
    await svc.database.db.execute(sql`select id, status, attempts, last_error from timers where case_id = ${caseId} and key like ${keyLike} order by id`),
  );
}

/** A case in evaluation (START_EVALUATION sent): the evaluator's next commands stay in the step evaluationSubmitted. */
async function inEvaluation() {
  const caseId = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  expect(c.deadline.key).toBe('evaluationSubmitted');
  return { caseId, members: c.household.members as { id: string }[], deadlineAt: c.deadline.at as string };
}

/** Every command after the failure, to the public notice: none may be refused by the failed timer. */
async function driveOn(caseId: string, members: { id: string }[]) {
  for (const m of members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  // A second assessment of the same member: another command in the same step, planning the same keys again.
  await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: members[0].id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明', '补充'] } });
  expect((await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' })).state).toBe('review');
  for (const who of ['village', 'township', 'county'] as const) await send(who, caseId, { type: 'APPROVE' });
  expect((await svc.as('supervisor', 'GET', `/cases/${caseId}`)).body.state).toBe('publicity.open');
  expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);
}

describe(`a timer failed for good does not block its case (${testDbKind()})`, () => {
  it('retries exhausted by the worker: the next commands of the step succeed and the timer is not planned again', async () => {
    const { caseId, members, deadlineAt } = await inEvaluation();
    // A real, permanent failure: the case's stored snapshot names a machine the engine does not know.
    await svc.database.db.execute(sql`update cases set machine_id = 'broken-machine' where id = ${caseId}`);
    const failing = createTimerWorker({ clock: svc.clock, logger: svc.app.log as never, engine: svc.engine }, { maxAttempts: 1 });
    svc.clock.set(new Date(Date.parse(deadlineAt) + 3600_000)); // overdue, not yet escalated
    await failing.drain();
    await svc.database.db.execute(sql`update cases set machine_id = 'case' where id = ${caseId}`);
    const [failed] = await timerRows(caseId, 'overdue:evaluationSubmitted:%');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.last_error).toContain('broken-machine');

    await driveOn(caseId, members);

    // Still exactly one row for the key, still failed: nothing re-planned it, nothing cancelled it.
    expect(await timerRows(caseId, 'overdue:evaluationSubmitted:%')).toEqual([expect.objectContaining({ id: failed.id, status: 'failed' })]);
  });

  it('a row set to failed directly in SQL: the same', async () => {
    const { caseId, members } = await inEvaluation();
    await svc.database.db.execute(
      sql`update timers set status = 'failed', attempts = 8, last_error = 'set by the test' where case_id = ${caseId} and status = 'pending'`,
    );
    const failedBefore = await timerRows(caseId, '%evaluationSubmitted%');
    expect(failedBefore.length).toBeGreaterThanOrEqual(2); // overdue and escalation
    await driveOn(caseId, members);
    expect(await timerRows(caseId, '%evaluationSubmitted%')).toEqual(failedBefore);
  });
});
