/**
 * Response schemas: what the engine's views really answer (src/engine/caseView.ts, queries.ts, care.ts,
 * worklist.ts, reference.ts). Objects are strict: the serializer refuses (500, caught by the contract test
 * tests/http/contract.test.ts) a field the document does not describe, instead of dropping it silently.
 *
 * The parts of a case that are the machine's own record (screening, evaluation, review, publicity, placement,
 * …; machines/context.ts) are documented by their main fields and kept open (looseObject): they grow with
 * the machine, and a client that reads them reads them as the machine wrote them.
 */
import { z } from 'zod';
import { categories, disabilityTypes, labourCapacities, roles } from '../../../machines/index.js';

const iso = () => z.string().describe('ISO instant (UTC)');
const nullableIso = () => z.string().nullable();

/** A case's summary row, as lists, inboxes and the work list give it. */
export const caseSummary = z
  .strictObject({
    id: z.string(),
    caseNumber: z.string().describe('the readable number, <county>-<year>-<sequence>: 411282-2026-000123'),
    householdId: z.string(),
    state: z.string().describe('dotted state, e.g. review or publicity.objected'),
    reviewLevel: z.string().nullable(),
    villageCode: z.string(),
    townshipCode: z.string(),
    countyCode: z.string(),
    rowVersion: z.number().int().describe('send as If-Match to guard against concurrent changes'),
    deadline: z.strictObject({ key: z.string(), at: nullableIso() }).nullable().describe('the current step’s deadline'),
    applicationDeadlineAt: nullableIso(),
    placementMode: z.string().nullable(),
    facilityId: z.string().nullable(),
    closed: z.boolean(),
    openedAt: iso(),
    updatedAt: iso(),
  })
  .meta({ id: 'CaseSummary' });

const disability = z.strictObject({ type: z.enum(disabilityTypes), grade: z.number().int() });
const selfCare = z.record(z.string(), z.unknown()).nullable().describe('six daily-living items; true = manages alone');

const member = z.strictObject({
  id: z.string(),
  name: z.string(),
  idNumber: z.string().describe('full for roles that see identity, else masked (6 + 8 asterisks + 4)'),
  birthDate: z.string().optional().describe('only for roles that see identity'),
  age: z.number().int(),
  sex: z.enum(['male', 'female']),
  relation: z.string(),
  labourCapacity: z.enum(labourCapacities),
  disabilities: z.array(disability),
  seriousIllness: z.string().nullable(),
  severeMentalDisorder: z.boolean(),
  selfCare,
  categories: z.array(z.enum(categories)),
});

const legalSupporter = z.strictObject({ name: z.string(), relation: z.string(), phone: z.string(), address: z.string() });

/** A record the machine keeps (machines/context.ts): main fields documented, the rest as written. */
// Typed as unknown: the machine's TypeScript interfaces have no index signature for a loose object to match.
const machineRecord = (description: string, shape: z.ZodRawShape = {}, nullable = true) =>
  (nullable ? z.looseObject(shape).nullable() : z.looseObject(shape)).describe(description) as unknown as z.ZodType<unknown>;

/** The case view (GET /cases/:id and the answer to every event). */
export const caseView = caseSummary
  .extend({
    stateLabel: z.string().describe('zh-CN label'),
    waitsOn: z.enum(roles).nullable().describe('the role the case waits on now'),
    machine: z.strictObject({ id: z.string(), version: z.number().int(), storedVersion: z.number().int() }),
    allowedEvents: z.array(z.string()).describe('events this caller may send now'),
    household: z.strictObject({
      id: z.string(),
      villageCode: z.string(),
      address: z.string(),
      poorId: z.string().nullable(),
      legalSupporter: legalSupporter.nullable(),
      members: z.array(member),
    }),
    screening: machineRecord('the screening of the survey against the rules (categories per member)'),
    evaluation: machineRecord('the evaluation: assessments by member id, conclusion', {
      startedBy: z.string().nullable(),
      startedAt: z.string().nullable(),
      assessments: z.record(z.string(), z.looseObject({ memberId: z.string() })),
      submittedBy: z.string().nullable(),
      submittedAt: z.string().nullable(),
      conclusion: z.string().nullable(),
    }, false),
    review: machineRecord('the review round: approvals, current level and chain (null before the first review)', {
      round: z.number().int(),
      levelIndex: z.number().int(),
      approvals: z.array(z.looseObject({ level: z.string(), actorId: z.string(), at: z.string() })),
    }),
    lastDecision: machineRecord('the last RETURN, REJECT or upheld objection'),
    publicity: machineRecord('the public notice (公示): round, period and objections'),
    rejection: machineRecord('the rejection and its refusal notice'),
    approvedAt: z.string().nullable(),
    placement: machineRecord('how and where the person is cared for (供养方式)'),
    revisits: machineRecord('revisits so far', { count: z.number().int(), lastDate: z.string().nullable() }, false),
    reassessment: machineRecord('a pending request for reassessment'),
    exit: machineRecord('the exit (退出) and its notice period'),
    onboarding: machineRecord('for a case onboarded from the old paper process (存量纳入): the legacy approval date and document number, its categories, and where the record came from (import file SHA-256 and job, or api); null otherwise', {
      approvedOn: z.string(),
      legacyReference: z.string(),
    }),
  })
  .meta({ id: 'CaseView' });

export const casePage = z.strictObject({ items: z.array(caseSummary), nextAfter: z.string().nullable() });
export const inboxPage = z.strictObject({ role: z.enum(roles).nullable(), items: z.array(caseSummary), next: z.string().nullable().describe('pass as after for the next page') });
export const worklistPage = z.strictObject({
  role: z.enum(roles).nullable(),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  items: z.array(
    caseSummary.extend({
      headName: z.string().nullable(),
      address: z.string(),
      villageName: z.string().nullable(),
      townshipName: z.string().nullable(),
    }),
  ),
});

export const auditRecord = z.strictObject({
  seq: z.number().int(),
  eventType: z.string(),
  payload: z.unknown().describe('the event as recorded, ID numbers masked'),
  actorId: z.string(),
  actorRole: z.string(),
  stateBefore: z.string().nullable(),
  stateAfter: z.string(),
  machineVersion: z.number().int(),
  requestId: z.string().nullable(),
  clientRequestId: z.string().nullable(),
  at: iso(),
  prevHash: z.string().nullable(),
  hash: z.string(),
});

export const chainVerification = z.strictObject({
  ok: z.boolean(),
  count: z.number().int(),
  brokenAtSeq: z.number().int().optional(),
  reason: z.string().optional(),
  caseId: z.string().optional(),
});

export const machineInfo = z.strictObject({
  id: z.string(),
  version: z.number().int(),
  events: z.array(z.string()),
  definition: z.looseObject({}).describe('the xstate machine definition (toJSON)') as unknown as z.ZodType<unknown>,
  mermaid: z.string().describe('state diagram in Mermaid syntax'),
});

export const region = z.strictObject({ code: z.string(), level: z.string(), name: z.string(), parentCode: z.string().nullable() });

export const facility = z.strictObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  regionCode: z.string(),
  beds: z.number().int(),
  caregivers: z.number().int(),
  medicalStaff: z.number().int(),
  patientsPerMedicalStaff: z.number().int().nullable(),
  residents: z.number().int().describe('derived from current placements'),
  freeBeds: z.number().int(),
  residentsPerCaregiver: z.number().nullable(),
  breach: z.boolean().describe('a care facility above the residents-per-caregiver ratio'),
});

export const guardian = z.strictObject({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  regionCode: z.string(),
  phone: z.string(),
  active: z.boolean(),
  wards: z.number().int().describe('derived from current placements'),
  maxWards: z.number().int(),
  freeSlots: z.number().int(),
});

export const revisit = z.strictObject({
  id: z.number().int(),
  date: z.string(),
  visitorId: z.string(),
  livingConditions: z.string(),
  health: z.string(),
  problems: z.string(),
  reassessmentNeeded: z.boolean(),
  placementMode: z.string(),
  recordedAt: iso(),
});
