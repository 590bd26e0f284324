// Onboarding (存量纳入, machine version 2): a household approved and placed under the old paper process enters
// the case path at its opening, straight into active or awaitingPlacement — and then lives as any placed case.
import { describe, expect, it } from 'vitest';
import { allowedEventsFor, deadlineKey, decide, fromPersisted, handledEvents, startCase, stateName, toPersisted, type CaseSnapshot } from '../../machines/decide.js';
import { eventTypes, type CaseEvent } from '../../machines/events.js';
import { renderMermaid } from '../../machines/diagram.js';
import { caseMachine } from '../../machines/caseMachine.js';
import type { Actor } from '../../machines/types.js';
import { actors, assessment, caseInput, ev } from '../helpers/caseFixtures.js';

const officer = actors.officer;
const admin: Actor = { id: 'u-admin-1', role: 'admin' };
const OPENED = '2026-03-02T01:00:00Z';
const SHA = 'a'.repeat(64);
/** 苏村社区集中安置点: the article's resettlement site; figures illustrative. */
const site = { id: 'f-sucun', name: '苏村社区集中安置点', type: 'resettlement_site', beds: 60, occupiedBeds: 20, caregivers: 5, medicalStaff: 0, patientsPerMedicalStaff: null } as const;
const sunCategories = [{ memberId: 'm-head', categories: ['elderly'] }, { memberId: 'm-son', categories: ['serious_illness'] }];

/** A case opened by `by` at OPENED, as the engine opens one to onboard it. */
const opened = (by: Actor = officer): CaseSnapshot => startCase({ ...caseInput(), createdBy: by.id, createdAt: OPENED });

function onboard(payload: Record<string, unknown> = {}, by: Actor = officer, at = OPENED): CaseEvent {
  return ev('ONBOARD', by, at, {
    approvedOn: '2019-06-10',
    legacyReference: '灵民〔2019〕37号',
    categories: sunCategories,
    placement: { mode: 'centralized_support', startDate: '2019-07-01', facility: site },
    lastRevisitDate: '2026-01-15',
    provenance: { source: 'import', fileSha256: SHA, jobId: 'job-1' },
    ...payload,
  } as never);
}

function accept(s: CaseSnapshot, e: CaseEvent): CaseSnapshot {
  const d = decide(s, e);
  if (!d.ok) throw new Error(JSON.stringify(d));
  return fromPersisted(toPersisted(d.snapshot));
}

function refusedRules(s: CaseSnapshot, e: CaseEvent): string[] {
  const d = decide(s, e);
  expect(d.ok).toBe(false);
  return d.ok ? [] : d.refusal === 'VIOLATIONS' ? d.violations.map((v) => v.rule) : [d.refusal];
}

describe('ONBOARD: the Sun household, placed at the 苏村社区 resettlement site in 2019', () => {
  it('enters active.monitoring at once, with the legacy approval, placement, last revisit and provenance', () => {
    const s = accept(opened(), onboard());
    expect(stateName(s)).toBe('active.monitoring');
    expect(deadlineKey(s)).toBe('revisit');
    expect(s.context.onboarding).toEqual({
      approvedOn: '2019-06-10', legacyReference: '灵民〔2019〕37号',
      categories: { 'm-head': ['elderly'], 'm-son': ['serious_illness'] },
      source: 'import', fileSha256: SHA, jobId: 'job-1', importedBy: officer.id, importedAt: OPENED,
    });
    expect(s.context.approvedAt).toBe('2019-06-09T16:00:00.000Z'); // the start of 2019-06-10 in China
    expect(s.context.placement).toMatchObject({ mode: 'centralized_support', startDate: '2019-07-01', placedBy: officer.id, facility: { id: 'f-sucun', type: 'resettlement_site' } });
    expect(s.context.revisits).toEqual({ count: 0, lastDate: '2026-01-15' });
    // Never a pretended walk: no survey submission, no evaluation, no review approvals, no notice.
    expect(s.context.survey.submittedAt).toBeNull();
    expect(s.context.evaluation.submittedAt).toBeNull();
    expect(s.context.review.approvals).toEqual([]);
    expect(s.context.publicity).toBeNull();
    expect(s.context.applicationSubmittedAt).toBeNull();
  });

  it('then lives as any placed case: revisits, a revisit asking reassessment, re-evaluation, exit', () => {
    let s = accept(opened(), onboard());
    expect(allowedEventsFor(s, actors.visitor, '2026-03-02T02:00:00Z')).toEqual(['RECORD_REVISIT']);
    expect(allowedEventsFor(s, officer, '2026-03-02T02:00:00Z')).not.toContain('ONBOARD');
    const visit = (date: string, reassessmentNeeded = false) => ev('RECORD_REVISIT', actors.visitor, `${date}T02:00:00Z`, { date, livingConditions: '住房整洁', health: '稳定', problems: '', reassessmentNeeded });
    s = accept(s, visit('2026-04-10'));
    expect(s.context.revisits).toEqual({ count: 1, lastDate: '2026-04-10' });
    s = accept(s, visit('2026-07-10', true));
    expect(stateName(s)).toBe('active.reassessmentDue');
    s = accept(s, ev('REQUEST_REASSESSMENT', officer, '2026-07-11T02:00:00Z', { reason: '儿子病情好转，需重新评定' }));
    expect(stateName(s)).toBe('evaluation');
    // The evaluator's assessment, once recorded, is what counts; the legacy categories stay on record.
    s = accept(s, ev('RECORD_ASSESSMENT', actors.evaluator, '2026-07-12T02:00:00Z', assessment('m-head', ['elderly']) as never));
    expect(s.context.onboarding?.legacyReference).toBe('灵民〔2019〕37号');
  });

  it('exits like any placed case (deceased skips the notice; otherwise a 7-day exit notice)', () => {
    const s = accept(opened(), onboard());
    const dead = accept(s, ev('EXIT', officer, '2026-03-05T02:00:00Z', { reason: 'deceased', date: '2026-03-04' }));
    expect(stateName(dead)).toBe('exited');
    expect(dead.status).toBe('done');
    const moved = accept(s, ev('EXIT', officer, '2026-03-05T02:00:00Z', { reason: 'moved_away', date: '2026-03-04' }));
    expect(stateName(moved)).toBe('exitNotice');
  });

  it('without a placement enters awaitingPlacement, and PLACE places it with the legacy categories as confirmed', () => {
    let s = accept(opened(), onboard({ placement: null, lastRevisitDate: null }));
    expect(stateName(s)).toBe('awaitingPlacement');
    expect(deadlineKey(s)).toBe('placement');
    expect(s.context.placement).toBeNull();
    // Centralized treatment needs serious_illness or mental_illness: the legacy approval recognised the son's.
    const hospital = { id: 'f-psy', name: '灵宝市精神病医院', type: 'psychiatric_hospital', beds: 100, occupiedBeds: 10, caregivers: 10, medicalStaff: 10, patientsPerMedicalStaff: 8 };
    s = accept(s, ev('PLACE', officer, '2026-03-03T02:00:00Z', { mode: 'centralized_treatment', startDate: '2026-03-03', facility: hospital as never }));
    expect(stateName(s)).toBe('active.monitoring');
  });

  it('dispersed care onboards with its guardian and three-party agreement', () => {
    const s = accept(opened(), onboard({
      placement: {
        mode: 'dispersed_care', startDate: '2020-01-01',
        guardian: { id: 'g-1', name: '孙建国', kind: 'neighbour', appointedByTownship: true, currentWards: 0, maxWards: 3 },
        agreement: { signedOn: '2019-12-28', startDate: '2020-01-01', termMonths: 120, signatories: { villageCommittee: true, guardian: true, beneficiary: true } },
      },
    }));
    expect(stateName(s)).toBe('active.monitoring');
    expect(s.context.placement).toMatchObject({ mode: 'dispersed_care', guardian: { name: '孙建国', kind: 'neighbour' }, agreement: { termMonths: 120 } });
  });

  it('an admin may onboard; enumerators, visitors, reviewers and supervisors may not', () => {
    expect(stateName(accept(opened(admin), onboard({}, admin)))).toBe('active.monitoring');
    for (const who of [actors.enumerator, actors.visitor, actors.county, actors.supervisor] as Actor[]) {
      const d = decide(opened(who), onboard({}, who));
      expect(d.ok).toBe(false);
      if (!d.ok && d.refusal === 'VIOLATIONS') expect(d.violations[0]).toMatchObject({ rule: 'ROLE_REQUIRED', kind: 'authorization' });
    }
  });
});

describe('ONBOARD refused', () => {
  it('on an existing case: only as the opening itself (another instant, another person, a submitted survey)', () => {
    expect(refusedRules(opened(), onboard({}, officer, '2026-03-02T01:00:01Z'))).toContain('ONBOARD_AT_OPENING');
    expect(refusedRules(opened(), onboard({}, { id: 'u-officer-2', role: 'officer' }))).toContain('ONBOARD_AT_OPENING');
    const submitted = accept(startCase(caseInput()), ev('SUBMIT_SURVEY', actors.enumerator, '2019-03-01T02:00:00Z'));
    expect(refusedRules(submitted, onboard())).toEqual(['EVENT_NOT_ALLOWED']);
  });

  it('in any state but survey, and it is never offered as a next step', () => {
    const s = accept(opened(), onboard());
    expect(refusedRules(s, onboard())).toEqual(['EVENT_NOT_ALLOWED']);
    expect(handledEvents(opened())).not.toContain('ONBOARD');
    expect(eventTypes).not.toContain('ONBOARD');
    expect(allowedEventsFor(opened(), officer, OPENED)).not.toContain('ONBOARD');
  });

  it('past the site ratio: more than 5 residents per caregiver after admission (and no free bed)', () => {
    const full = { ...site, occupiedBeds: 24, caregivers: 5 }; // 24 + 2 = 26 > 25
    expect(refusedRules(opened(), onboard({ placement: { mode: 'centralized_support', startDate: '2019-07-01', facility: full } }))).toEqual(['CAREGIVER_RATIO']);
    const noBed = { ...site, beds: 21 };
    expect(refusedRules(opened(), onboard({ placement: { mode: 'centralized_support', startDate: '2019-07-01', facility: noBed } }))).toContain('NO_FREE_BED');
  });

  it('with dates out of order or in the future, unknown members, no category, or a member who can work', () => {
    expect(refusedRules(opened(), onboard({ approvedOn: '2026-03-03' }))).toContain('DATE_IN_FUTURE');
    expect(refusedRules(opened(), onboard({ placement: { mode: 'centralized_support', startDate: '2019-06-01', facility: site } }))).toContain('PLACEMENT_BEFORE_APPROVAL');
    expect(refusedRules(opened(), onboard({ lastRevisitDate: '2019-06-20' }))).toContain('REVISIT_BEFORE_PLACEMENT');
    expect(refusedRules(opened(), onboard({ placement: null }))).toContain('REVISIT_WITHOUT_PLACEMENT');
    expect(refusedRules(opened(), onboard({ categories: [{ memberId: 'm-nobody', categories: ['elderly'] }] }))).toContain('UNKNOWN_MEMBER');
    expect(refusedRules(opened(), onboard({ categories: [] }))).toContain('NO_CATEGORY');
    const input = caseInput();
    input.household.members[1].labourCapacity = 'full';
    const s = startCase({ ...input, createdBy: officer.id, createdAt: OPENED });
    expect(refusedRules(s, onboard())).toContain('MEMBER_CAN_WORK');
  });

  it('dispersed care without a signed agreement, or a guardian not appointed by the township', () => {
    const rules = refusedRules(opened(), onboard({
      placement: { mode: 'dispersed_care', startDate: '2020-01-01', guardian: { name: '孙建国', kind: 'neighbour', appointedByTownship: false, currentWards: 0, maxWards: 3 } },
    }));
    expect(rules).toEqual(expect.arrayContaining(['TOWNSHIP_APPOINTMENT_REQUIRED', 'AGREEMENT_REQUIRED']));
  });
});

describe('the diagram', () => {
  it('shows the onboarding entries from survey', () => {
    const m = renderMermaid(caseMachine);
    expect(m).toContain('survey --> active: ONBOARD [allowed ∧ onboardedWithPlacement]');
    expect(m).toContain('survey --> awaitingPlacement: ONBOARD [allowed]');
  });
});
