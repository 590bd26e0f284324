/**
 * The household case machine (兜底保障 case path). Versioned: CASE_MACHINE_VERSION below, with snapshot
 * migrations from older versions in migrations.ts. Pure: every guard and action reads only the context and the event; time and identities
 * arrive in events. No `after` timers: notice periods end by a NOTICE_PERIOD_ENDED event that the service's
 * durable scheduler sends, because a persisted snapshot does not restore pending delays.
 *
 * State names are the contract shared with the service and the users; sub-states are ours. Each state's
 * `meta.deadline` names the deadline policy entry (docs/domain.md, "Deadlines") the service applies while the
 * case is in that state; the machine does no calendar maths.
 */
import { and, assign, setup } from 'xstate';
import { addDays, currentLevel, emptyEvaluation, initialContext, openObjections, type CaseContext, type CaseInput } from './context.js';
import type { CaseEvent, CaseEventOf } from './events.js';
import type { Role } from './types.js';
import { allowedBy } from './rules.js';
import { screenHousehold } from './screening.js';
import { onboardingChanges } from './onboarding.js';

export const CASE_MACHINE_ID = 'case';
/** Bump on any change to states or context shape, and add a migration from the previous version. */
export const CASE_MACHINE_VERSION = 2;

export interface StateMeta {
  /** Key into the deadline policy; `review` is qualified by the current level (review.township). */
  deadline?: string;
  /** zh-CN label for user interfaces. */
  label: string;
  /** The role whose inbox holds a case in this state (reviewers: at the case's current level). */
  waitsOn?: Role;
}

const add = (ids: string[], id: string) => (ids.includes(id) ? ids : [...ids, id]);
const as = <T extends CaseEvent['type']>(e: CaseEvent) => e as CaseEventOf<T>;

export const caseMachine = setup({
  types: {
    context: {} as CaseContext,
    events: {} as CaseEvent,
    input: {} as CaseInput,
    meta: {} as StateMeta,
  },
  guards: {
    /** The rules of rules.ts for this event (role, level, separation of duties, placement, ...). */
    allowed: ({ context, event }) => allowedBy(context, event),
    screeningPassed: ({ context }) => context.screening?.passed === true,
    atLastLevel: ({ context }) => context.review.levelIndex === context.policy.reviewChain.length - 1,
    upheld: ({ event }) => as<'RESOLVE_OBJECTION'>(event).outcome === 'upheld',
    /** Dismissing the last open objection after the notice period ended approves the case at once. */
    lastOpenObjectionAndPeriodOver: ({ context, event }) =>
      openObjections(context).length === 1 && Date.parse(event.at) >= Date.parse(context.publicity!.endsAt),
    lastOpenObjection: ({ context }) => openObjections(context).length === 1,
    deceased: ({ event }) => as<'EXIT'>(event).reason === 'deceased',
    asksReassessment: ({ event }) => as<'RECORD_REVISIT'>(event).reassessmentNeeded,
    onboardedWithPlacement: ({ event }) => as<'ONBOARD'>(event).placement !== null,
  },
  actions: {
    updateSurvey: assign({ household: ({ event }) => as<'UPDATE_SURVEY'>(event).household }),
    submitSurvey: assign(({ context, event }) => ({
      survey: { ...context.survey, submittedBy: event.actor.id, submittedAt: event.at },
      screening: screenHousehold(context.household.members, context.policy.screening, event.at),
      applicationSubmittedAt: event.at,
    })),
    reopenSurvey: assign(({ context }) => ({
      survey: { ...context.survey, submittedBy: null, submittedAt: null },
      screening: null,
      applicationSubmittedAt: null,
    })),
    /** Entering evaluation (first time, after RETURN, upheld objection, reopening or reassessment). */
    beginEvaluation: assign(({ context, event }) => ({
      evaluation: {
        ...emptyEvaluation(),
        assessments: context.evaluation.assessments,
        startedBy: event.actor.id,
        startedAt: event.at,
      },
      evaluatorIds: event.type === 'START_EVALUATION' ? add(context.evaluatorIds, event.actor.id) : context.evaluatorIds,
    })),
    recordAssessment: assign(({ context, event }) => {
      const { assessment } = as<'RECORD_ASSESSMENT'>(event);
      return {
        evaluation: {
          ...context.evaluation,
          assessments: { ...context.evaluation.assessments, [assessment.memberId]: { ...assessment, by: event.actor.id, at: event.at } },
        },
        evaluatorIds: add(context.evaluatorIds, event.actor.id),
      };
    }),
    submitEvaluation: assign(({ context, event }) => ({
      evaluation: {
        ...context.evaluation,
        submittedBy: event.actor.id,
        submittedAt: event.at,
        conclusion: as<'SUBMIT_EVALUATION'>(event).conclusion,
      },
      evaluatorIds: add(context.evaluatorIds, event.actor.id),
      review: { round: context.review.round + 1, levelIndex: 0, approvals: [] },
    })),
    recordApproval: assign(({ context, event }) => ({
      review: {
        ...context.review,
        approvals: [
          ...context.review.approvals,
          { level: currentLevel(context), actorId: event.actor.id, at: event.at, comment: as<'APPROVE'>(event).comment },
        ],
      },
    })),
    advanceLevel: assign(({ context }) => ({ review: { ...context.review, levelIndex: context.review.levelIndex + 1 } })),
    openNotice: assign(({ context, event }) => ({
      publicity: { round: context.review.round, openedAt: event.at, endsAt: addDays(event.at, context.policy.noticeDays), objections: [] },
    })),
    recordReturn: assign(({ event }) => ({
      lastDecision: { type: 'RETURN' as const, by: event.actor.id, at: event.at, reason: as<'RETURN'>(event).reason },
    })),
    recordRejection: assign(({ context, event }) => {
      const { reason } = as<'REJECT'>(event);
      return {
        lastDecision: { type: 'REJECT' as const, by: event.actor.id, at: event.at, reason },
        rejection: { by: event.actor.id, at: event.at, level: currentLevel(context), reason, refusalNotice: null },
      };
    }),
    recordRefusalNotice: assign(({ context, event }) => {
      const e = as<'RECORD_REFUSAL_NOTICE'>(event);
      return {
        rejection: context.rejection && {
          ...context.rejection,
          refusalNotice: { noticeNumber: e.noticeNumber, servedOn: e.servedOn, recordedBy: e.actor.id, recordedAt: e.at },
        },
      };
    }),
    clearRejection: assign({ rejection: null }),
    fileObjection: assign(({ context, event }) => {
      const e = as<'FILE_OBJECTION'>(event);
      const objection = {
        id: e.objectionId, lodgedBy: e.lodgedBy, channel: e.channel, content: e.content,
        filedBy: e.actor.id, filedAt: e.at, status: 'open' as const,
      };
      return { publicity: { ...context.publicity!, objections: [...context.publicity!.objections, objection] } };
    }),
    resolveObjection: assign(({ context, event }) => {
      const e = as<'RESOLVE_OBJECTION'>(event);
      const objections = context.publicity!.objections.map((o) =>
        o.id === e.objectionId ? { ...o, status: e.outcome, resolution: { by: e.actor.id, at: e.at, reason: e.reason } } : o,
      );
      return {
        publicity: { ...context.publicity!, objections },
        lastDecision:
          e.outcome === 'upheld'
            ? { type: 'UPHELD_OBJECTION' as const, by: e.actor.id, at: e.at, reason: e.reason }
            : context.lastDecision,
      };
    }),
    markApproved: assign({ approvedAt: ({ event }) => event.at }),
    place: assign(({ event }) => {
      const e = as<'PLACE'>(event);
      const g = e.guardian;
      return {
        placement: {
          mode: e.mode,
          startDate: e.startDate,
          placedBy: e.actor.id,
          placedAt: e.at,
          ...(e.facility && { facility: { id: e.facility.id, name: e.facility.name, type: e.facility.type } }),
          ...(g && { guardian: { id: g.id, name: g.name, kind: g.kind, phone: g.phone, reasonNotLegalSupporter: g.reasonNotLegalSupporter } }),
          ...(e.agreement && { agreement: e.agreement }),
        },
        revisits: { count: 0, lastDate: null },
        reassessment: null,
      };
    }),
    recordRevisit: assign(({ context, event }) => {
      const { date } = as<'RECORD_REVISIT'>(event);
      const last = context.revisits.lastDate;
      return { revisits: { count: context.revisits.count + 1, lastDate: last && last > date ? last : date } };
    }),
    requestReassessment: assign(({ event }) => ({
      reassessment: { requestedBy: event.actor.id, at: event.at, reason: as<'REQUEST_REASSESSMENT'>(event).reason },
      applicationSubmittedAt: event.at,
      approvedAt: null,
    })),
    startExit: assign(({ context, event }) => {
      const e = as<'EXIT'>(event);
      const endsAt = e.reason === 'deceased' ? null : addDays(e.at, context.policy.exitNoticeDays);
      return { exit: { reason: e.reason, text: e.text ?? null, date: e.date, by: e.actor.id, at: e.at, endsAt } };
    }),
    cancelExit: assign({ exit: null }),
    /** The legacy approval and placement, as they were on paper (machines/onboarding.ts). */
    onboard: assign(({ event }) => onboardingChanges(as<'ONBOARD'>(event))),
  },
}).createMachine({
  id: CASE_MACHINE_ID,
  context: ({ input }) => initialContext(input),
  initial: 'survey',
  states: {
    survey: {
      meta: { deadline: 'surveySubmitted', label: '入户普查', waitsOn: 'enumerator' },
      on: {
        UPDATE_SURVEY: { guard: 'allowed', actions: 'updateSurvey' },
        SUBMIT_SURVEY: { guard: 'allowed', target: 'screening', actions: 'submitSurvey' },
        // Onboarding an approved household at the case's opening (a genesis event: rules.ts ONBOARD_AT_OPENING).
        ONBOARD: [
          { guard: and(['allowed', 'onboardedWithPlacement']), target: 'active', actions: 'onboard' },
          { guard: 'allowed', target: 'awaitingPlacement', actions: 'onboard' },
        ],
      },
    },
    /** Transient: decided at once from the screening result computed on SUBMIT_SURVEY. */
    screening: {
      meta: { label: '筛查' },
      always: [{ guard: 'screeningPassed', target: 'preliminary' }, { target: 'screenedOut' }],
    },
    screenedOut: {
      meta: { label: '未通过筛查' },
      on: { REOPEN: { guard: 'allowed', target: 'survey', actions: 'reopenSurvey' } },
    },
    preliminary: {
      meta: { deadline: 'evaluationStarted', label: '初步名单', waitsOn: 'evaluator' },
      on: { START_EVALUATION: { guard: 'allowed', target: 'evaluation' } },
    },
    evaluation: {
      meta: { deadline: 'evaluationSubmitted', label: '逐户评定', waitsOn: 'evaluator' },
      entry: 'beginEvaluation',
      on: {
        RECORD_ASSESSMENT: { guard: 'allowed', actions: 'recordAssessment' },
        SUBMIT_EVALUATION: { guard: 'allowed', target: 'review', actions: 'submitEvaluation' },
      },
    },
    review: {
      meta: { deadline: 'review', label: '逐级审核', waitsOn: 'reviewer' },
      on: {
        APPROVE: [
          { guard: and(['allowed', 'atLastLevel']), target: 'publicity', actions: ['recordApproval', 'openNotice'] },
          { guard: 'allowed', actions: ['recordApproval', 'advanceLevel'] },
        ],
        RETURN: { guard: 'allowed', target: 'evaluation', actions: 'recordReturn' },
        REJECT: { guard: 'allowed', target: 'rejected', actions: 'recordRejection' },
      },
    },
    publicity: {
      meta: { deadline: 'noticePeriod', label: '公示' },
      initial: 'open',
      on: {
        FILE_OBJECTION: { guard: 'allowed', target: '.objected', actions: 'fileObjection' },
        NOTICE_PERIOD_ENDED: { guard: 'allowed', target: 'awaitingPlacement', actions: 'markApproved' },
      },
      states: {
        open: { meta: { label: '公示中' } },
        objected: {
          meta: { deadline: 'objectionResolved', label: '异议处理中', waitsOn: 'officer' },
          on: {
            RESOLVE_OBJECTION: [
              { guard: and(['allowed', 'upheld']), target: '#case.evaluation', actions: 'resolveObjection' },
              {
                guard: and(['allowed', 'lastOpenObjectionAndPeriodOver']),
                target: '#case.awaitingPlacement',
                actions: ['resolveObjection', 'markApproved'],
              },
              { guard: and(['allowed', 'lastOpenObjection']), target: 'open', actions: 'resolveObjection' },
              { guard: 'allowed', actions: 'resolveObjection' },
            ],
          },
        },
      },
    },
    awaitingPlacement: {
      meta: { deadline: 'placement', label: '待安置', waitsOn: 'officer' },
      on: { PLACE: { guard: 'allowed', target: 'active', actions: 'place' } },
    },
    active: {
      meta: { deadline: 'revisit', label: '已安置', waitsOn: 'visitor' },
      initial: 'monitoring',
      states: {
        monitoring: { meta: { label: '定期回访中', waitsOn: 'visitor' } },
        /** A revisit asked for reassessment: the case waits in the officers' inboxes for REQUEST_REASSESSMENT. */
        reassessmentDue: { meta: { label: '回访建议复核', waitsOn: 'officer' } },
      },
      on: {
        RECORD_REVISIT: [
          { guard: and(['allowed', 'asksReassessment']), target: '.reassessmentDue', actions: 'recordRevisit' },
          { guard: 'allowed', actions: 'recordRevisit' },
        ],
        REQUEST_REASSESSMENT: { guard: 'allowed', target: 'evaluation', actions: 'requestReassessment' },
        EXIT: [
          { guard: and(['allowed', 'deceased']), target: 'exited', actions: 'startExit' },
          { guard: 'allowed', target: 'exitNotice', actions: 'startExit' },
        ],
      },
    },
    exitNotice: {
      meta: { deadline: 'exitNotice', label: '退出公示' },
      on: {
        NOTICE_PERIOD_ENDED: { guard: 'allowed', target: 'exited' },
        CANCEL_EXIT: { guard: 'allowed', target: 'active', actions: 'cancelExit' },
      },
    },
    exited: { meta: { label: '已退出' }, type: 'final' },
    rejected: {
      meta: { label: '未通过审核' },
      initial: 'awaitingRefusalNotice',
      on: { REOPEN: { guard: 'allowed', target: 'evaluation', actions: 'clearRejection' } },
      states: {
        awaitingRefusalNotice: {
          meta: { deadline: 'refusalNotice', label: '待送达不予认定通知', waitsOn: 'officer' },
          on: { RECORD_REFUSAL_NOTICE: { guard: 'allowed', target: 'noticeServed', actions: 'recordRefusalNotice' } },
        },
        noticeServed: { meta: { label: '已送达通知' } },
      },
    },
  },
});

export type CaseMachine = typeof caseMachine;
