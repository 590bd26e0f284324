/**
 * Events of the case machine. Every event carries `actor` (who) and `at` (when, ISO instant); the payload
 * schemas below are what a client sends, validated once at the edge by the service with these same schemas.
 */
import { z } from 'zod';
import {
  actorSchema,
  categories,
  exitReasons,
  facilityTypes,
  guardianKinds,
  householdFactsSchema,
  isoDate,
  isoInstant,
  labourCapacities,
  nonBlank,
  placementModes,
  selfCareSchema,
  type Role,
} from './types.js';

const reason = nonBlank('reason');

export const facilityFactsSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1).max(200),
  type: z.enum(facilityTypes),
  beds: z.number().int().min(0),
  /** Residents now (one bed each), derived by the service from current placements: never typed in. */
  occupiedBeds: z.number().int().min(0),
  caregivers: z.number().int().min(0),
  medicalStaff: z.number().int().min(0).default(0),
  /** The facility's medical standard: patients one medical staff member may care for; null = not set. */
  patientsPerMedicalStaff: z.number().int().min(1).nullable().default(null),
});
export type FacilityFacts = z.infer<typeof facilityFactsSchema>;

export const guardianSchema = z.strictObject({
  id: z.string().min(1).optional(),
  name: nonBlank('guardian name').pipe(z.string().max(100)),
  kind: z.enum(guardianKinds),
  phone: z.string().trim().max(40).optional(),
  /** Needed when the household has a legal supporter (法定赡养人) and someone else is chosen. */
  reasonNotLegalSupporter: z.string().trim().max(4000).optional(),
  /** For a neighbour, party member or capable poor household: the township appoints (乡镇指定). */
  appointedByTownship: z.boolean().default(false),
  /** Current wards and the configured maximum, looked up by the service in the guardian registry. */
  currentWards: z.number().int().min(0).default(0),
  maxWards: z.number().int().min(1).nullable().default(null),
});
export type Guardian = z.infer<typeof guardianSchema>;

/** Three-party care agreement (三方协议): village committee, guardian, beneficiary. */
export const agreementSchema = z.strictObject({
  signedOn: isoDate,
  startDate: isoDate,
  termMonths: z.number().int().min(1, 'term is at least 1 month').max(120),
  signatories: z.strictObject({ villageCommittee: z.boolean(), guardian: z.boolean(), beneficiary: z.boolean() }),
});
export type Agreement = z.infer<typeof agreementSchema>;

export const assessmentSchema = z.strictObject({
  memberId: z.string().min(1),
  categories: z.array(z.enum(categories)).max(5),
  labourCapacity: z.enum(labourCapacities),
  selfCare: selfCareSchema.nullable().default(null),
  /** Certificate numbers (残疾证), diagnoses, hospital records: what the category rests on. */
  evidence: z.array(nonBlank('evidence item').pipe(z.string().max(500))).max(20).default([]),
  note: z.string().trim().max(4000).optional(),
});
export type Assessment = z.infer<typeof assessmentSchema>;

/**
 * Where an onboarded case came from (导入来源): a spreadsheet import job (its file's SHA-256 and the job id) or
 * a client of the JSON API (neither). Recorded in the context and in the case's genesis audit record.
 */
export const provenanceSchema = z.strictObject({
  source: z.enum(['import', 'api']),
  fileSha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 as 64 lower-case hex digits').nullable().default(null),
  jobId: z.string().min(1).max(100).nullable().default(null),
});
export type Provenance = z.infer<typeof provenanceSchema>;

/** The placement a household already has under the old paper process: PLACE's facts, nothing more. */
export const onboardingPlacementSchema = z.strictObject({
  mode: z.enum(placementModes),
  startDate: isoDate,
  facility: facilityFactsSchema.optional(),
  guardian: guardianSchema.optional(),
  agreement: agreementSchema.optional(),
});
export type OnboardingPlacement = z.infer<typeof onboardingPlacementSchema>;

/** Payload schemas: what the client sends for each event type (without actor and at). */
export const payloadSchemas = {
  UPDATE_SURVEY: z.strictObject({ household: householdFactsSchema }),
  SUBMIT_SURVEY: z.strictObject({}),
  REOPEN: z.strictObject({ reason }),
  START_EVALUATION: z.strictObject({}),
  RECORD_ASSESSMENT: z.strictObject({ assessment: assessmentSchema }),
  SUBMIT_EVALUATION: z.strictObject({ conclusion: nonBlank('conclusion') }),
  APPROVE: z.strictObject({ comment: z.string().trim().max(4000).optional() }),
  RETURN: z.strictObject({ reason }),
  REJECT: z.strictObject({ reason }),
  RECORD_REFUSAL_NOTICE: z.strictObject({ noticeNumber: nonBlank('noticeNumber').pipe(z.string().max(100)), servedOn: isoDate }),
  FILE_OBJECTION: z.strictObject({
    objectionId: z.string().min(1).max(100),
    lodgedBy: nonBlank('lodgedBy').pipe(z.string().max(100)),
    channel: z.enum(['paper', 'in_person', 'phone', 'online']),
    content: nonBlank('content'),
  }),
  RESOLVE_OBJECTION: z.strictObject({
    objectionId: z.string().min(1).max(100),
    outcome: z.enum(['upheld', 'dismissed']),
    reason,
  }),
  NOTICE_PERIOD_ENDED: z.strictObject({}),
  PLACE: z.strictObject({
    mode: z.enum(placementModes),
    startDate: isoDate,
    facility: facilityFactsSchema.optional(),
    guardian: guardianSchema.optional(),
    agreement: agreementSchema.optional(),
  }),
  RECORD_REVISIT: z.strictObject({
    date: isoDate,
    livingConditions: nonBlank('livingConditions'),
    health: nonBlank('health'),
    problems: z.string().trim().max(4000).default(''),
    reassessmentNeeded: z.boolean(),
  }),
  REQUEST_REASSESSMENT: z.strictObject({ reason }),
  EXIT: z.strictObject({ reason: z.enum(exitReasons), text: z.string().trim().max(4000).optional(), date: isoDate }),
  CANCEL_EXIT: z.strictObject({ reason }),
  /**
   * Onboarding (存量纳入): a household approved (and usually placed) under the old paper process enters the
   * case path at its opening, straight into `active` (with its placement) or `awaitingPlacement` — with the
   * legacy approval date and document number, never a pretended walk through survey, evaluation and review.
   * A genesis event: only the engine sends it, in the transaction that opens the case (see genesisEventTypes).
   */
  ONBOARD: z.strictObject({
    approvedOn: isoDate,
    /** The legacy approval's document number (原审批文号 / 台账编号). */
    legacyReference: nonBlank('legacyReference').pipe(z.string().max(100)),
    /** The categories the legacy approval recognised, per member (by the member ids of the household facts). */
    categories: z.array(z.strictObject({ memberId: z.string().min(1), categories: z.array(z.enum(categories)).max(5) })).max(30),
    placement: onboardingPlacementSchema.nullable(),
    /** The last revisit under the old process, if any: the next revisit is due one interval after it. */
    lastRevisitDate: isoDate.nullable().default(null),
    provenance: provenanceSchema,
  }),
} as const;

export type EventType = keyof typeof payloadSchemas;
/**
 * Events that only open a case (sent by the engine in the case's first transaction, never through
 * POST /cases/:id/events, never offered as an action): not in `eventTypes`.
 */
export const genesisEventTypes = ['ONBOARD'] as const satisfies readonly EventType[];
/** Every event type, genesis events included (the machine's own list). */
export const allEventTypes = Object.keys(payloadSchemas) as EventType[];
/** The events a client sends to an existing case. */
export const eventTypes = allEventTypes.filter((t) => !(genesisEventTypes as readonly string[]).includes(t));

/** zod infers `z.strictObject({})` as Record<string, never>, which no event with an envelope satisfies: use {}. */
type NoIndex<P> = string extends keyof P ? {} : P;
export type EventPayload<T extends EventType> = NoIndex<z.infer<(typeof payloadSchemas)[T]>>;
type Envelope = { actor: z.infer<typeof actorSchema>; at: string };
export type CaseEvent = { [T in EventType]: { type: T } & EventPayload<T> & Envelope }[EventType];
export type CaseEventOf<T extends EventType> = Extract<CaseEvent, { type: T }>;

/** The full event (payload + actor + at), for parsing an event as a whole, e.g. from a stored fixture. */
export function eventSchema<T extends EventType>(type: T) {
  return payloadSchemas[type].extend({ type: z.literal(type), actor: actorSchema, at: isoInstant });
}

/** Which role may send each event. Reviewers must also be at the case's current review level. */
export const eventRoles: Record<EventType, readonly Role[]> = {
  UPDATE_SURVEY: ['enumerator'],
  SUBMIT_SURVEY: ['enumerator'],
  REOPEN: ['officer'],
  START_EVALUATION: ['evaluator'],
  RECORD_ASSESSMENT: ['evaluator'],
  SUBMIT_EVALUATION: ['evaluator'],
  APPROVE: ['reviewer'],
  RETURN: ['reviewer'],
  REJECT: ['reviewer'],
  RECORD_REFUSAL_NOTICE: ['officer'],
  // An officer records an objection lodged on paper, in person or by phone; a villager lodges one online (public).
  FILE_OBJECTION: ['officer', 'public'],
  RESOLVE_OBJECTION: ['officer'],
  NOTICE_PERIOD_ENDED: ['system'],
  PLACE: ['officer'],
  RECORD_REVISIT: ['visitor'],
  REQUEST_REASSESSMENT: ['officer'],
  EXIT: ['officer'],
  CANCEL_EXIT: ['officer'],
  // The officer records placements today; an admin sets up a county's deployment and runs its first import.
  // Both within their jurisdiction (the engine checks the village against it).
  ONBOARD: ['officer', 'admin'],
};

/** Events decided by a reviewer at the current level of the chain. */
export const levelBoundEvents: readonly EventType[] = ['APPROVE', 'RETURN', 'REJECT'];
