/**
 * The plan of a survey (POST /households): a household, its members and a case in `survey`, from what the
 * load brought (the village, the caller's idempotency record, open cases of the same people). Pure.
 */
import { CASE_MACHINE_VERSION, startCase, stateName, type CaseSnapshot } from '../../../machines/index.js';
import type { ResidentClash } from '../../db/commandSql.js';
import type { CaseWrite } from '../../db/commandWrites.js';
import type { CaseRow, HouseholdRow, IdempotencyRow, MemberRow } from '../../db/index.js';
import { errors } from '../../errors.js';
import { actorFor, inJurisdiction } from '../access.js';
import { caseView, type CaseView } from '../caseView.js';
import { householdFacts, type HouseholdInput } from '../surveyInput.js';
import { planTimers } from '../timerPlan.js';
import type { CommandMeta } from '../types.js';
import { memberWrites } from './event.js';
import { refuseDuplicate } from './residents.js';
import { auditPayload, mirror, nextAudit, type PlanContext } from './shared.js';

export interface SurveyLoad {
  region: { code: string; level: string } | null;
  idempotency: IdempotencyRow | null;
  clashes: ResidentClash[];
}

export interface SurveyRequest {
  meta: CommandMeta;
  /** Already checked (checkMembers): ID numbers valid and upper-cased. */
  input: HouseholdInput;
  idempotencyKey?: string;
  requestHash: string | null;
  at: Date;
  ids: { caseId: string; householdId: string; memberIds: string[] };
  /** A household from a bulk import: its audit record names the import (job, file, SHA-256, importer). */
  source?: { jobId: string; kind: string; fileName: string; sha256: string; rows: readonly number[] };
}

export type SurveyPlan =
  | { kind: 'replay'; caseId: string }
  /** `view`: the answer, given the case number the write took (the plan cannot know it: see commandWrites.ts). */
  | {
      kind: 'write';
      write: CaseWrite;
      view: (caseNumber: string) => CaseView;
      snapshot: CaseSnapshot;
      /** The rows as written (the case, its household, its members): what a next event on the new case loads. */
      rows: (caseNumber: string) => { row: CaseRow; household: HouseholdRow; members: MemberRow[] };
    };

export function planSurvey(load: SurveyLoad, req: SurveyRequest, ctx: PlanContext): SurveyPlan {
  const { principal } = req.meta;
  const actor = actorFor(principal, 'SUBMIT_SURVEY'); // only enumerators survey
  const { input, at, ids } = req;
  // A retried survey (the answer was lost) gets its case back instead of DUPLICATE_RESIDENT naming it.
  if (req.idempotencyKey && load.idempotency) {
    if (load.idempotency.requestHash !== req.requestHash || !load.idempotency.caseId) throw errors.idempotencyKeyReused(req.idempotencyKey);
    return { kind: 'replay', caseId: load.idempotency.caseId };
  }
  if (!load.region || load.region.level !== 'village') {
    throw errors.validationFailed([{ path: 'body.villageCode', message: 'not a known village code' }]);
  }
  if (!inJurisdiction(principal, input.villageCode)) {
    throw errors.forbidden({ roles: ['enumerator'], jurisdiction: input.villageCode }, `village ${input.villageCode} is outside your jurisdiction ${principal.region}`);
  }
  if (load.clashes.length > 0) refuseDuplicate(load.clashes, { meta: req.meta, villageCode: input.villageCode, ownCaseId: null, action: 'SURVEY', at });

  const snapshot = startCase({
    caseId: ids.caseId,
    policy: ctx.casePolicy,
    household: householdFacts(input, ids.memberIds),
    createdBy: principal.id,
    createdAt: at.toISOString(),
  });
  const fields = mirror(snapshot, at, null, ctx);
  const members = memberWrites(input, ids.memberIds, at);
  const household = {
    id: ids.householdId, villageCode: input.villageCode, address: input.address, poorId: input.poorId ?? null,
    legalSupporter: input.legalSupporter ?? null, createdBy: principal.id, createdAt: at,
  };
  const audit = nextAudit(ids.caseId, { seq: 0, hash: null }, {
    eventType: 'OPEN_CASE',
    payload: req.source ? { ...(auditPayload(input, at) as Record<string, unknown>), import: req.source } : auditPayload(input, at),
    actorId: principal.id,
    actorRole: actor.role,
    stateBefore: null,
    stateAfter: stateName(snapshot),
    machineVersion: CASE_MACHINE_VERSION,
    requestId: req.meta.requestId ?? null,
    clientRequestId: req.meta.clientRequestId ?? null,
    at,
  });
  const write: CaseWrite = {
    caseId: ids.caseId,
    expectedRowVersion: null,
    fields,
    updatedAt: at,
    audit,
    timers: { cancelKeys: [], insert: planTimers(snapshot, fields) },
    memberCategories: [],
    revisit: null,
    create: { household, members, openedAt: at },
    replaceSurvey: null,
    idempotency:
      req.idempotencyKey && req.requestHash
        ? { actorId: principal.id, key: req.idempotencyKey, requestHash: req.requestHash, statusCode: 201, response: { caseId: ids.caseId }, createdAt: at }
        : null,
    enrolment: 'enrol',
  };
  const rows = (caseNumber: string) => {
    const row: CaseRow = {
      id: ids.caseId, householdId: ids.householdId, ...fields, snapshot: fields.snapshot, rowVersion: 1,
      villageCode: input.villageCode, townshipCode: input.villageCode.slice(0, 9), countyCode: input.villageCode.slice(0, 6),
      openedAt: at, updatedAt: at, auditSeq: 1, auditHead: audit.hash, caseNumber,
    };
    return {
      row,
      household: household as unknown as HouseholdRow,
      members: members.map((m) => ({ ...m, householdId: ids.householdId }) as unknown as MemberRow),
    };
  };
  const view = (caseNumber: string) => caseView({ ...rows(caseNumber), snapshot }, principal, at);
  return { kind: 'write', write, view, snapshot, rows };
}
