/**
 * The rules of the case path, one function per event type, each returning the violations of an event
 * against the context (an empty list = the event may proceed). The machine's guards call these, and the
 * service calls `violations()` to tell the user which rule refused the event, so the two can never disagree.
 */
import { chinaDate } from './screening.js';
import { currentLevel, openObjections, confirmedCategories, type CaseContext } from './context.js';
import { eventRoles, levelBoundEvents, type CaseEvent, type CaseEventOf, type EventType } from './events.js';
import { careFacilityTypes, medicalFacilityTypes } from './types.js';
import { eventLabels, facilityTypeLabels, levelLabels, placementModeLabels, roleLabels, labelOf } from './labels.js';

export interface Violation {
  /** Stable code of the rule, e.g. SEPARATION_OF_DUTIES. */
  rule: string;
  message: string;
  /** The same in Simplified Chinese (zh-CN), for users of the console and clients asking for zh. */
  messageZh: string;
  /**
   * `authorization`: about who sends the event (the service answers 403). `state`: the sender may act on
   * this case, but not at the step it is in now — typically a reviewer whose level was already passed by a
   * concurrent approval (409, like any stale request). `rule`: a business rule refused it (422).
   */
  kind: 'authorization' | 'state' | 'rule';
}

/** A broken rule: its code, and what it says in English and in Chinese (both addressed to the person acting). */
const rule = (code: string, message: string, messageZh: string): Violation => ({ rule: code, message, messageZh, kind: 'rule' });
/** Ids in a Chinese sentence: joined with the enumeration comma. */
const zhList = (items: readonly string[]) => items.join('、');
const hasText = (s: unknown) => typeof s === 'string' && s.trim().length > 0;

type RuleFn<T extends EventType> = (ctx: CaseContext, e: CaseEventOf<T>) => Violation[];

const none = () => [] as Violation[];
const needsReason = (ctx: CaseContext, e: { reason?: unknown }) =>
  hasText(e.reason) ? [] : [rule('REASON_REQUIRED', 'a written reason is required', '请填写书面理由')];

const byEvent: { [T in EventType]: RuleFn<T> } = {
  UPDATE_SURVEY: (_ctx, e) => {
    const ids = e.household.members.map((m) => m.id);
    return new Set(ids).size === ids.length ? [] : [rule('MEMBER_IDS_UNIQUE', 'member ids must be unique', '家庭成员编号不能重复')];
  },
  SUBMIT_SURVEY: none,
  REOPEN: needsReason,
  START_EVALUATION: none,
  RECORD_ASSESSMENT: (ctx, e) => {
    const out: Violation[] = [];
    const a = e.assessment;
    if (!ctx.household.members.some((m) => m.id === a.memberId)) {
      out.push(rule('UNKNOWN_MEMBER', `member ${a.memberId} is not in this household`, `成员 ${a.memberId} 不是本户家庭成员`));
    }
    if (a.categories.length > 0 && a.evidence.length === 0) {
      out.push(rule('EVIDENCE_REQUIRED', 'confirmed categories need evidence (certificate numbers, diagnoses)', '认定类别须附佐证材料（如证件编号、诊断证明）'));
    }
    return out;
  },
  SUBMIT_EVALUATION: (ctx, e) => {
    const out: Violation[] = [];
    const missing = ctx.household.members.filter((m) => !ctx.evaluation.assessments[m.id]);
    if (missing.length > 0) {
      out.push(rule('ASSESSMENT_MISSING', `members not assessed: ${missing.map((m) => m.id).join(', ')}`, `以下成员尚未评定：${zhList(missing.map((m) => m.id))}`));
    }
    const assessed = Object.values(ctx.evaluation.assessments);
    const workers = assessed.filter((a) => a.labourCapacity === 'full');
    if (workers.length > 0) {
      out.push(rule('MEMBER_CAN_WORK', `members with full labour capacity: ${workers.map((a) => a.memberId).join(', ')}`, `以下成员有劳动能力：${zhList(workers.map((a) => a.memberId))}`));
    }
    if (!assessed.some((a) => a.categories.length > 0)) {
      out.push(rule('NO_CATEGORY', 'no member was confirmed in any of the five categories', '没有成员被认定为五类对象中的任何一类'));
    }
    if (!hasText(e.conclusion)) out.push(rule('CONCLUSION_REQUIRED', 'a written conclusion is required', '请填写书面评定结论'));
    return out;
  },
  APPROVE: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.evaluatorIds.includes(e.actor.id)) {
      out.push(rule('SEPARATION_OF_DUTIES', 'nobody approves a case they evaluated', '参与评定的人员不能审核同一案件'));
    }
    if (ctx.review.approvals.some((a) => a.actorId === e.actor.id)) {
      out.push(rule('SEPARATION_OF_DUTIES', 'nobody approves at two levels of the same review round', '同一轮审核中，同一人不能在两个层级审核通过'));
    }
    return out;
  },
  RETURN: needsReason,
  REJECT: needsReason,
  RECORD_REFUSAL_NOTICE: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.rejection && e.servedOn < chinaDate(ctx.rejection.at)) {
      out.push(rule('NOTICE_BEFORE_REJECTION', 'the refusal notice cannot be served before the rejection', '不予认定通知的送达日期不能早于不予认定的日期'));
    }
    if (e.servedOn > chinaDate(e.at)) out.push(rule('DATE_IN_FUTURE', 'servedOn is in the future', '送达日期不能晚于今天'));
    return out;
  },
  FILE_OBJECTION: (ctx, e) => {
    const out: Violation[] = [];
    // "Lodged online" must be true: only the public page (actor `public`) files online, and it files nothing else.
    if (e.actor.role === 'public' && e.channel !== 'online') {
      out.push(rule('ONLINE_CHANNEL_ONLY', 'an objection lodged through the public page has channel online', '通过公示查询页面提交的异议，方式只能是网上提交'));
    }
    if (e.actor.role !== 'public' && e.channel === 'online') {
      out.push(rule('ONLINE_CHANNEL_PUBLIC', 'channel online is for objections lodged through the public page; record paper, in-person or phone ones', '“网上提交”的异议只能由群众通过公示查询页面提交；工作人员请登记书面、当面或电话异议'));
    }
    if (ctx.publicity?.objections.some((o) => o.id === e.objectionId)) {
      out.push(rule('OBJECTION_ID_TAKEN', `objection ${e.objectionId} is already recorded`, `异议 ${e.objectionId} 已登记`));
    }
    if (ctx.publicity && Date.parse(e.at) >= Date.parse(ctx.publicity.endsAt)) {
      out.push(rule('NOTICE_PERIOD_OVER', `the public notice ended at ${ctx.publicity.endsAt}`, `公示期已于 ${ctx.publicity.endsAt} 结束`));
    }
    return out;
  },
  RESOLVE_OBJECTION: (ctx, e) => {
    const out = needsReason(ctx, e);
    if (!openObjections(ctx).some((o) => o.id === e.objectionId)) {
      out.push(rule('OBJECTION_NOT_OPEN', `no open objection ${e.objectionId}`, `没有待处理的异议 ${e.objectionId}`));
    }
    return out;
  },
  NOTICE_PERIOD_ENDED: (ctx, e) => {
    const endsAt = ctx.exit?.endsAt ?? ctx.publicity?.endsAt;
    const out: Violation[] = [];
    if (!endsAt || Date.parse(e.at) < Date.parse(endsAt)) {
      out.push(rule('NOTICE_PERIOD_RUNNING', `the notice period runs until ${endsAt}`, endsAt ? `公示期至 ${endsAt} 结束，尚未期满` : '公示期尚未开始'));
    }
    if (!ctx.exit && openObjections(ctx).length > 0) {
      out.push(rule('OPEN_OBJECTION', 'an open objection blocks approval until it is resolved', '尚有未处理的异议，处理完毕后方可认定'));
    }
    return out;
  },
  PLACE: placementViolations,
  RECORD_REVISIT: (ctx, e) => {
    const out: Violation[] = [];
    if (ctx.placement && e.date < ctx.placement.startDate) {
      out.push(rule('REVISIT_BEFORE_PLACEMENT', `the placement started on ${ctx.placement.startDate}`, `回访日期不能早于安置开始日期 ${ctx.placement.startDate}`));
    }
    if (e.date > chinaDate(e.at)) out.push(rule('DATE_IN_FUTURE', 'a revisit cannot be dated in the future', '回访日期不能晚于今天'));
    return out;
  },
  REQUEST_REASSESSMENT: needsReason,
  EXIT: (_ctx, e) => {
    const out: Violation[] = [];
    if (e.reason === 'other' && !hasText(e.text)) out.push(rule('EXIT_TEXT_REQUIRED', "exit reason 'other' needs a text", '退出原因为“其他”时，请填写具体说明'));
    if (e.date > chinaDate(e.at)) out.push(rule('DATE_IN_FUTURE', 'the exit date is in the future', '退出日期不能晚于今天'));
    return out;
  },
  CANCEL_EXIT: needsReason,
  ONBOARD: onboardingViolations,
};

/**
 * Onboarding: only as the case's genesis (the instant and the person that opened it, nothing done since), dates
 * in order and not in the future, categories of this household's members, and — when placed — every rule PLACE
 * applies (beds, five residents per caregiver, guardian, agreement), with the legacy categories as confirmed.
 */
function onboardingViolations(ctx: CaseContext, e: CaseEventOf<'ONBOARD'>): Violation[] {
  const out: Violation[] = [];
  if (ctx.survey.submittedAt !== null || e.at !== ctx.survey.createdAt || e.actor.id !== ctx.survey.createdBy || ctx.onboarding) {
    out.push(rule('ONBOARD_AT_OPENING', 'onboarding is how a case opens; an existing case cannot be onboarded', '存量纳入只能在建立案件时进行，已有案件不能再纳入'));
  }
  const today = chinaDate(e.at);
  if (e.approvedOn > today) out.push(rule('DATE_IN_FUTURE', 'the legacy approval date is in the future', '原审批日期不能晚于今天'));
  const ids = new Set(ctx.household.members.map((m) => m.id));
  const unknown = e.categories.filter((c) => !ids.has(c.memberId)).map((c) => c.memberId);
  if (unknown.length > 0) out.push(rule('UNKNOWN_MEMBER', `not members of this household: ${unknown.join(', ')}`, `以下成员不是本户家庭成员：${zhList(unknown)}`));
  if (!e.categories.some((c) => c.categories.length > 0)) {
    out.push(rule('NO_CATEGORY', 'no member is in any of the five categories', '没有成员属于五类对象中的任何一类'));
  }
  const workers = ctx.household.members.filter((m) => m.labourCapacity === 'full').map((m) => m.id);
  if (workers.length > 0) out.push(rule('MEMBER_CAN_WORK', `members with full labour capacity: ${workers.join(', ')}`, `以下成员有劳动能力：${zhList(workers)}`));
  const p = e.placement;
  if (!p) {
    if (e.lastRevisitDate) out.push(rule('REVISIT_WITHOUT_PLACEMENT', 'a revisit needs a placement', '未安置的对象不能有回访记录'));
    return out;
  }
  if (p.startDate < e.approvedOn) out.push(rule('PLACEMENT_BEFORE_APPROVAL', `the placement cannot start before the approval of ${e.approvedOn}`, `安置开始日期不能早于原审批日期 ${e.approvedOn}`));
  if (p.startDate > today) out.push(rule('DATE_IN_FUTURE', 'the placement start date is in the future', '安置开始日期不能晚于今天'));
  if (e.lastRevisitDate && e.lastRevisitDate < p.startDate) {
    out.push(rule('REVISIT_BEFORE_PLACEMENT', `the placement started on ${p.startDate}`, `回访日期不能早于安置开始日期 ${p.startDate}`));
  }
  if (e.lastRevisitDate && e.lastRevisitDate > today) out.push(rule('DATE_IN_FUTURE', 'a revisit cannot be dated in the future', '回访日期不能晚于今天'));
  const legacy = Object.fromEntries(e.categories.map((c) => [c.memberId, c.categories]));
  const asPlaced = { ...ctx, onboarding: { approvedOn: e.approvedOn, legacyReference: e.legacyReference, categories: legacy, source: e.provenance.source, fileSha256: null, jobId: null, importedBy: e.actor.id, importedAt: e.at } };
  return [...out, ...placementViolations(asPlaced, { ...p, type: 'PLACE', actor: e.actor, at: e.at })];
}

function placementViolations(ctx: CaseContext, e: CaseEventOf<'PLACE'>): Violation[] {
  const out: Violation[] = [];
  const f = e.facility;
  if (e.mode === 'dispersed_care') {
    if (f) out.push(rule('UNEXPECTED_FACILITY', 'dispersed care has a guardian, not a facility', '分散托养应指定照料人，不应选择机构'));
    const g = e.guardian;
    if (!g) {
      out.push(rule('GUARDIAN_REQUIRED', 'dispersed care needs a guardian', '分散托养须指定照料人'));
    } else {
      if (ctx.household.hasLegalSupporter && g.kind !== 'legal_supporter' && !hasText(g.reasonNotLegalSupporter)) {
        out.push(rule('LEGAL_SUPPORTER_EXPECTED', 'the household has a legal supporter: name them, or give a written reason', '该户有法定赡养人：请指定法定赡养人，或书面说明不指定的理由'));
      }
      if (!ctx.household.hasLegalSupporter && g.kind === 'legal_supporter') {
        out.push(rule('NO_LEGAL_SUPPORTER', 'the household has no legal supporter on record', '该户没有登记法定赡养人'));
      }
      if (g.kind !== 'legal_supporter' && !g.appointedByTownship) {
        out.push(rule('TOWNSHIP_APPOINTMENT_REQUIRED', 'a guardian other than the legal supporter is appointed by the township', '法定赡养人以外的照料人须由乡镇指定'));
      }
      if (g.maxWards != null && g.currentWards + 1 > g.maxWards) {
        out.push(rule('GUARDIAN_FULL', `the guardian already has ${g.currentWards} of at most ${g.maxWards} wards`, `该照料人已照料 ${g.currentWards} 人，最多 ${g.maxWards} 人`));
      }
    }
    const a = e.agreement;
    if (!a) {
      out.push(rule('AGREEMENT_REQUIRED', 'dispersed care needs a signed three-party care agreement', '分散托养须签订三方托养协议'));
    } else if (!a.signatories.villageCommittee || !a.signatories.guardian || !a.signatories.beneficiary) {
      out.push(rule('AGREEMENT_UNSIGNED', 'the agreement needs the village committee, the guardian and the beneficiary', '协议须由村委会、照料人和保障对象三方签字'));
    }
    return out;
  }

  if (e.guardian || e.agreement) out.push(rule('UNEXPECTED_GUARDIAN', 'centralized modes take a facility, not a guardian', '集中供养和集中救治应选择机构，不应指定照料人'));
  if (!f) return [...out, rule('FACILITY_REQUIRED', `${e.mode} needs a facility`, `${labelOf(placementModeLabels, e.mode)}须选择机构`)];
  // The whole household moves in: Sun and his son take two beds and count as two residents.
  const arriving = ctx.household.members.length;
  const after = f.occupiedBeds + arriving;
  if (after > f.beds) {
    out.push(rule('NO_FREE_BED', `${f.name} has ${Math.max(0, f.beds - f.occupiedBeds)} free bed(s) for ${arriving} person(s)`, `${f.name}仅有 ${Math.max(0, f.beds - f.occupiedBeds)} 张空床位，需要安置 ${arriving} 人`));
  }

  if (e.mode === 'centralized_support') {
    if (!(careFacilityTypes as readonly string[]).includes(f.type)) {
      out.push(rule('FACILITY_TYPE', `centralized support is in a care facility (${careFacilityTypes.join(', ')})`, `集中供养应安置在供养机构（${zhList(careFacilityTypes.map((t) => facilityTypeLabels[t]))}）`));
    }
    const max = ctx.policy.maxResidentsPerCaregiver;
    if (after > f.caregivers * max) {
      out.push(rule('CAREGIVER_RATIO', `after admission ${f.name} would have more than ${max} residents per caregiver (${after} residents, ${f.caregivers} caregivers)`, `入住后${f.name}每名护理人员照护人数将超过 ${max} 人（共 ${after} 人入住，护理人员 ${f.caregivers} 名）`));
    }
  } else {
    if (!(medicalFacilityTypes as readonly string[]).includes(f.type)) {
      out.push(rule('FACILITY_TYPE', `centralized treatment is in a medical facility (${medicalFacilityTypes.join(', ')})`, `集中救治应安置在医疗机构（${zhList(medicalFacilityTypes.map((t) => facilityTypeLabels[t]))}）`));
    }
    const cats = confirmedCategories(ctx);
    if (!cats.has('serious_illness') && !cats.has('mental_illness')) {
      out.push(rule('CATEGORY_NOT_TREATABLE', 'centralized treatment is for serious_illness or mental_illness', '集中救治仅适用于重特大病人或精神病患者'));
    }
    if (f.patientsPerMedicalStaff != null && after > f.medicalStaff * f.patientsPerMedicalStaff) {
      out.push(rule('MEDICAL_STAFF_RATIO', `${f.name} would exceed ${f.patientsPerMedicalStaff} patients per medical staff`, `${f.name}每名医护人员负责的病人将超过 ${f.patientsPerMedicalStaff} 人`));
    }
  }
  return out;
}

/** Who may send the event: the role the step asks for and, for review decisions, the current level. */
export function authorizationViolations(ctx: CaseContext, e: CaseEvent): Violation[] {
  const allowed = eventRoles[e.type];
  if (!allowed.includes(e.actor.role)) {
    return [{
      rule: 'ROLE_REQUIRED',
      message: `${e.type} is sent by role ${allowed.join(' or ')}`,
      messageZh: roleRequiredZh(e.type, allowed),
      kind: 'authorization',
    }];
  }
  if (levelBoundEvents.includes(e.type)) {
    const level = currentLevel(ctx);
    if (e.actor.level !== level) {
      const inChain = e.actor.level != null && ctx.policy.reviewChain.includes(e.actor.level);
      return [{
        rule: 'LEVEL_REQUIRED',
        message: `the case is at ${level} review`,
        messageZh: `此案件当前处于${labelOf(levelLabels, level)}审核环节`,
        kind: inChain ? 'state' : 'authorization',
      }];
    }
  }
  return [];
}

/** `提交普查须由普查员操作`: the zh of ROLE_REQUIRED, also used by the service before the machine is asked. */
export function roleRequiredZh(type: EventType, roles: readonly string[]): string {
  return `${labelOf(eventLabels, type)}须由${roles.map((r) => labelOf(roleLabels, r)).join('或')}操作`;
}

/** All violations of an event against the context, authorization first. */
export function violations(ctx: CaseContext, e: CaseEvent): Violation[] {
  const auth = authorizationViolations(ctx, e);
  if (auth.length > 0) return auth;
  return (byEvent[e.type] as RuleFn<EventType>)(ctx, e as never);
}

export const allowedBy = (ctx: CaseContext, e: CaseEvent) => violations(ctx, e).length === 0;
