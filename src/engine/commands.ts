/**
 * Commands: the only code that joins the machine and the database. One command = one transaction:
 * lock the case, migrate its snapshot if older, authorize, decide, then write the snapshot, the audit record
 * and the deadlines together. Nothing is written when anything refuses; the caller gets a stable error code.
 */
import { createHash } from 'node:crypto';
import {
  CASE_MACHINE_ID,
  CASE_MACHINE_VERSION,
  currentLevel,
  decide,
  loadCaseSnapshot,
  startCase,
  stateName,
  toPersisted,
  topState,
  type CaseEvent,
  type CaseSnapshot,
  type FacilityFacts,
  type Guardian,
} from '../../machines/index.js';
import { canonicalJson } from '../audit/hash.js';
import {
  appendAudit,
  countFacilityResidents,
  findIdempotency,
  findOpenCaseByIdNumbers,
  findRegion,
  guardianWards,
  insertRevisit,
  lockGuardian,
  insertCase,
  insertHousehold,
  insertIdempotency,
  loadHousehold,
  lockCase,
  lockFacility,
  replaceSurvey,
  updateCase,
  updateMemberCategories,
  type CaseRow,
  type Tx,
} from '../db/index.js';
import { errors, type AppError } from '../errors.js';
import { maskIdNumbers } from '../logger.js';
import { actorFor, assertCaseVisible, inJurisdiction } from './access.js';
import { computeDeadlines } from './deadlines.js';
import { planTimers, reconcileTimers } from './timerPlan.js';
import { parseEventInput, type AnyEventInput } from './eventInput.js';
import { checkMembers, householdFacts, type HouseholdInput } from './surveyInput.js';
import { defaultCarePolicy, type CommandMeta, type EngineDeps } from './types.js';

export interface SendOptions {
  /** If-Match: the row version the client last saw. */
  ifMatch?: number;
  idempotencyKey?: string;
}

export interface CommandResult {
  caseId: string;
  /** The stored status code of a replayed idempotent request is 200 as well. */
  replayed: boolean;
}

/** Audit payloads are the request as sent, with every ID number masked. */
const auditPayload = (value: unknown) => JSON.parse(maskIdNumbers(JSON.stringify(value ?? {})));

const requestHash = (caseId: string, body: unknown) => createHash('sha256').update(canonicalJson({ caseId, body })).digest('hex');

/** Member rows as the survey gives them (zod already dropped any field it does not know). */
function memberRows(input: HouseholdInput) {
  return input.members.map((m) => ({ ...m }));
}

export function createCommands(deps: EngineDeps) {
  const { db, clock } = deps;
  const care = deps.care ?? defaultCarePolicy;

  /** The columns that mirror the snapshot, for lists, inboxes and deadline queries. */
  function mirror(s: CaseSnapshot, at: Date, previous: Parameters<typeof computeDeadlines>[2]) {
    const state = stateName(s);
    const placement = s.context.placement;
    return {
      machineId: CASE_MACHINE_ID,
      machineVersion: CASE_MACHINE_VERSION,
      snapshot: toPersisted(s),
      state,
      reviewLevel: topState(s) === 'review' ? currentLevel(s.context) : null,
      closed: s.status === 'done',
      placementMode: s.status === 'done' ? null : (placement?.mode ?? null),
      facilityId: s.status === 'done' ? null : (placement?.facility?.id ?? null),
      guardianId: s.status === 'done' ? null : (placement?.guardian?.id ?? null),
      ...computeDeadlines(s, at, previous, { calendar: deps.calendar, policy: deps.deadlinePolicy }),
    };
  }

  async function assertNoOpenCaseFor(tx: Tx, idNumbers: string[], exceptCaseId?: string) {
    const clash = (await findOpenCaseByIdNumbers(tx, idNumbers)).find((c) => c.caseId !== exceptCaseId);
    if (clash) throw errors.duplicateResident(clash.caseId);
  }

  async function assertVillage(tx: Tx, meta: CommandMeta, villageCode: string) {
    const region = await findRegion(tx, villageCode);
    if (!region || region.level !== 'village') {
      throw errors.validationFailed([{ path: 'body.villageCode', message: 'not a known village code' }]);
    }
    if (!inJurisdiction(meta.principal, villageCode)) {
      throw errors.forbidden({ roles: ['enumerator'], jurisdiction: villageCode }, `village ${villageCode} is outside your jurisdiction ${meta.principal.region}`);
    }
  }

  /** POST /households: the survey creates the household, its members and a case in `survey`. */
  async function openCase(meta: CommandMeta, rawInput: HouseholdInput, opts: { idempotencyKey?: string } = {}): Promise<CommandResult> {
    const input = checkMembers(structuredClone(rawInput));
    actorFor(meta.principal, 'SUBMIT_SURVEY'); // only enumerators survey
    const key = opts.idempotencyKey;
    const hash = key ? requestHash('households', rawInput) : null;
    const run = () => db.transaction(async (tx) => {
      // A retried survey (the answer was lost) gets its case back instead of DUPLICATE_RESIDENT naming it.
      if (key) {
        const seen = await findIdempotency(tx, meta.principal.id, key);
        if (seen) {
          if (seen.requestHash !== hash || !seen.caseId) throw errors.idempotencyKeyReused(key);
          return { caseId: seen.caseId, replayed: true };
        }
      }
      await assertVillage(tx, meta, input.villageCode);
      await assertNoOpenCaseFor(tx, input.members.map((m) => m.idNumber));
      const at = clock.now();
      const { household, members } = await insertHousehold(
        tx,
        { villageCode: input.villageCode, address: input.address, poorId: input.poorId, legalSupporter: input.legalSupporter, createdBy: meta.principal.id },
        memberRows(input),
      );
      const caseId = crypto.randomUUID();
      const snapshot = startCase({
        caseId,
        policy: deps.casePolicy,
        household: householdFacts(input, members.map((m) => m.id)),
        createdBy: meta.principal.id,
        createdAt: at.toISOString(),
      });
      const fields = mirror(snapshot, at, null);
      await insertCase(tx, { id: caseId, householdId: household.id, villageCode: input.villageCode, openedAt: at, ...fields });
      await reconcileTimers(tx, caseId, planTimers(snapshot, fields));
      await appendAudit(tx, {
        caseId,
        eventType: 'OPEN_CASE',
        payload: auditPayload(input),
        actorId: meta.principal.id,
        actorRole: 'enumerator',
        stateBefore: null,
        stateAfter: stateName(snapshot),
        machineVersion: CASE_MACHINE_VERSION,
        requestId: meta.requestId ?? null,
        at,
      });
      if (key && hash) {
        const stored = await insertIdempotency(tx, { actorId: meta.principal.id, key, caseId, requestHash: hash, statusCode: 201, response: { caseId }, createdAt: at });
        if (!stored) throw new IdempotencyRace();
      }
      return { caseId, replayed: false };
    });
    try {
      return await run();
    } catch (e) {
      if (e instanceof IdempotencyRace) return run();
      throw e;
    }
  }

  /** Turns the client's event into the machine's, with facts looked up (and locked) where needed. */
  async function toMachineEvent(tx: Tx, row: CaseRow, s: CaseSnapshot, input: AnyEventInput, meta: CommandMeta, at: Date): Promise<CaseEvent> {
    const actor = actorFor(meta.principal, input.type);
    const envelope = { actor, at: at.toISOString() };
    if (input.type === 'UPDATE_SURVEY') {
      const household = checkMembers(structuredClone(input.household), 'body.household');
      if (topState(s) !== 'survey') return { type: 'UPDATE_SURVEY', household: s.context.household, ...envelope };
      if (household.villageCode !== row.villageCode) {
        throw errors.validationFailed([{ path: 'body.household.villageCode', message: 'a survey cannot move the household to another village; open a new case there' }]);
      }
      await assertNoOpenCaseFor(tx, household.members.map((m) => m.idNumber), row.id);
      const members = await replaceSurvey(
        tx,
        row.householdId,
        { address: household.address, poorId: household.poorId, legalSupporter: household.legalSupporter },
        memberRows(household),
      );
      return { type: 'UPDATE_SURVEY', household: householdFacts(household, members.map((m) => m.id)), ...envelope };
    }
    if (input.type === 'PLACE') {
      const { facilityId, guardianId, appointedByTownship, reasonNotLegalSupporter, ...rest } = input;
      return { ...rest, type: 'PLACE', ...(await placementFacts(tx, row, meta, { facilityId, guardianId, appointedByTownship, reasonNotLegalSupporter })), ...envelope } as CaseEvent;
    }
    return { ...input, ...envelope } as CaseEvent;
  }

  /**
   * The facts PLACE is decided on, looked up and locked: the facility's row (so racing placements queue for
   * its last bed) with occupancy counted from current placements, or the guardian's row with their wards.
   */
  async function placementFacts(
    tx: Tx,
    row: CaseRow,
    meta: CommandMeta,
    p: { facilityId?: string; guardianId?: string; appointedByTownship: boolean; reasonNotLegalSupporter?: string },
  ): Promise<{ facility?: FacilityFacts; guardian?: Guardian }> {
    const out: { facility?: FacilityFacts; guardian?: Guardian } = {};
    if (p.facilityId) {
      const f = await lockFacility(tx, p.facilityId);
      // A facility in the caller's jurisdiction or in the case's county; others do not exist for this placement.
      if (!f || !(inJurisdiction(meta.principal, f.regionCode) || f.regionCode.startsWith(row.villageCode.slice(0, 6)))) {
        throw errors.validationFailed([{ path: 'body.facilityId', message: 'no such facility in your jurisdiction or the case\'s county' }]);
      }
      out.facility = {
        id: f.id, name: f.name, type: f.type, beds: f.beds, caregivers: f.caregivers, medicalStaff: f.medicalStaff,
        occupiedBeds: await countFacilityResidents(tx, f.id, row.id), patientsPerMedicalStaff: f.patientsPerMedicalStaff ?? null,
      };
    }
    if (p.guardianId) {
      const g = await lockGuardian(tx, p.guardianId);
      if (!g || !g.active || !g.regionCode.startsWith(row.villageCode.slice(0, 6))) {
        throw errors.validationFailed([{ path: 'body.guardianId', message: 'no such active guardian in the county of this case' }]);
      }
      if (g.kind === 'legal_supporter') {
        const hh = await loadHousehold(tx, row.householdId);
        if (hh?.household.legalSupporter?.name !== g.name) {
          throw errors.guardFailed([{ rule: 'NOT_THE_LEGAL_SUPPORTER', message: `${g.name} is not this household's legal supporter on record` }]);
        }
      }
      const wards = (await guardianWards(tx, [g.id], row.id)).get(g.id) ?? 0;
      out.guardian = {
        id: g.id, name: g.name, kind: g.kind, phone: g.phone || undefined,
        reasonNotLegalSupporter: p.reasonNotLegalSupporter,
        appointedByTownship: p.appointedByTownship,
        currentWards: wards,
        maxWards: g.maxWards ?? care.maxWardsPerGuardian,
      };
    }
    return out;
  }

  function refusal(d: Exclude<ReturnType<typeof decide>, { ok: true }>, type: string): AppError {
    if (d.refusal === 'EVENT_NOT_ALLOWED') return errors.eventNotAllowed({ state: d.state, event: type, allowedEvents: d.allowedEvents });
    const [first] = d.violations;
    if (first.kind === 'authorization') return errors.forbidden({}, first.message);
    if (first.kind === 'state') return errors.eventNotAllowed({ state: d.state, event: type, allowedEvents: [] });
    return errors.guardFailed(d.violations.map(({ rule, message }) => ({ rule, message })));
  }

  /** After the machine accepted: table rows that mirror what the event established. */
  async function sideEffects(tx: Tx, s: CaseSnapshot, event: CaseEvent) {
    if (event.type === 'SUBMIT_SURVEY' && s.context.screening) {
      for (const m of s.context.screening.members) await updateMemberCategories(tx, m.memberId, m.categories);
    }
    if (event.type === 'RECORD_ASSESSMENT') {
      await updateMemberCategories(tx, event.assessment.memberId, event.assessment.categories);
    }
    if (event.type === 'RECORD_REVISIT') {
      await insertRevisit(tx, {
        caseId: s.context.caseId, date: event.date, visitorId: event.actor.id, livingConditions: event.livingConditions,
        health: event.health, problems: event.problems ?? '', reassessmentNeeded: event.reassessmentNeeded,
        placementMode: s.context.placement?.mode ?? 'unknown', recordedAt: new Date(event.at),
      });
    }
  }

  /**
   * One event on one case inside the caller's transaction: the scheduler fires timers through this, in the
   * same transaction in which it marks the timer done.
   */
  async function applyEvent(tx: Tx, meta: CommandMeta, caseId: string, input: AnyEventInput, body: unknown, opts: SendOptions = {}): Promise<CommandResult> {
    const row = await lockCase(tx, caseId);
    if (!row) throw errors.caseNotFound(caseId);
    assertCaseVisible(meta.principal, caseId, row.villageCode);

    const hash = opts.idempotencyKey ? requestHash(caseId, body) : null;
    if (opts.idempotencyKey) {
      const seen = await findIdempotency(tx, meta.principal.id, opts.idempotencyKey);
      if (seen) {
        if (seen.requestHash !== hash || seen.caseId !== caseId) throw errors.idempotencyKeyReused(opts.idempotencyKey);
        return { caseId, replayed: true };
      }
    }
    if (opts.ifMatch !== undefined && opts.ifMatch !== row.rowVersion) throw errors.versionConflict(opts.ifMatch, row.rowVersion);

    const { snapshot } = loadCaseSnapshot({ machineId: row.machineId, machineVersion: row.machineVersion, snapshot: row.snapshot });
    const at = clock.now();
    const event = await toMachineEvent(tx, row, snapshot, input, meta, at);
    const d = decide(snapshot, event);
    if (!d.ok) throw refusal(d, input.type);

    const previous = { deadlineKey: row.deadlineKey, deadlineAt: row.deadlineAt, applicationDeadlineAt: row.applicationDeadlineAt };
    const fields = mirror(d.snapshot, at, previous);
    if (!(await updateCase(tx, caseId, { ...fields, updatedAt: at }, row.rowVersion))) {
      throw errors.versionConflict(row.rowVersion, row.rowVersion + 1);
    }
    await sideEffects(tx, d.snapshot, event);
    await reconcileTimers(tx, caseId, planTimers(d.snapshot, fields));
    await appendAudit(tx, {
      caseId,
      eventType: input.type,
      payload: auditPayload((({ type: _t, ...payload }) => payload)(input)),
      actorId: event.actor.id,
      actorRole: event.actor.role,
      stateBefore: d.before,
      stateAfter: d.after,
      machineVersion: CASE_MACHINE_VERSION,
      requestId: meta.requestId ?? null,
      at,
    });
    if (opts.idempotencyKey && hash) {
      const stored = await insertIdempotency(tx, {
        actorId: meta.principal.id, key: opts.idempotencyKey, caseId, requestHash: hash, statusCode: 200, response: { caseId }, createdAt: at,
      });
      // Another request with this key committed first while we waited: roll back and replay its answer.
      if (!stored) throw new IdempotencyRace();
    }
    return { caseId, replayed: false };
  }

  /** POST /cases/:id/events: one transaction per command. */
  async function sendEvent(meta: CommandMeta, caseId: string, body: unknown, opts: SendOptions = {}): Promise<CommandResult> {
    const input = parseEventInput(body);
    const run = () => db.transaction((tx) => applyEvent(tx, meta, caseId, input, body, opts));
    try {
      return await run();
    } catch (e) {
      if (e instanceof IdempotencyRace) return run();
      throw e;
    }
  }

  return { openCase, sendEvent, applyEvent };
}

class IdempotencyRace extends Error {}

export type Commands = ReturnType<typeof createCommands>;
