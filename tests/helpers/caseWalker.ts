/**
 * A walker over the case machine's definition: from a start snapshot it tries, in every state it reaches,
 * a valid example of every event type (built from the context so the rules can pass), breadth-first.
 * Tests use it to prove every state reachable and to probe every state with every event.
 */
import { addDays, currentLevel, openObjections } from '../../machines/context.js';
import { decide, stateName, type CaseSnapshot } from '../../machines/decide.js';
import type { CaseEvent } from '../../machines/events.js';
import type { Actor } from '../../machines/types.js';
import { actors } from './caseFixtures.js';

const later = (at: string, hours = 1) => new Date(Date.parse(at) + hours * 3600_000).toISOString();
const day = (at: string) => at.slice(0, 10);

/** Valid example events for the snapshot: one or more per event type, at or after `at`. */
export function exampleEvents(s: CaseSnapshot, at: string): CaseEvent[] {
  const c = s.context;
  const t = later(at);
  const level = currentLevel(c);
  const reviewer: Actor = { id: `rev-${level}-${c.review.round}`, role: 'reviewer', level };
  const e = (type: string, actor: Actor, payload: object = {}, when = t) => ({ type, actor, at: when, ...payload }) as CaseEvent;
  const unassessed = c.household.members.find((m) => !c.evaluation.assessments[m.id]);
  const guess = c.screening?.members.find((m) => m.memberId === unassessed?.id)?.categories ?? ['elderly'];
  const open = openObjections(c)[0];
  const facility = (type: string) => ({ id: `f-${type}`, name: type, type, beds: 10, occupiedBeds: 1, caregivers: 2, medicalStaff: 2, patientsPerMedicalStaff: null });
  const agreement = { signedOn: day(t), startDate: day(t), termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } };
  const noticeEnd = c.exit?.endsAt ?? c.publicity?.endsAt ?? t;
  return [
    e('UPDATE_SURVEY', actors.enumerator, { household: c.household }),
    e('SUBMIT_SURVEY', actors.enumerator),
    e('REOPEN', actors.officer, { reason: 'new facts' }),
    e('START_EVALUATION', actors.evaluator),
    e('RECORD_ASSESSMENT', actors.evaluator, {
      assessment: { memberId: unassessed?.id ?? c.household.members[0].id, categories: guess, labourCapacity: 'none', selfCare: null, evidence: ['cert'] },
    }),
    e('SUBMIT_EVALUATION', actors.evaluator, { conclusion: 'eligible' }),
    e('APPROVE', reviewer),
    e('RETURN', reviewer, { reason: 'incomplete' }),
    e('REJECT', reviewer, { reason: 'not eligible' }),
    e('RECORD_REFUSAL_NOTICE', actors.officer, { noticeNumber: 'N-1', servedOn: day(t) }),
    e('FILE_OBJECTION', actors.officer, { objectionId: `o-${c.publicity?.objections.length ?? 0}`, lodgedBy: '村民', channel: 'paper', content: 'doubt' }),
    e('RESOLVE_OBJECTION', actors.officer, { objectionId: open?.id ?? 'o-0', outcome: 'upheld', reason: 'facts confirmed' }),
    e('RESOLVE_OBJECTION', actors.officer, { objectionId: open?.id ?? 'o-0', outcome: 'dismissed', reason: 'no basis' }),
    e('RESOLVE_OBJECTION', actors.officer, { objectionId: open?.id ?? 'o-0', outcome: 'dismissed', reason: 'no basis' }, addDays(noticeEnd, 1)),
    e('NOTICE_PERIOD_ENDED', actors.system, {}, Date.parse(noticeEnd) > Date.parse(t) ? noticeEnd : t),
    e('PLACE', actors.officer, { mode: 'centralized_support', startDate: day(t), facility: facility('nursing_home') }),
    e('PLACE', actors.officer, {
      mode: 'dispersed_care', startDate: day(t), agreement,
      guardian: c.household.hasLegalSupporter
        ? { name: '孙某', kind: 'legal_supporter', appointedByTownship: false, currentWards: 0, maxWards: null }
        : { name: '邻居', kind: 'neighbour', appointedByTownship: true, currentWards: 0, maxWards: null },
    }),
    e('RECORD_REVISIT', actors.visitor, { date: day(t), livingConditions: 'ok', health: 'ok', problems: '', reassessmentNeeded: false }),
    e('RECORD_REVISIT', actors.visitor, { date: day(t), livingConditions: 'ok', health: 'worse', problems: 'needs care', reassessmentNeeded: true }),
    e('REQUEST_REASSESSMENT', actors.officer, { reason: 'health changed' }),
    e('EXIT', actors.officer, { reason: 'moved_away', date: day(t) }),
    e('EXIT', actors.officer, { reason: 'deceased', date: day(t) }),
    e('CANCEL_EXIT', actors.officer, { reason: 'moved back' }),
  ];
}

/** Distinguishes snapshots enough for the walk to make progress through self-loops. */
function key(s: CaseSnapshot): string {
  const c = s.context;
  return [stateName(s), Object.keys(c.evaluation.assessments).length, c.review.levelIndex, Math.min(openObjections(c).length, 2)].join('|');
}

export interface Reached {
  snapshot: CaseSnapshot;
  at: string;
  path: string[];
}

/** Breadth-first walk; returns one (shortest) reached snapshot per key. */
export function walk(starts: CaseSnapshot[], startAt: string, maxDepth = 40): Map<string, Reached> {
  const seen = new Map<string, Reached>();
  let frontier: Reached[] = starts.map((snapshot) => ({ snapshot, at: startAt, path: [] }));
  for (const r of frontier) seen.set(key(r.snapshot), r);
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
    const next: Reached[] = [];
    for (const r of frontier) {
      for (const event of exampleEvents(r.snapshot, r.at)) {
        const d = decide(r.snapshot, event);
        if (!d.ok) continue;
        const k = key(d.snapshot);
        if (seen.has(k)) continue;
        const reached = { snapshot: d.snapshot, at: event.at, path: [...r.path, event.type] };
        seen.set(k, reached);
        next.push(reached);
      }
    }
    frontier = next;
  }
  return seen;
}
