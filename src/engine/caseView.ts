/**
 * A case as one caller may see it: the read path (GET /cases/:id) and the command path (the answer to an
 * event, built from the command's own plan, with no read after COMMIT) share this one function, so both
 * answer alike. Pure: rows and snapshot in, view out.
 */
import {
  allowedEventsFor,
  CASE_MACHINE_VERSION,
  currentLevel,
  eventTypes,
  stateLabel,
  topState,
  waitsOn,
  type CaseSnapshot,
} from '../../machines/index.js';
import type { CaseSummary, HouseholdRow, MemberRow } from '../db/index.js';
import { actorsOf } from './access.js';
import { maskDeep, memberIdentity, seesIdentity } from './identity.js';
import type { Principal } from './types.js';

export function summary(c: CaseSummary) {
  return {
    id: c.id,
    // The readable number people see and type (411282-2026-000123); the id stays the API's key.
    caseNumber: c.caseNumber,
    householdId: c.householdId,
    state: c.state,
    reviewLevel: c.reviewLevel,
    villageCode: c.villageCode,
    townshipCode: c.townshipCode,
    countyCode: c.countyCode,
    rowVersion: c.rowVersion,
    deadline: c.deadlineKey ? { key: c.deadlineKey, at: c.deadlineAt?.toISOString() ?? null } : null,
    applicationDeadlineAt: c.applicationDeadlineAt?.toISOString() ?? null,
    placementMode: c.placementMode,
    facilityId: c.facilityId,
    closed: c.closed,
    openedAt: c.openedAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export interface CaseViewInput {
  row: CaseSummary & { machineId: string; machineVersion: number };
  household: HouseholdRow;
  members: readonly MemberRow[];
  snapshot: CaseSnapshot;
}

export function caseView(v: CaseViewInput, principal: Principal, now: Date) {
  const { row, household, snapshot } = v;
  const allowed = new Set(actorsOf(principal).flatMap((a) => allowedEventsFor(snapshot, a, now.toISOString())));
  const c = snapshot.context;
  const showIds = seesIdentity(principal);
  const view = {
    ...summary(row),
    stateLabel: stateLabel(snapshot),
    waitsOn: waitsOn(snapshot),
    machine: { id: row.machineId, version: CASE_MACHINE_VERSION, storedVersion: row.machineVersion },
    allowedEvents: eventTypes.filter((t) => allowed.has(t)),
    household: {
      id: household.id,
      villageCode: household.villageCode,
      address: household.address,
      poorId: household.poorId,
      legalSupporter: household.legalSupporter,
      members: v.members.map((m) => ({
        id: m.id,
        name: m.name,
        // Full number and birth date for the roles that work with identity; else masked, and age only.
        ...memberIdentity(m, showIds, now),
        sex: m.sex,
        relation: m.relation,
        labourCapacity: m.labourCapacity,
        disabilities: m.disabilities,
        seriousIllness: m.seriousIllness,
        severeMentalDisorder: m.severeMentalDisorder,
        selfCare: m.selfCare,
        categories: m.categories,
      })),
    },
    screening: c.screening,
    evaluation: c.evaluation,
    review: topState(snapshot) === 'review' || c.review.round > 0 ? { ...c.review, level: currentLevel(c), chain: c.policy.reviewChain } : null,
    lastDecision: c.lastDecision,
    publicity: c.publicity,
    rejection: c.rejection,
    approvedAt: c.approvedAt,
    placement: c.placement,
    revisits: c.revisits,
    reassessment: c.reassessment,
    exit: c.exit,
    /** Set when the case was onboarded from the old paper process (存量纳入): the legacy approval and its source. */
    onboarding: c.onboarding,
  };
  // Free text (evidence, notes, objections, reasons) may hold a number someone typed: masked for the others.
  return showIds ? view : maskDeep(view);
}

export type CaseView = ReturnType<typeof caseView>;
