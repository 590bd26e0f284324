/**
 * From a posted action form to the event the engine validates. Field names are the event payload's own paths
 * (`assessment.selfCare.eating`, `agreement.signatories.guardian`), so a VALIDATION_FAILED from the engine names
 * the very field the person filled in. Only shaping happens here — checkboxes to booleans, a textarea of
 * evidence to its lines, the facility or the guardian that the chosen mode uses — never a rule.
 */
import type { EventType } from '../../machines/index.js';
import { nestForm } from './forms.js';

/** Events a person sends from the case page (UPDATE_SURVEY has the survey form; NOTICE_PERIOD_ENDED is the scheduler's). */
export const FORM_EVENTS: readonly EventType[] = [
  'SUBMIT_SURVEY', 'REOPEN', 'START_EVALUATION', 'RECORD_ASSESSMENT', 'SUBMIT_EVALUATION', 'APPROVE', 'RETURN', 'REJECT',
  'RECORD_REFUSAL_NOTICE', 'FILE_OBJECTION', 'RESOLVE_OBJECTION', 'PLACE', 'RECORD_REVISIT', 'REQUEST_REASSESSMENT', 'EXIT', 'CANCEL_EXIT',
];

/** Steps that cannot be taken back ask first. */
export const IRREVERSIBLE: Partial<Record<EventType, string>> = {
  SUBMIT_SURVEY: '提交后普查信息将进入筛查，确定提交吗？',
  SUBMIT_EVALUATION: '提交评定结论后将进入逐级审核，确定提交吗？',
  APPROVE: '确定审核通过吗？',
  REJECT: '确定不予认定吗？该决定将记入审计记录，且须书面送达申请人。',
  RESOLVE_OBJECTION: '确定按所选结果处理该异议吗？',
  PLACE: '确定按所填信息安置吗？',
  EXIT: '确定办理退出吗？',
};

const SELF_CARE = ['eating', 'dressing', 'toileting', 'bathing', 'indoorMobility', 'transferring'] as const;

export function eventFromForm(type: EventType, body: Record<string, unknown>): Record<string, unknown> {
  const { rowVersion: _v, idempotencyKey: _k, ...fields } = body;
  switch (type) {
    case 'RECORD_ASSESSMENT': {
      const form = nestForm(fields, {
        arrays: ['assessment.categories'],
        booleans: [...SELF_CARE.map((k) => `assessment.selfCare.${k}`), 'selfCareAssessed'],
      }) as Record<string, any>;
      const a = (form.assessment ?? {}) as Record<string, any>;
      const evidence = typeof a.evidence === 'string' ? a.evidence.split(/\r?\n/).map((s: string) => s.trim()).filter(Boolean) : [];
      const assessment: Record<string, unknown> = { ...a, categories: a.categories ?? [], evidence };
      // The six items are recorded only when the evaluator assessed them (unticked boxes post nothing).
      if (form.selfCareAssessed) assessment.selfCare = Object.fromEntries(SELF_CARE.map((k) => [k, !!a.selfCare?.[k]]));
      else delete assessment.selfCare;
      return { type, assessment };
    }
    case 'PLACE': {
      const form = nestForm(fields, {
        booleans: ['appointedByTownship', 'agreement.signatories.villageCommittee', 'agreement.signatories.guardian', 'agreement.signatories.beneficiary'],
        numbers: ['agreement.termMonths'],
      }) as Record<string, any>;
      const dispersed = form.mode === 'dispersed_care';
      const out: Record<string, unknown> = { type, mode: form.mode, startDate: form.startDate };
      if (dispersed) {
        if (form.guardianId) out.guardianId = form.guardianId;
        out.appointedByTownship = !!form.appointedByTownship;
        if (form.reasonNotLegalSupporter) out.reasonNotLegalSupporter = form.reasonNotLegalSupporter;
        const ag = form.agreement as Record<string, any> | undefined;
        if (ag && (ag.signedOn || ag.startDate || ag.termMonths)) {
          out.agreement = {
            ...ag,
            signatories: { villageCommittee: !!ag.signatories?.villageCommittee, guardian: !!ag.signatories?.guardian, beneficiary: !!ag.signatories?.beneficiary },
          };
        }
      } else if (form.facilityId) {
        out.facilityId = form.facilityId;
      }
      return out;
    }
    case 'RECORD_REVISIT':
      return { type, ...nestForm(fields, { booleans: ['reassessmentNeeded'] }) };
    default:
      return { type, ...nestForm(fields) };
  }
}
