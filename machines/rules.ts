/**
 * The rules of the case path, one function per event type, each returning the violations of an event
 * against the context (an empty list = the event may proceed). The machine's guards call these, and the
 * service calls `violations()` to tell the user which rule refused the event, so the two can never disagree.
 */
import { chinaDate } from './screening.js';
import { currentLevel, openObjections, confirmedCategories, type CaseContext } from './context.js';
import { eventRoles, levelBoundEvents, type CaseEvent, type CaseEventOf, type EventType } from './events.js';
import { careFacilityTypes, medicalFacilityTypes } from './types.js';

export interface Violation {
  /** Stable code of the rule, e.g. SEPARATION_OF_DUTIES. */
  rule: string;
  message: string;
  /**
   * `authorization`: about who sends the event (the service answers 403). `state`: the sender may act on
   * this case, but not at the step it is in now — typically a reviewer whose level was already passed by a
   * concurrent approval (409, like any stale request). `rule`: a business rule refused it (422).
   */
  kind: 'authorization' | 'state' | 'rule';
}

const rule = (code: string, message: string): Violation => ({ rule: code, message, kind: 'rule' });
const hasText = (s: unknown) => typeof s === 'string' && s.trim().length > 0;

type RuleFn<T extends EventType> = (ctx: CaseContext, e: CaseEventOf<T>) => Violation[];

const none = () => [] as Violation[];
const needsReason = (ctx: CaseContext, e: { reason?: unknown }) =>
  hasText(e.reason) ? [] : [rule('REASON_REQUIRED', 'a written reason is required')];

const byEvent: { [T in EventType]: RuleFn<T> } = {
  UPDATE_SURVEY: (_ctx, e) => {
    const ids = e.household.members.map((m) => m.id);
    return new Set(ids).size === ids.length ? [] : [rule('MEMBER_IDS_UNIQUE', 'member ids must be unique')];
  },
  SUBMIT_SURVEY: none,
  REOPEN: needsReason,
  START_EVALUATION: none,
  RECORD_ASSESSMENT: (ctx, e) => {
    const out: Violation[] = [];
    const a = e.assessment;
    if (!ctx.household.members.some((m) => m.id === a.memberId)) {
      out.push(rule('UNKNOWN_MEMBER', `member ${a.memberId} is not in this household`));
    }
    if (a.categories.length > 0 && a.evidence.length === 0) {
      out.push(rule('EVIDENCE_REQUIRED', 'confirmed categories need evidence (certificate numbers, diagnoses)'));
    }
    return out;
  },
  SUBMIT_EVALUATION: (ctx, e) => {
    const out: Violation[] = [];
    const missing = ctx.household.members.filter((m) => !ctx.evaluation.assessments[m.id]);
    if (missing.length > 0) {
      out.push(rule('ASSESSMENT_MISSING', `members not assessed: ${missing.map((m) => m.id).join(', ')}`));
    }
    const assessed = Object.values(ctx.evaluation.assessments);
    const workers = assessed.filter((a) => a.labourCapacity === 'full');
    if (workers.length > 0) {
      out.push(rule('MEMBER_CAN_WORK', `members with full labour capacity: ${workers.map((a) => a.memberId).join(', ')}`));
    }
    if (!assessed.some((a) => a.categories.length > 0)) {
      out.push(rule('NO_CATEGORY', 'no member was confirmed in any of the five categories'));
    }
    if (!hasText(e.conclusion)) out.push(rule('CONCLUSION_REQUIRED', 'a written conclusion is required'));
    return out;
  },
  APPROVE: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.evaluatorIds.includes(e.actor.id)) {
      out.push(rule('SEPARATION_OF_DUTIES', 'nobody approves a case they evaluated'));
    }
    if (ctx.review.approvals.some((a) => a.actorId === e.actor.id)) {
      out.push(rule('SEPARATION_OF_DUTIES', 'nobody approves at two levels of the same review round'));
    }
    return out;
  },
  RETURN: needsReason,
  REJECT: needsReason,
  RECORD_REFUSAL_NOTICE: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.rejection && e.servedOn < chinaDate(ctx.rejection.at)) {
      out.push(rule('NOTICE_BEFORE_REJECTION', 'the refusal notice cannot be served before the rejection'));
    }
    if (e.servedOn > chinaDate(e.at)) out.push(rule('DATE_IN_FUTURE', 'servedOn is in the future'));
    return out;
  },
  FILE_OBJECTION: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.publicity?.objections.some((o) => o.id === e.objectionId)) {
      out.push(rule('OBJECTION_ID_TAKEN', `objection ${e.objectionId} is already recorded`));
    }
    if (ctx.publicity && Date.parse(e.at) >= Date.parse(ctx.publicity.endsAt)) {
      out.push(rule('NOTICE_PERIOD_OVER', `the public notice ended at ${ctx.publicity.endsAt}`));
    }
    return out;
  },
  RESOLVE_OBJECTION: (ctx, e) => {
    const out = needsReason(ctx, e);
    if (!openObjections(ctx).some((o) => o.id === e.objectionId)) {
      out.push(rule('OBJECTION_NOT_OPEN', `no open objection ${e.objectionId}`));
    }
    return out;
  },
  NOTICE_PERIOD_ENDED: (ctx, e) => {
    const endsAt = ctx.exit?.endsAt ?? ctx.publicity?.endsAt;
    const out: Violation[] = [];
    if (!endsAt || Date.parse(e.at) < Date.parse(endsAt)) {
      out.push(rule('NOTICE_PERIOD_RUNNING', `the notice period runs until ${endsAt}`));
    }
    if (!ctx.exit && openObjections(ctx).length > 0) {
      out.push(rule('OPEN_OBJECTION', 'an open objection blocks approval until it is resolved'));
    }
    return out;
  },
  PLACE: placementViolations,
  RECORD_REVISIT: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.placement && e.date < ctx.placement.startDate) {
      out.push(rule('REVISIT_BEFORE_PLACEMENT', `the placement started on ${ctx.placement.startDate}`));
    }
    if (e.date > chinaDate(e.at)) out.push(rule('DATE_IN_FUTURE', 'a revisit cannot be dated in the future'));
    return out;
  },
  REQUEST_REASSESSMENT: needsReason,
  EXIT: (_ctx, e) => {
    const out: Violation[] = [];
    if (e.reason === 'other' && !hasText(e.text)) out.push(rule('EXIT_TEXT_REQUIRED', "exit reason 'other' needs a text"));
    if (e.date > chinaDate(e.at)) out.push(rule('DATE_IN_FUTURE', 'the exit date is in the future'));
    return out;
  },
  CANCEL_EXIT: needsReason,
};

function placementViolations(ctx: CaseContext, e: CaseEventOf<'PLACE'>): Violation[] {
  const out: Violation[] = [];
  const f = e.facility;
  if (e.mode === 'dispersed_care') {
    if (f) out.push(rule('UNEXPECTED_FACILITY', 'dispersed care has a guardian, not a facility'));
    const g = e.guardian;
    if (!g) {
      out.push(rule('GUARDIAN_REQUIRED', 'dispersed care needs a guardian'));
    } else {
      if (ctx.household.hasLegalSupporter && g.kind !== 'legal_supporter' && !hasText(g.reasonNotLegalSupporter)) {
        out.push(rule('LEGAL_SUPPORTER_EXPECTED', 'the household has a legal supporter: name them, or give a written reason'));
      }
      if (!ctx.household.hasLegalSupporter && g.kind === 'legal_supporter') {
        out.push(rule('NO_LEGAL_SUPPORTER', 'the household has no legal supporter on record'));
      }
      if (g.kind !== 'legal_supporter' && !g.appointedByTownship) {
        out.push(rule('TOWNSHIP_APPOINTMENT_REQUIRED', 'a guardian other than the legal supporter is appointed by the township'));
      }
      if (g.maxWards != null && g.currentWards + 1 > g.maxWards) {
        out.push(rule('GUARDIAN_FULL', `the guardian already has ${g.currentWards} of at most ${g.maxWards} wards`));
      }
    }
    const a = e.agreement;
    if (!a) {
      out.push(rule('AGREEMENT_REQUIRED', 'dispersed care needs a signed three-party care agreement'));
    } else if (!a.signatories.villageCommittee || !a.signatories.guardian || !a.signatories.beneficiary) {
      out.push(rule('AGREEMENT_UNSIGNED', 'the agreement needs the village committee, the guardian and the beneficiary'));
    }
    return out;
  }

  if (e.guardian || e.agreement) out.push(rule('UNEXPECTED_GUARDIAN', 'centralized modes take a facility, not a guardian'));
  if (!f) return [...out, rule('FACILITY_REQUIRED', `${e.mode} needs a facility`)];
  // The whole household moves in: Sun and his son take two beds and count as two residents.
  const arriving = ctx.household.members.length;
  const after = f.occupiedBeds + arriving;
  if (after > f.beds) {
    out.push(rule('NO_FREE_BED', `${f.name} has ${Math.max(0, f.beds - f.occupiedBeds)} free bed(s) for ${arriving} person(s)`));
  }

  if (e.mode === 'centralized_support') {
    if (!(careFacilityTypes as readonly string[]).includes(f.type)) {
      out.push(rule('FACILITY_TYPE', `centralized support is in a care facility (${careFacilityTypes.join(', ')})`));
    }
    const max = ctx.policy.maxResidentsPerCaregiver;
    if (after > f.caregivers * max) {
      out.push(rule('CAREGIVER_RATIO', `after admission ${f.name} would have more than ${max} residents per caregiver (${after} residents, ${f.caregivers} caregivers)`));
    }
  } else {
    if (!(medicalFacilityTypes as readonly string[]).includes(f.type)) {
      out.push(rule('FACILITY_TYPE', `centralized treatment is in a medical facility (${medicalFacilityTypes.join(', ')})`));
    }
    const cats = confirmedCategories(ctx);
    if (!cats.has('serious_illness') && !cats.has('mental_illness')) {
      out.push(rule('CATEGORY_NOT_TREATABLE', 'centralized treatment is for serious_illness or mental_illness'));
    }
    if (f.patientsPerMedicalStaff != null && after > f.medicalStaff * f.patientsPerMedicalStaff) {
      out.push(rule('MEDICAL_STAFF_RATIO', `${f.name} would exceed ${f.patientsPerMedicalStaff} patients per medical staff`));
    }
  }
  return out;
}

/** Who may send the event: the role the step asks for and, for review decisions, the current level. */
export function authorizationViolations(ctx: CaseContext, e: CaseEvent): Violation[] {
  const allowed = eventRoles[e.type];
  if (!allowed.includes(e.actor.role)) {
    return [{ rule: 'ROLE_REQUIRED', message: `${e.type} is sent by role ${allowed.join(' or ')}`, kind: 'authorization' }];
  }
  if (levelBoundEvents.includes(e.type)) {
    const level = currentLevel(ctx);
    if (e.actor.level !== level) {
      const inChain = e.actor.level != null && ctx.policy.reviewChain.includes(e.actor.level);
      return [{ rule: 'LEVEL_REQUIRED', message: `the case is at ${level} review`, kind: inChain ? 'state' : 'authorization' }];
    }
  }
  return [];
}

/** All violations of an event against the context, authorization first. */
export function violations(ctx: CaseContext, e: CaseEvent): Violation[] {
  const auth = authorizationViolations(ctx, e);
  if (auth.length > 0) return auth;
  return (byEvent[e.type] as RuleFn<EventType>)(ctx, e as never);
}

export const allowedBy = (ctx: CaseContext, e: CaseEvent) => violations(ctx, e).length === 0;
