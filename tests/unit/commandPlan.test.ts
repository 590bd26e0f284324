// The command path's plan step, without a database: a survey and the events after it are planned one after
// another, each plan's written row fed back as the next one's load, exactly as the engine would read it.
// What is checked here is what the write will do — the audit chain's next link, the timer diff, the mirror
// columns, the answer — and that every refusal throws before anything is planned for writing.
import { describe, expect, it } from 'vitest';
import { defaultCasePolicy } from '../../machines/index.js';
import { verifyChain, type HashedAuditRecord } from '../../src/audit/hash.js';
import type { CaseWrite } from '../../src/db/commandWrites.js';
import type { CaseRow, HouseholdRow, MemberRow, TimerRow } from '../../src/db/index.js';
import { householdInputSchema } from '../../src/engine/surveyInput.js';
import { parseEventInput } from '../../src/engine/eventInput.js';
import { planEvent, type EventLoad } from '../../src/engine/plan/event.js';
import { planFiring } from '../../src/engine/plan/firing.js';
import { timerDiff, type PlanContext } from '../../src/engine/plan/shared.js';
import { planSurvey } from '../../src/engine/plan/survey.js';
import { RecordedRefusal } from '../../src/engine/plan/residents.js';
import { checkMembers } from '../../src/engine/surveyInput.js';
import type { Principal } from '../../src/engine/types.js';
import { defaultCarePolicy } from '../../src/engine/types.js';
import { WorkingCalendar } from '../../src/time/calendar.js';
import { ScopedDeadlinePolicy } from '../../src/time/timeSettings.js';
import { sunSurvey } from '../helpers/service.js';

const ctx: PlanContext = { calendar: new WorkingCalendar(), deadlinePolicy: new ScopedDeadlinePolicy(), casePolicy: defaultCasePolicy, care: defaultCarePolicy };

const who = (id: string, roles: Principal['roles'], region = '411282', level: Principal['level'] = null): Principal => ({ id, username: id, roles, level, region });
const enumerator = who('00000000-0000-4000-8000-000000000001', ['enumerator'], '411282108');
const evaluator = who('00000000-0000-4000-8000-000000000002', ['evaluator']);
const village = who('00000000-0000-4000-8000-000000000003', ['reviewer'], '411282108', 'village');
const township = who('00000000-0000-4000-8000-000000000004', ['reviewer'], '411282108', 'township');
const stranger = who('00000000-0000-4000-8000-000000000005', ['reviewer'], '411221', 'village');

let serial = 0;
const newId = () => `00000000-0000-4000-9000-${String(++serial).padStart(12, '0')}`;

/** The state a case is in after a plan was written: what the next load would bring. */
interface Stored {
  row: CaseRow;
  household: HouseholdRow;
  members: MemberRow[];
  audit: HashedAuditRecord[];
}

function opened(at = new Date('2026-03-02T01:00:00Z')) {
  const input = checkMembers(householdInputSchema.parse(sunSurvey()));
  const plan = planSurvey(
    { region: { code: input.villageCode, level: 'village' }, idempotency: null, clashes: [] },
    { meta: { principal: enumerator, requestId: 'req-1' }, input, requestHash: null, at, ids: { caseId: newId(), householdId: newId(), memberIds: input.members.map(newId) } },
    ctx,
  );
  if (plan.kind !== 'write') throw new Error('expected a write');
  const w = plan.write;
  const household = { ...w.create!.household } as unknown as HouseholdRow;
  const members = w.create!.members.map((m) => ({ ...m, householdId: household.id }) as unknown as MemberRow);
  const row = {
    id: w.caseId, householdId: household.id, ...w.fields, rowVersion: 1, villageCode: input.villageCode,
    townshipCode: input.villageCode.slice(0, 9), countyCode: input.villageCode.slice(0, 6), openedAt: at, updatedAt: at,
    auditSeq: w.audit.seq, auditHead: w.audit.hash,
  } as CaseRow;
  return { stored: { row, household, members, audit: [auditOf(w)] } as Stored, plan };
}

const auditOf = (w: CaseWrite): HashedAuditRecord => ({ caseId: w.caseId, ...w.audit });

function send(stored: Stored, principal: Principal, body: Record<string, unknown>, extra: Partial<EventLoad> = {}, opts: { ifMatch?: number; idempotencyKey?: string; idempotency?: EventLoad['idempotency'] } = {}, at = new Date(stored.row.updatedAt.getTime() + 3600_000)) {
  const plan = planEvent(
    { row: stored.row, household: stored.household, members: stored.members, idempotency: opts.idempotency ?? null, ...extra },
    { meta: { principal, requestId: null }, input: parseEventInput(body), body, ifMatch: opts.ifMatch, idempotencyKey: opts.idempotencyKey, at, newIds: newId },
    ctx,
  );
  if (plan.kind !== 'write') return { plan, stored };
  const view = plan.view();
  const next: Stored = {
    row: plan.row,
    household: stored.household,
    members: stored.members.map((m) => ({ ...m, categories: (view.household.members.find((v) => v.id === m.id)?.categories ?? m.categories) as MemberRow['categories'] })),
    audit: [...stored.audit, auditOf(plan.write)],
  };
  return { plan, stored: next, view, write: plan.write };
}

function toVillageReview() {
  let { stored } = opened();
  stored = send(stored, enumerator, { type: 'SUBMIT_SURVEY' }).stored;
  stored = send(stored, evaluator, { type: 'START_EVALUATION' }).stored;
  for (const m of stored.members) {
    stored = send(stored, evaluator, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } }).stored;
  }
  return send(stored, evaluator, { type: 'SUBMIT_EVALUATION', conclusion: '符合' }).stored;
}

describe('planSurvey', () => {
  it('plans the household, its members, the case, its first audit record and its timers', () => {
    const { plan } = opened();
    if (plan.kind !== 'write') throw new Error('write expected');
    const w = plan.write;
    expect(w.expectedRowVersion).toBeNull();
    expect(w.create?.members).toHaveLength(2);
    expect(w.fields.state).toBe('survey');
    expect(w.audit).toMatchObject({ seq: 1, prevHash: null, eventType: 'OPEN_CASE', stateBefore: null, stateAfter: 'survey' });
    expect(w.timers.cancelKeys).toEqual([]);
    expect(w.timers.insert.map((t) => t.kind).sort()).toEqual(['escalation', 'overdue']);
    // The answer of the enumerator shows full ID numbers (their role works with them), row version 1, and the
    // case number the write took (the plan cannot know it).
    const view = plan.view('411282-2026-000007');
    expect(view.rowVersion).toBe(1);
    expect(view.caseNumber).toBe('411282-2026-000007');
    expect(view.household.members[0].idNumber).toMatch(/^\d{17}[\dX]$/);
    // The audit payload never holds a full ID number.
    expect(JSON.stringify(w.audit.payload)).not.toMatch(/\d{17}[\dX]/);
  });

  it('refuses a village outside the jurisdiction, an unknown village and a resident already on an open case', () => {
    const input = checkMembers(householdInputSchema.parse(sunSurvey()));
    const req = { meta: { principal: enumerator }, input, requestHash: null, at: new Date(), ids: { caseId: newId(), householdId: newId(), memberIds: input.members.map(newId) } };
    expect(() => planSurvey({ region: null, idempotency: null, clashes: [] }, req, ctx)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => planSurvey({ region: { code: input.villageCode, level: 'village' }, idempotency: null, clashes: [] }, { ...req, meta: { principal: { ...enumerator, region: '411221' } } }, ctx)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
    const region = { code: input.villageCode, level: 'village' };
    // In the caller's jurisdiction: the other case is named.
    expect(() => planSurvey({ region, idempotency: null, clashes: [{ caseId: 'c-1', idNumber: input.members[0].idNumber, villageCode: input.villageCode }] }, req, ctx)).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_RESIDENT', details: { caseId: 'c-1' } }),
    );
    // Outside it: not named; the refusal carries an alert for the other case's supervisors.
    let thrown: unknown;
    try {
      planSurvey({ region, idempotency: null, clashes: [{ caseId: 'c-2', idNumber: input.members[0].idNumber, villageCode: '411221100201' }] }, req, ctx);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RecordedRefusal);
    const r = thrown as RecordedRefusal;
    expect(r.refusal).toMatchObject({ code: 'DUPLICATE_RESIDENT', details: { reported: true } });
    expect(JSON.stringify(r.refusal)).not.toContain('c-2');
    expect(r.alerts.map((a) => a.caseId)).toEqual(['c-2']);
    expect(JSON.stringify(r.alerts)).not.toContain(input.members[0].idNumber);
  });
});

describe('planEvent', () => {
  it('chains each audit record to the head kept on the case row; the whole chain verifies', () => {
    const stored = toVillageReview();
    expect(stored.row.state).toBe('review');
    expect(stored.row.auditSeq).toBe(stored.audit.length);
    expect(stored.row.auditHead).toBe(stored.audit.at(-1)!.hash);
    expect(verifyChain(stored.audit)).toEqual({ ok: true, count: stored.audit.length });
  });

  it('diffs timers from the old and the new snapshot: the step left is cancelled, the step entered planned', () => {
    const { stored } = opened();
    const r = send(stored, enumerator, { type: 'SUBMIT_SURVEY' });
    expect(r.write!.timers.cancelKeys.every((k) => k.includes('surveySubmitted'))).toBe(true);
    expect(r.write!.timers.cancelKeys).toHaveLength(2);
    expect(r.write!.timers.insert.map((t) => t.key).every((k) => k.includes('evaluationStarted'))).toBe(true);
    // An event that stays in the step (an assessment during evaluation) keeps the deadline: no timer changes.
    let s = send(r.stored, evaluator, { type: 'START_EVALUATION' }).stored;
    const a = send(s, evaluator, { type: 'RECORD_ASSESSMENT', assessment: { memberId: s.members[0].id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    expect(a.write!.timers).toEqual({ cancelKeys: [], insert: [] });
    expect(a.write!.memberCategories).toEqual([{ id: s.members[0].id, categories: ['elderly'] }]);
    s = a.stored;
    expect(a.view!.household.members[0].categories).toEqual(['elderly']);
  });

  it('timerDiff keeps keys both plans share (a timer that fired or failed is never planned again)', () => {
    const t = (key: string) => ({ kind: 'overdue' as const, key, dueAt: new Date(0), payload: {} });
    expect(timerDiff([t('a'), t('b')], [t('b'), t('c')])).toEqual({ cancelKeys: ['a'], insert: [t('c')] });
  });

  it('answers with the row it wrote: version + 1, masked ID numbers for a reviewer, the events allowed now', () => {
    const stored = toVillageReview();
    const r = send(stored, village, { type: 'APPROVE' });
    expect(r.view!.rowVersion).toBe(stored.row.rowVersion + 1);
    expect(r.view!.reviewLevel).toBe('township');
    expect(r.view!.household.members[0].idNumber).toMatch(/\*/);
    expect(r.view!.allowedEvents).toEqual([]); // the village reviewer has nothing more to do here
    expect(r.write!.expectedRowVersion).toBe(stored.row.rowVersion);
    expect(r.write!.audit).toMatchObject({ seq: stored.row.auditSeq + 1, prevHash: stored.row.auditHead, eventType: 'APPROVE' });
  });

  it('refuses before planning a write: jurisdiction first, then If-Match, then the machine', () => {
    const stored = toVillageReview();
    expect(() => send(stored, stranger, { type: 'APPROVE' }, {}, { ifMatch: 1 })).toThrow(expect.objectContaining({ code: 'CASE_NOT_FOUND' }));
    expect(() => send(stored, village, { type: 'APPROVE' }, {}, { ifMatch: stored.row.rowVersion - 1 })).toThrow(expect.objectContaining({ code: 'VERSION_CONFLICT' }));
    expect(() => send(stored, township, { type: 'APPROVE' })).toThrow(expect.objectContaining({ code: 'EVENT_NOT_ALLOWED' }));
    expect(() => send(stored, village, { type: 'RETURN' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('replays an Idempotency-Key with the same body and refuses it with another', () => {
    const stored = toVillageReview();
    const first = send(stored, village, { type: 'APPROVE' }, {}, { idempotencyKey: 'k-1' });
    const record = { actorId: village.id, key: 'k-1', caseId: stored.row.id, requestHash: first.write!.idempotency!.requestHash, statusCode: 200, response: {}, createdAt: new Date() };
    const again = send(first.stored, village, { type: 'APPROVE' }, {}, { idempotencyKey: 'k-1', idempotency: record });
    expect(again.plan.kind).toBe('replay');
    expect(() => send(first.stored, village, { type: 'RETURN', reason: '材料不全' }, {}, { idempotencyKey: 'k-1', idempotency: record })).toThrow(
      expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }),
    );
  });

  it('PLACE reads the beds from the loaded facility and its counted occupancy, never from the client', () => {
    let stored = toVillageReview();
    for (const who of [village, township, who_('county')]) stored = send(stored, who, { type: 'APPROVE' }).stored;
    expect(stored.row.state).toBe('publicity.open');
    const ended = planEvent(
      { row: stored.row, household: null, members: [], idempotency: null },
      { meta: { principal: who('system', ['system'], '') }, input: { type: 'NOTICE_PERIOD_ENDED' }, body: {}, at: new Date(stored.row.deadlineAt!.getTime() + 1), newIds: newId },
      ctx,
    );
    if (ended.kind !== 'write') throw new Error('write expected');
    stored = { ...stored, row: ended.row, audit: [...stored.audit, auditOf(ended.write)] };
    const officer = who('00000000-0000-4000-8000-000000000009', ['officer']);
    const facility = { id: newId(), name: '苏村社区安置点', type: 'resettlement_site', regionCode: '411282108000', beds: 10, caregivers: 2, medicalStaff: 0, patientsPerMedicalStaff: null } as never;
    const body = { type: 'PLACE', mode: 'centralized_support', startDate: '2026-05-04', facilityId: (facility as { id: string }).id };
    expect(() => send(stored, officer, body, { facility: { facility, occupied: 9 } })).toThrow(expect.objectContaining({ code: 'GUARD_FAILED' }));
    const placed = send(stored, officer, body, { facility: { facility, occupied: 4 } });
    expect(placed.write!.fields).toMatchObject({ state: 'active.monitoring', placementMode: 'centralized_support', facilityId: (facility as { id: string }).id });
    expect(() => send(stored, officer, body, { facility: null })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

function who_(level: 'county') {
  return who('00000000-0000-4000-8000-00000000000c', ['reviewer'], '411282', level);
}

describe('planFiring', () => {
  const timer = (over: Partial<TimerRow>): TimerRow => ({ id: 7, caseId: 'c', kind: 'overdue', key: 'k', dueAt: new Date(), payload: {}, status: 'pending', attempts: 0, lastError: null, outcome: null, createdAt: new Date(), firedAt: null, ...over }) as TimerRow;

  it('a reminder for a step the case has left is stale; one for the current step asks for its recipients', () => {
    const stored = toVillageReview();
    const at = new Date(stored.row.deadlineAt!.getTime() + 1);
    expect(planFiring(timer({ payload: { step: 'survey', deadlineAt: stored.row.deadlineAt!.toISOString() } }), stored.row, ctx, at)).toEqual({ kind: 'done', outcome: 'stale: step changed', write: null });
    expect(planFiring(timer({ payload: { step: 'review.village', deadlineAt: stored.row.deadlineAt!.toISOString() } }), stored.row, ctx, at)).toEqual({
      kind: 'needsRecipients',
      query: { villageCode: stored.row.villageCode, role: 'reviewer', reviewLevel: 'village' },
    });
  });

  it("a notice's end refused by the machine is an outcome, not an error", () => {
    const stored = toVillageReview();
    const p = planFiring(timer({ kind: 'notice_end' }), stored.row, ctx, new Date());
    expect(p).toMatchObject({ kind: 'done', write: null });
    expect((p as { outcome: string }).outcome).toMatch(/^refused: EVENT_NOT_ALLOWED/);
  });
});
