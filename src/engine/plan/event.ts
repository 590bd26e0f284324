/**
 * The plan of one event on one case: from what the load brought (the locked case, its household and
 * members, the caller's idempotency record, the facility or guardian of a placement) to what the write must
 * do and what the caller is answered. Pure — unit-tested without a database (tests/unit/commandPlan.test.ts).
 *
 * The checks run in the order callers rely on: a case outside the caller's jurisdiction does not exist for
 * them (before anything else is said about it); a replayed Idempotency-Key answers again; If-Match; then the
 * event itself.
 */
import {
  CASE_MACHINE_VERSION,
  decide,
  loadCaseSnapshot,
  topState,
  type CaseEvent,
  type CaseSnapshot,
  type FacilityFacts,
  type Guardian,
} from '../../../machines/index.js';
import type { CaseWrite, MemberWrite } from '../../db/commandWrites.js';
import type { LoadedCase, ResidentClash } from '../../db/commandSql.js';
import type { CaseRow, FacilityRow, GuardianRow, HouseholdRow, MemberRow } from '../../db/index.js';
import { errors } from '../../errors.js';
import { actorFor, assertCaseVisible, inJurisdiction } from '../access.js';
import { caseView, type CaseView } from '../caseView.js';
import type { AnyEventInput } from '../eventInput.js';
import { checkMembers, householdFacts, type HouseholdInput } from '../surveyInput.js';
import { planTimers } from '../timerPlan.js';
import type { CommandMeta } from '../types.js';
import { enrolmentChange, refuseDuplicate } from './residents.js';
import { auditPayload, mirror, nextAudit, refusal, requestHash, timerDiff, type PlanContext } from './shared.js';

export interface EventLoad extends Omit<LoadedCase, 'household'> {
  /** Null only where no answer is built and no survey or guardian is involved (a timer's NOTICE_PERIOD_ENDED). */
  household: HouseholdRow | null;
  facility?: { facility: FacilityRow; occupied: number } | null;
  guardian?: { guardian: GuardianRow; wards: number } | null;
  /** UPDATE_SURVEY: open cases holding the new survey's people; REOPEN: other open cases holding the case's members. */
  clashes?: ResidentClash[];
}

export interface EventRequest {
  meta: CommandMeta;
  input: AnyEventInput;
  /** The body as sent (the Idempotency-Key's request hash covers it). */
  body: unknown;
  ifMatch?: number;
  idempotencyKey?: string;
  at: Date;
  /** Ids for rows the event creates (UPDATE_SURVEY's members), drawn by the caller. */
  newIds: () => string;
}

export type EventPlan =
  | { kind: 'replay'; view: () => CaseView }
  | { kind: 'write'; write: CaseWrite; view: () => CaseView; snapshot: CaseSnapshot; row: CaseRow };

/** The rows of a survey's members, in position order (1 = head), with ids drawn by the caller. */
export const memberWrites = (input: HouseholdInput, ids: string[], at: Date): MemberWrite[] =>
  input.members.map((m, i) => ({
    id: ids[i],
    position: i + 1,
    name: m.name,
    idNumber: m.idNumber,
    birthDate: m.birthDate,
    sex: m.sex,
    relation: m.relation,
    labourCapacity: m.labourCapacity,
    disabilities: m.disabilities,
    seriousIllness: m.seriousIllness,
    severeMentalDisorder: m.severeMentalDisorder,
    selfCare: m.selfCare,
    categories: [],
    createdAt: at,
  }));

function needHousehold(l: { household: HouseholdRow | null }): HouseholdRow {
  if (!l.household) throw new Error('the plan was loaded without its household');
  return l.household;
}

/** MemberRow as the table will hold it after the write, for the answer. */
const asMemberRow = (m: MemberWrite, householdId: string): MemberRow => ({ ...m, householdId } as unknown as MemberRow);

export function planEvent(load: EventLoad, req: EventRequest, ctx: PlanContext): EventPlan {
  const { row, meta } = { row: load.row, meta: req.meta };
  const { principal } = meta;
  assertCaseVisible(principal, row.id, row.villageCode);

  const hash = req.idempotencyKey ? requestHash(row.id, req.body) : null;
  const stored = loadCaseSnapshot({ machineId: row.machineId, machineVersion: row.machineVersion, snapshot: row.snapshot });
  if (req.idempotencyKey && load.idempotency) {
    if (load.idempotency.requestHash !== hash || load.idempotency.caseId !== row.id) throw errors.idempotencyKeyReused(req.idempotencyKey);
    return { kind: 'replay', view: () => caseView({ row, household: needHousehold(load), members: load.members, snapshot: stored.snapshot }, principal, req.at) };
  }
  if (req.ifMatch !== undefined && req.ifMatch !== row.rowVersion) throw errors.versionConflict(req.ifMatch, row.rowVersion);

  const s = stored.snapshot;
  const at = req.at;
  const input = req.input;
  const actor = actorFor(principal, input.type);
  const envelope = { actor, at: at.toISOString() };
  let household = load.household;
  let members: MemberRow[] = load.members;
  let replaceSurvey: CaseWrite['replaceSurvey'] = null;
  let event: CaseEvent;

  if (input.type === 'UPDATE_SURVEY') {
    const survey = checkMembers(structuredClone(input.household), 'body.household');
    if (topState(s) !== 'survey') {
      // Let the machine refuse it (EVENT_NOT_ALLOWED with the allowed events); nothing is written.
      event = { type: 'UPDATE_SURVEY', household: s.context.household, ...envelope };
    } else {
      if (survey.villageCode !== row.villageCode) {
        throw errors.validationFailed([{ path: 'body.household.villageCode', message: 'a survey cannot move the household to another village; open a new case there' }]);
      }
      const clashes = (load.clashes ?? []).filter((c) => c.caseId !== row.id);
      if (clashes.length > 0) refuseDuplicate(clashes, { meta, villageCode: row.villageCode, ownCaseId: row.id, action: 'UPDATE_SURVEY', at });
      const ids = survey.members.map(() => req.newIds());
      const writes = memberWrites(survey, ids, at);
      replaceSurvey = { householdId: row.householdId, address: survey.address, poorId: survey.poorId, legalSupporter: survey.legalSupporter, members: writes };
      household = { ...needHousehold(load), address: survey.address, poorId: survey.poorId, legalSupporter: survey.legalSupporter };
      members = writes.map((m) => asMemberRow(m, row.householdId));
      event = { type: 'UPDATE_SURVEY', household: householdFacts(survey, ids), ...envelope };
    }
  } else if (input.type === 'PLACE') {
    const { facilityId, guardianId, appointedByTownship, reasonNotLegalSupporter, ...rest } = input;
    event = { ...rest, type: 'PLACE', ...placementFacts(load, row, req, { facilityId, guardianId, appointedByTownship, reasonNotLegalSupporter }, ctx), ...envelope } as CaseEvent;
  } else {
    event = { ...input, ...envelope } as CaseEvent;
  }

  const d = decide(s, event);
  if (!d.ok) throw refusal(d, input.type);
  const next = d.snapshot;

  // A replaced member list is enrolled afresh (the old members' rows, and so their enrolments, are deleted).
  const enrolment = replaceSurvey ? 'enrol' : enrolmentChange(d.before, d.after);
  if (enrolment === 'enrol' && !replaceSurvey) {
    // REOPEN: the case takes its people back, unless another open case took them meanwhile.
    const clashes = (load.clashes ?? []).filter((c) => c.caseId !== row.id);
    if (clashes.length > 0) refuseDuplicate(clashes, { meta, villageCode: row.villageCode, ownCaseId: row.id, action: 'REOPEN', at });
  }

  const previous = { deadlineKey: row.deadlineKey, deadlineAt: row.deadlineAt, applicationDeadlineAt: row.applicationDeadlineAt };
  const fields = mirror(next, at, previous, ctx);
  const timers = timerDiff(planTimers(s, previous), planTimers(next, fields));

  const memberCategories: CaseWrite['memberCategories'] = [];
  if (event.type === 'SUBMIT_SURVEY' && next.context.screening) {
    for (const m of next.context.screening.members) memberCategories.push({ id: m.memberId, categories: m.categories });
  }
  if (event.type === 'RECORD_ASSESSMENT') memberCategories.push({ id: event.assessment.memberId, categories: event.assessment.categories });
  if (memberCategories.length > 0) {
    const byId = new Map(memberCategories.map((m) => [m.id, [...new Set(m.categories)]]));
    members = members.map((m) => (byId.has(m.id) ? { ...m, categories: byId.get(m.id)! as MemberRow['categories'] } : m));
  }

  const revisit: CaseWrite['revisit'] =
    event.type === 'RECORD_REVISIT'
      ? {
          date: event.date, visitorId: event.actor.id, livingConditions: event.livingConditions, health: event.health,
          problems: event.problems ?? '', reassessmentNeeded: event.reassessmentNeeded,
          placementMode: next.context.placement?.mode ?? 'unknown', recordedAt: at,
          dueAt: row.deadlineKey === 'revisit' ? row.deadlineAt : null,
        }
      : null;

  const audit = nextAudit(row.id, { seq: row.auditSeq, hash: row.auditHead }, {
    eventType: input.type,
    payload: auditPayload((({ type: _t, ...payload }) => payload)(input), at),
    actorId: actor.id,
    actorRole: actor.role,
    stateBefore: d.before,
    stateAfter: d.after,
    machineVersion: CASE_MACHINE_VERSION,
    requestId: meta.requestId ?? null,
    clientRequestId: meta.clientRequestId ?? null,
    at,
  });

  const write: CaseWrite = {
    caseId: row.id,
    expectedRowVersion: row.rowVersion,
    fields,
    updatedAt: at,
    audit,
    timers,
    memberCategories,
    revisit,
    create: null,
    replaceSurvey,
    idempotency:
      req.idempotencyKey && hash
        ? { actorId: principal.id, key: req.idempotencyKey, requestHash: hash, statusCode: 200, response: { caseId: row.id }, createdAt: at }
        : null,
    enrolment,
  };
  const after: CaseRow = {
    ...row,
    ...fields,
    snapshot: fields.snapshot,
    rowVersion: row.rowVersion + 1,
    updatedAt: at,
    auditSeq: audit.seq,
    auditHead: audit.hash,
  };
  // The answer is built only when asked for (the scheduler's firings need none).
  return { kind: 'write', write, snapshot: next, row: after, view: () => caseView({ row: after, household: needHousehold({ household }), members, snapshot: next }, principal, at) };
}

/**
 * The facts PLACE is decided on, from rows the load locked: the facility with its occupancy counted from
 * current placements, or the guardian with their wards. Nobody can type in a free bed.
 */
function placementFacts(
  load: EventLoad,
  row: CaseRow,
  req: EventRequest,
  p: PlacementChoice,
  ctx: PlanContext,
): { facility?: FacilityFacts; guardian?: Guardian } {
  return placementFactsOf(
    { facility: load.facility, guardian: load.guardian, legalSupporterName: () => (needHousehold(load).legalSupporter as { name?: string } | null)?.name ?? null },
    { villageCode: row.villageCode, principal: req.meta.principal, path: 'body' },
    p,
    ctx,
  );
}

/** A placement as a client names it: registry ids, and what the officer attests. */
export interface PlacementChoice {
  facilityId?: string;
  guardianId?: string;
  appointedByTownship: boolean;
  reasonNotLegalSupporter?: string;
}

/**
 * The facility or guardian facts of a placement (PLACE, and onboarding's placement) from locked registry rows:
 * a facility in the caller's jurisdiction or the case's county, an active guardian of the case's county (the
 * legal supporter only when the household names them). `path` prefixes the field paths of refusals.
 */
export function placementFactsOf(
  l: {
    facility?: { facility: FacilityRow; occupied: number } | null;
    guardian?: { guardian: GuardianRow; wards: number } | null;
    legalSupporterName: () => string | null;
  },
  where: { villageCode: string; principal: CommandMeta['principal']; path: string },
  p: PlacementChoice,
  ctx: PlanContext,
): { facility?: FacilityFacts; guardian?: Guardian } {
  const out: { facility?: FacilityFacts; guardian?: Guardian } = {};
  const county = where.villageCode.slice(0, 6);
  if (p.facilityId) {
    const f = l.facility?.facility;
    // A facility in the caller's jurisdiction or in the case's county; others do not exist for this placement.
    if (!f || !(inJurisdiction(where.principal, f.regionCode) || f.regionCode.startsWith(county))) {
      throw errors.validationFailed([{ path: `${where.path}.facilityId`, message: "no such facility in your jurisdiction or the case's county" }]);
    }
    out.facility = {
      id: f.id, name: f.name, type: f.type, beds: f.beds, caregivers: f.caregivers, medicalStaff: f.medicalStaff,
      occupiedBeds: l.facility!.occupied, patientsPerMedicalStaff: f.patientsPerMedicalStaff ?? null,
    };
  }
  if (p.guardianId) {
    const g = l.guardian?.guardian;
    if (!g || !g.active || !g.regionCode.startsWith(county)) {
      throw errors.validationFailed([{ path: `${where.path}.guardianId`, message: 'no such active guardian in the county of this case' }]);
    }
    if (g.kind === 'legal_supporter' && l.legalSupporterName() !== g.name) {
      throw errors.guardFailed([{ rule: 'NOT_THE_LEGAL_SUPPORTER', message: `${g.name} is not this household's legal supporter on record`, messageZh: `${g.name}不是该户登记的法定赡养人` }]);
    }
    out.guardian = {
      id: g.id, name: g.name, kind: g.kind, phone: g.phone || undefined,
      reasonNotLegalSupporter: p.reasonNotLegalSupporter,
      appointedByTownship: p.appointedByTownship,
      currentWards: l.guardian!.wards,
      maxWards: g.maxWards ?? ctx.care.maxWardsPerGuardian,
    };
  }
  return out;
}
