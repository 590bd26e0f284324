// The paths of docs/domain.md told as stories, through the pure machine (decide + persisted round-trips).
import { describe, expect, it } from 'vitest';
import { allowedEventsFor, deadlineKey, decide, fromPersisted, startCase, stateName, toPersisted, type CaseSnapshot } from '../../machines/decide.js';
import type { CaseEvent } from '../../machines/events.js';
import { defaultCasePolicy, type Actor } from '../../machines/types.js';
import { actors, assessment, caseInput, ev, sunHousehold, TestClock } from '../helpers/caseFixtures.js';

/** Drives one case; every accepted step goes through JSON as it would through the database. */
class Story {
  s: CaseSnapshot;
  clock = new TestClock();
  constructor(input = caseInput()) {
    this.s = startCase(input);
  }
  send(type: CaseEvent['type'], actor: Actor, payload: object = {}) {
    const d = decide(this.s, ev(type, actor, this.clock.tick(), payload as never));
    if (d.ok) this.s = fromPersisted(toPersisted(d.snapshot));
    return d;
  }
  ok(type: CaseEvent['type'], actor: Actor, payload: object = {}) {
    const d = this.send(type, actor, payload);
    if (!d.ok) throw new Error(`${type} refused in ${stateName(this.s)}: ${JSON.stringify(d)}`);
    return this;
  }
  refused(type: CaseEvent['type'], actor: Actor, payload: object = {}) {
    const before = toPersisted(this.s);
    const d = this.send(type, actor, payload);
    expect(d.ok, `${type} should be refused in ${stateName(this.s)}`).toBe(false);
    expect(toPersisted(this.s)).toEqual(before);
    return d as Exclude<typeof d, { ok: true }>;
  }
  /** Today's date (China) on the story's clock. */
  get today() {
    return this.clock.now().slice(0, 10);
  }
  get state() {
    return stateName(this.s);
  }
  get ctx() {
    return this.s.context;
  }
  /** survey → evaluation → submitted, with the Sun household's assessments. */
  toReview() {
    this.ok('SUBMIT_SURVEY', actors.enumerator).ok('START_EVALUATION', actors.evaluator);
    this.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-head', ['elderly']));
    this.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-son', ['serious_illness']));
    return this.ok('SUBMIT_EVALUATION', actors.evaluator, { conclusion: '符合兜底保障条件' });
  }
  approveAll() {
    return this.ok('APPROVE', actors.village).ok('APPROVE', actors.township).ok('APPROVE', actors.county);
  }
}

const facility = { id: 'f-sucun', name: '苏村社区安置点', type: 'resettlement_site', beds: 60, occupiedBeds: 20, caregivers: 5, medicalStaff: 0, patientsPerMedicalStaff: null };
const revisit = (date: string) => ({ date, livingConditions: '住房整洁，饮食正常', health: '稳定', problems: '', reassessmentNeeded: false });

describe('the Sun household (孙家沟村, 苏村乡, 灵宝市)', () => {
  it('goes from survey through review, notice, centralized support, three revisits, to exit', () => {
    const st = new Story();
    expect(st.state).toBe('survey');
    expect(deadlineKey(st.s)).toBe('surveySubmitted');

    st.ok('SUBMIT_SURVEY', actors.enumerator);
    expect(st.state).toBe('preliminary');
    expect(st.ctx.screening).toMatchObject({
      passed: true,
      members: [{ memberId: 'm-head', categories: ['elderly'] }, { memberId: 'm-son', categories: ['serious_illness'] }],
    });
    expect(st.ctx.applicationSubmittedAt).not.toBeNull();
    expect(deadlineKey(st.s)).toBe('evaluationStarted');

    st.ok('START_EVALUATION', actors.evaluator);
    st.refused('SUBMIT_EVALUATION', actors.evaluator, { conclusion: 'x' }); // nobody assessed yet
    st.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-head', ['elderly']));
    st.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-son', ['serious_illness']));
    st.ok('SUBMIT_EVALUATION', actors.evaluator, { conclusion: '符合兜底保障条件' });
    expect(st.state).toBe('review');
    expect(deadlineKey(st.s)).toBe('review.village');
    expect(allowedEventsFor(st.s, actors.village, st.clock.now())).toEqual(['APPROVE', 'RETURN', 'REJECT']);
    expect(allowedEventsFor(st.s, actors.township, st.clock.now())).toEqual([]);

    st.ok('APPROVE', actors.village);
    expect(deadlineKey(st.s)).toBe('review.township');
    st.ok('APPROVE', actors.township);
    expect(deadlineKey(st.s)).toBe('review.county');
    st.ok('APPROVE', actors.county);
    expect(st.state).toBe('publicity.open');
    expect(st.ctx.review.approvals.map((a) => a.level)).toEqual(['village', 'township', 'county']);
    const { openedAt, endsAt } = st.ctx.publicity!;
    expect(Date.parse(endsAt) - Date.parse(openedAt)).toBe(7 * 86_400_000);

    // The notice does not close early, whoever asks.
    expect(st.refused('NOTICE_PERIOD_ENDED', actors.system).refusal).toBe('VIOLATIONS');
    st.clock.advanceDays(7);
    st.ok('NOTICE_PERIOD_ENDED', actors.system);
    expect(st.state).toBe('awaitingPlacement');
    expect(st.ctx.approvedAt).not.toBeNull();

    st.ok('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility });
    expect(st.state).toBe('active.monitoring');
    expect(st.ctx.placement).toMatchObject({ mode: 'centralized_support', facility: { id: 'f-sucun', name: '苏村社区安置点' } });
    expect(deadlineKey(st.s)).toBe('revisit');

    for (const days of [30, 91, 92]) {
      st.clock.advanceDays(days);
      st.ok('RECORD_REVISIT', actors.visitor, revisit(st.today));
    }
    expect(st.ctx.revisits).toEqual({ count: 3, lastDate: st.today });

    st.ok('EXIT', actors.officer, { reason: 'moved_away', date: st.today });
    expect(st.state).toBe('exitNotice');
    expect(st.refused('NOTICE_PERIOD_ENDED', actors.system).refusal).toBe('VIOLATIONS');
    st.clock.advanceDays(7);
    st.ok('NOTICE_PERIOD_ENDED', actors.system);
    expect(st.state).toBe('exited');
    expect(st.s.status).toBe('done');
    expect(st.refused('RECORD_REVISIT', actors.visitor, revisit(st.today)).refusal).toBe('EVENT_NOT_ALLOWED');
  });

  it('a deceased beneficiary exits at once, without the 7-day notice', () => {
    const st = new Story().toReview().approveAll();
    st.clock.advanceDays(7);
    st.ok('NOTICE_PERIOD_ENDED', actors.system);
    st.ok('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility });
    st.ok('EXIT', actors.officer, { reason: 'deceased', date: st.today });
    expect(st.state).toBe('exited');
    expect(st.ctx.exit).toMatchObject({ reason: 'deceased', endsAt: null });
  });
});

describe('screening', () => {
  it('a household with a member of full labour capacity fails screening and can be reopened', () => {
    const household = sunHousehold();
    household.members[1] = { ...household.members[1], labourCapacity: 'full' };
    const st = new Story(caseInput(household));
    st.ok('SUBMIT_SURVEY', actors.enumerator);
    expect(st.state).toBe('screenedOut');
    expect(st.ctx.screening?.passed).toBe(false);
    expect(st.ctx.screening?.reasons[0]).toContain('full labour capacity');
    expect(st.refused('START_EVALUATION', actors.evaluator).refusal).toBe('EVENT_NOT_ALLOWED');

    expect(st.refused('REOPEN', actors.officer, { reason: '  ' }).refusal).toBe('VIOLATIONS');
    st.ok('REOPEN', actors.officer, { reason: '子女外出务工，家庭情况已变化' });
    expect(st.state).toBe('survey');
    household.members[1] = { ...household.members[1], labourCapacity: 'none' };
    st.ok('UPDATE_SURVEY', actors.enumerator, { household });
    st.ok('SUBMIT_SURVEY', actors.enumerator);
    expect(st.state).toBe('preliminary');
  });

  it('a household with nobody in any category fails screening', () => {
    const household = sunHousehold();
    household.members = [{ ...household.members[0], birthDate: '1980-01-01', labourCapacity: 'partial' }];
    const st = new Story(caseInput(household));
    st.ok('SUBMIT_SURVEY', actors.enumerator);
    expect(st.state).toBe('screenedOut');
    expect(st.ctx.screening?.reasons).toEqual(['no member falls into any of the five categories']);
  });

  it('the evaluator cannot submit when an assessment finds a member able to work', () => {
    const st = new Story();
    st.ok('SUBMIT_SURVEY', actors.enumerator).ok('START_EVALUATION', actors.evaluator);
    st.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-head', ['elderly']));
    st.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-son', [], 'full'));
    const d = st.refused('SUBMIT_EVALUATION', actors.evaluator, { conclusion: 'x' });
    expect(d.refusal === 'VIOLATIONS' && d.violations.map((v) => v.rule)).toEqual(['MEMBER_CAN_WORK']);
    expect(st.refused('RECORD_ASSESSMENT', actors.evaluator, { assessment: { ...assessment('m-son', ['serious_illness']).assessment, evidence: [] } }).refusal).toBe('VIOLATIONS');
  });
});

describe('rejection and reopening', () => {
  it('REJECT needs a reason, then a refusal notice, and REOPEN goes back to evaluation', () => {
    const st = new Story().toReview().ok('APPROVE', actors.village);
    const blank = st.refused('REJECT', actors.township, { reason: '' });
    expect(blank.refusal === 'VIOLATIONS' && blank.violations[0].rule).toBe('REASON_REQUIRED');
    st.ok('REJECT', actors.township, { reason: '家庭有稳定收入来源' });
    expect(st.state).toBe('rejected.awaitingRefusalNotice');
    expect(deadlineKey(st.s)).toBe('refusalNotice');
    expect(st.ctx.rejection).toMatchObject({ level: 'township', reason: '家庭有稳定收入来源' });

    st.ok('RECORD_REFUSAL_NOTICE', actors.officer, { noticeNumber: '苏民〔2019〕12号', servedOn: '2019-03-01' });
    expect(st.state).toBe('rejected.noticeServed');
    expect(deadlineKey(st.s)).toBeNull();

    st.ok('REOPEN', actors.officer, { reason: '申诉后重新评定' });
    expect(st.state).toBe('evaluation');
    expect(st.ctx.rejection).toBeNull();
    st.ok('SUBMIT_EVALUATION', actors.evaluator, { conclusion: '复核后符合条件' });
    expect(st.ctx.review).toMatchObject({ round: 2, levelIndex: 0, approvals: [] });
  });

  it('RETURN needs a reason and sends the case back to evaluation; the next round starts at the first level', () => {
    const st = new Story().toReview().ok('APPROVE', actors.village).ok('APPROVE', actors.township);
    st.refused('RETURN', actors.county, { reason: ' ' });
    st.ok('RETURN', actors.county, { reason: '缺少残疾证复印件' });
    expect(st.state).toBe('evaluation');
    expect(st.ctx.lastDecision).toMatchObject({ type: 'RETURN', reason: '缺少残疾证复印件' });
    st.ok('SUBMIT_EVALUATION', actors.evaluator, { conclusion: '已补充材料' });
    expect(deadlineKey(st.s)).toBe('review.village');
    st.approveAll();
    expect(st.state).toBe('publicity.open');
  });
});

describe('public notice and objections', () => {
  it('an upheld objection sends the case back to evaluation, and a new notice follows the new review', () => {
    const st = new Story().toReview().approveAll();
    st.ok('FILE_OBJECTION', actors.officer, { objectionId: 'obj-1', lodgedBy: '村民李某', channel: 'paper', content: '其子在外有收入' });
    expect(st.state).toBe('publicity.objected');
    expect(deadlineKey(st.s)).toBe('objectionResolved');
    st.clock.advanceDays(8);
    const blocked = st.refused('NOTICE_PERIOD_ENDED', actors.system);
    expect(blocked.refusal === 'VIOLATIONS' && blocked.violations.map((v) => v.rule)).toEqual(['OPEN_OBJECTION']);

    st.ok('RESOLVE_OBJECTION', actors.officer, { objectionId: 'obj-1', outcome: 'upheld', reason: '经核实，需重新评定' });
    expect(st.state).toBe('evaluation');
    const firstNotice = st.ctx.publicity!.openedAt;
    st.ok('SUBMIT_EVALUATION', actors.evaluator, { conclusion: '重新评定' });
    // Same reviewers may approve again: separation of duties is per round.
    st.approveAll();
    expect(st.state).toBe('publicity.open');
    expect(st.ctx.publicity!.round).toBe(2);
    expect(st.ctx.publicity!.openedAt > firstNotice).toBe(true);
    expect(st.ctx.publicity!.objections).toEqual([]);
  });

  it('a dismissed objection needs a reason; the case stays in notice and then closes', () => {
    const st = new Story().toReview().approveAll();
    st.ok('FILE_OBJECTION', actors.officer, { objectionId: 'obj-1', lodgedBy: '匿名', channel: 'phone', content: '疑似有车' });
    st.ok('FILE_OBJECTION', actors.officer, { objectionId: 'obj-2', lodgedBy: '王某', channel: 'in_person', content: '重复' });
    st.refused('FILE_OBJECTION', actors.officer, { objectionId: 'obj-2', lodgedBy: '王某', channel: 'in_person', content: 'again' });
    st.refused('RESOLVE_OBJECTION', actors.officer, { objectionId: 'obj-1', outcome: 'dismissed', reason: '' });
    st.ok('RESOLVE_OBJECTION', actors.officer, { objectionId: 'obj-1', outcome: 'dismissed', reason: '车辆登记在他人名下' });
    expect(st.state).toBe('publicity.objected');
    st.refused('RESOLVE_OBJECTION', actors.officer, { objectionId: 'obj-1', outcome: 'dismissed', reason: 'again' });
    st.ok('RESOLVE_OBJECTION', actors.officer, { objectionId: 'obj-2', outcome: 'dismissed', reason: '与前一异议重复' });
    expect(st.state).toBe('publicity.open');
    st.clock.advanceDays(7);
    st.refused('FILE_OBJECTION', actors.officer, { objectionId: 'obj-3', lodgedBy: '迟到', channel: 'paper', content: 'late' });
    st.ok('NOTICE_PERIOD_ENDED', actors.system);
    expect(st.state).toBe('awaitingPlacement');
  });

  it('dismissing the last objection after the period ended approves the case at once', () => {
    const st = new Story().toReview().approveAll();
    st.ok('FILE_OBJECTION', actors.officer, { objectionId: 'obj-1', lodgedBy: '张某', channel: 'paper', content: '...' });
    st.clock.advanceDays(10);
    st.ok('RESOLVE_OBJECTION', actors.officer, { objectionId: 'obj-1', outcome: 'dismissed', reason: '查无实据' });
    expect(st.state).toBe('awaitingPlacement');
    expect(st.ctx.approvedAt).not.toBeNull();
  });
});

describe('separation of duties', () => {
  it('nobody approves at two levels of the same round', () => {
    const st = new Story().toReview().ok('APPROVE', actors.village);
    const d = st.refused('APPROVE', { ...actors.village, level: 'township' });
    expect(d.refusal === 'VIOLATIONS' && d.violations[0]).toMatchObject({ rule: 'SEPARATION_OF_DUTIES', kind: 'rule' });
  });

  it('nobody approves a case they evaluated', () => {
    const st = new Story().toReview();
    const evaluatorAsReviewer = { id: actors.evaluator.id, role: 'reviewer', level: 'village' } as const;
    const d = st.refused('APPROVE', evaluatorAsReviewer);
    expect(d.refusal === 'VIOLATIONS' && d.violations.map((v) => v.rule)).toEqual(['SEPARATION_OF_DUTIES']);
    expect(allowedEventsFor(st.s, evaluatorAsReviewer, st.clock.now())).toEqual(['RETURN', 'REJECT']);
  });

  it('a reviewer at another level of the chain is refused as a state matter, another role as an authorization matter', () => {
    const st = new Story(caseInput(sunHousehold(), { ...defaultCasePolicy, reviewChain: ['village', 'township'] })).toReview();
    const d = st.refused('APPROVE', actors.township);
    expect(d.refusal === 'VIOLATIONS' && d.violations[0]).toMatchObject({ rule: 'LEVEL_REQUIRED', kind: 'state' });
    const c = st.refused('APPROVE', actors.county);
    expect(c.refusal === 'VIOLATIONS' && c.violations[0]).toMatchObject({ rule: 'LEVEL_REQUIRED', kind: 'authorization' });
    const e = st.refused('APPROVE', actors.officer);
    expect(e.refusal === 'VIOLATIONS' && e.violations[0]).toMatchObject({ rule: 'ROLE_REQUIRED', kind: 'authorization' });
  });
});

describe('configurable review chain', () => {
  it('a two-level chain (township → county) opens the notice after the county', () => {
    const st = new Story(caseInput(sunHousehold(), { ...defaultCasePolicy, reviewChain: ['township', 'county'] }));
    st.toReview();
    expect(deadlineKey(st.s)).toBe('review.township');
    st.refused('APPROVE', actors.village);
    st.ok('APPROVE', actors.township).ok('APPROVE', actors.county);
    expect(st.state).toBe('publicity.open');
  });
});

describe('placement rules', () => {
  const approved = (household = sunHousehold()) => {
    const st = new Story(caseInput(household)).toReview().approveAll();
    st.clock.advanceDays(7);
    return st.ok('NOTICE_PERIOD_ENDED', actors.system);
  };
  const rules = (d: ReturnType<Story['refused']>) => (d.refusal === 'VIOLATIONS' ? d.violations.map((v) => v.rule) : [d.refusal]);

  it('centralized support needs a care facility with a free bed and at most 5 residents per caregiver after admission', () => {
    const st = approved();
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today }))).toEqual(['FACILITY_REQUIRED']);
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility: { ...facility, occupiedBeds: 60 } }))).toContain('NO_FREE_BED');
    // The Sun household is two people. 9 residents and 2 caregivers: 11 after admission, 5.5 per caregiver.
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility: { ...facility, occupiedBeds: 9, caregivers: 2 } }))).toEqual(['CAREGIVER_RATIO']);
    // One free bed is not enough for two people.
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility: { ...facility, occupiedBeds: 59, caregivers: 20 } }))).toEqual(['NO_FREE_BED']);
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility: { ...facility, type: 'county_hospital' } }))).toEqual(['FACILITY_TYPE']);
    st.ok('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility: { ...facility, occupiedBeds: 8, caregivers: 2 } });
    expect(st.state).toBe('active.monitoring');
  });

  it('centralized treatment needs a medical facility and a serious_illness or mental_illness member', () => {
    const household = sunHousehold();
    const st = new Story(caseInput(household));
    st.ok('SUBMIT_SURVEY', actors.enumerator).ok('START_EVALUATION', actors.evaluator);
    st.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-head', ['elderly']));
    st.ok('RECORD_ASSESSMENT', actors.evaluator, assessment('m-son', [], 'partial'));
    st.ok('SUBMIT_EVALUATION', actors.evaluator, { conclusion: 'ok' }).approveAll();
    st.clock.advanceDays(7);
    st.ok('NOTICE_PERIOD_ENDED', actors.system);
    const hospital = { id: 'f-psy', name: '灵宝市精神病医院', type: 'psychiatric_hospital', beds: 100, occupiedBeds: 50, caregivers: 0, medicalStaff: 20, patientsPerMedicalStaff: 3 };
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'centralized_treatment', startDate: st.today, facility: hospital }))).toEqual(['CATEGORY_NOT_TREATABLE']);

    const sun = approved();
    expect(rules(sun.refused('PLACE', actors.officer, { mode: 'centralized_treatment', startDate: st.today, facility }))).toEqual(['FACILITY_TYPE']);
    expect(rules(sun.refused('PLACE', actors.officer, { mode: 'centralized_treatment', startDate: st.today, facility: { ...hospital, occupiedBeds: 60 } }))).toEqual(['MEDICAL_STAFF_RATIO']);
    sun.ok('PLACE', actors.officer, { mode: 'centralized_treatment', startDate: st.today, facility: hospital });
  });

  it('dispersed care needs a guardian (the legal supporter unless a reason is given) and a signed three-party agreement', () => {
    const household = { ...sunHousehold(), hasLegalSupporter: true };
    const st = approved(household);
    const agreement = { signedOn: '2019-03-11', startDate: st.today, termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } };
    const neighbour = { name: '邻居赵某', kind: 'neighbour', appointedByTownship: true };
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'dispersed_care', startDate: st.today }))).toEqual(['GUARDIAN_REQUIRED', 'AGREEMENT_REQUIRED']);
    expect(rules(st.refused('PLACE', actors.officer, { mode: 'dispersed_care', startDate: st.today, guardian: neighbour, agreement }))).toEqual(['LEGAL_SUPPORTER_EXPECTED']);
    expect(rules(st.refused('PLACE', actors.officer, {
      mode: 'dispersed_care', startDate: st.today, guardian: { name: '孙某', kind: 'legal_supporter' },
      agreement: { ...agreement, signatories: { villageCommittee: true, guardian: true, beneficiary: false } },
    }))).toEqual(['AGREEMENT_UNSIGNED']);
    expect(rules(st.refused('PLACE', actors.officer, {
      mode: 'dispersed_care', startDate: st.today, agreement,
      guardian: { ...neighbour, reasonNotLegalSupporter: '赡养人长期在外', currentWards: 3, maxWards: 3 },
    }))).toEqual(['GUARDIAN_FULL']);
    st.ok('PLACE', actors.officer, { mode: 'dispersed_care', startDate: st.today, agreement, guardian: { ...neighbour, reasonNotLegalSupporter: '赡养人长期在外' } });
    expect(st.ctx.placement?.guardian).toMatchObject({ kind: 'neighbour', reasonNotLegalSupporter: '赡养人长期在外' });
  });

  it('a revisit asking for reassessment can lead to REQUEST_REASSESSMENT and a new evaluation', () => {
    const st = approved();
    st.ok('PLACE', actors.officer, { mode: 'centralized_support', startDate: st.today, facility });
    st.clock.advanceDays(30);
    st.refused('RECORD_REVISIT', actors.visitor, revisit('2019-03-01'));
    st.ok('RECORD_REVISIT', actors.visitor, { ...revisit(st.today), reassessmentNeeded: true });
    // The revisit's request puts the case in the officers' inbox; revisits go on meanwhile.
    expect(st.state).toBe('active.reassessmentDue');
    expect(deadlineKey(st.s)).toBe('revisit');
    st.ok('REQUEST_REASSESSMENT', actors.officer, { reason: '病情加重，需转集中救治' });
    expect(st.state).toBe('evaluation');
    expect(st.ctx.placement?.mode).toBe('centralized_support');
    expect(st.ctx.approvedAt).toBeNull();
  });
});

describe('inboxes', () => {
  it('each waiting state names the role whose inbox holds it', async () => {
    const { statesWaitingOn, waitsOn } = await import('../../machines/decide.js');
    expect(statesWaitingOn('reviewer')).toEqual(['review']);
    expect(statesWaitingOn('officer').sort()).toEqual(['active.reassessmentDue', 'awaitingPlacement', 'publicity.objected', 'rejected.awaitingRefusalNotice']);
    expect(statesWaitingOn('visitor')).toEqual(['active.monitoring']);
    expect(statesWaitingOn('evaluator').sort()).toEqual(['evaluation', 'preliminary']);
    expect(statesWaitingOn('system')).toEqual([]);
    const st = new Story().toReview().approveAll();
    expect(waitsOn(st.s)).toBeNull();
  });
});
