/**
 * The plan of an onboarding batch (存量纳入): for each household, the survey's checks, the village and the
 * caller's jurisdiction, one open case per resident (against open cases and within the batch), the placement's
 * registry facts (PLACE's lookup, with the batch's own earlier households counted in the facility's residents and
 * the guardian's wards), then the machine's ONBOARD decision on a case opened at the same instant — and the
 * write of a new case (the survey's CaseWrite, with its genesis audit record naming the import). Pure.
 *
 * All or nothing: any refused household refuses the batch, every refusal reported by household index.
 */
import {
  CASE_MACHINE_VERSION,
  decide,
  startCase,
  stateName,
  type CaseEvent,
  type OnboardingPlacement,
  type Provenance,
} from '../../../machines/index.js';
import type { CaseWrite } from '../../db/commandWrites.js';
import type { OnboardingLoad } from '../../db/onboardingSql.js';
import { AppError, errors } from '../../errors.js';
import { actorFor, inJurisdiction } from '../access.js';
import { householdFacts } from '../surveyInput.js';
import { planTimers } from '../timerPlan.js';
import type { CommandMeta } from '../types.js';
import { memberWrites, placementFactsOf } from '../plan/event.js';
import { RecordedRefusal, refuseDuplicate, type DuplicateAlert } from '../plan/residents.js';
import { auditPayload, mirror, nextAudit, refusal, type PlanContext } from '../plan/shared.js';
import { memberProblems, surveyPart, type OnboardHouseholdInput } from './input.js';

/** Where the batch came from: the API, or an import job's file (named in every genesis audit record). */
export interface OnboardSource extends Provenance {
  fileName: string | null;
}

export interface OnboardRequest {
  meta: CommandMeta;
  households: readonly OnboardHouseholdInput[];
  source: OnboardSource;
  at: Date;
  /** Draws a new id (the caller's randomUUID). */
  newId: () => string;
  /** Field paths of refusals: `${path}[i]...` (body.households for the API). */
  path: string;
}

export interface OnboardedCase {
  household: number;
  caseId: string;
  state: string;
}

export type OnboardPlan =
  /** `alerts`: duplicates hitting cases outside the caller's jurisdiction, for those cases' supervisors. */
  | { kind: 'refused'; refused: { household: number; error: AppError }[]; alerts: DuplicateAlert[] }
  | { kind: 'write'; writes: CaseWrite[]; cases: OnboardedCase[] };

export function planOnboarding(load: OnboardingLoad, req: OnboardRequest, ctx: PlanContext): OnboardPlan {
  const { principal } = req.meta;
  const actor = actorFor(principal, 'ONBOARD'); // officers and admins only: refused before anything else
  const at = req.at;
  const refused: { household: number; error: AppError }[] = [];
  const alerts: DuplicateAlert[] = [];
  const writes: CaseWrite[] = [];
  const cases: OnboardedCase[] = [];
  // The batch's own households count against facilities and guardians like committed placements do.
  const addedResidents = new Map<string, number>();
  const addedWards = new Map<string, number>();
  const seen = new Map<string, string>(); // ID number → where it first appears in the batch

  req.households.forEach((h, i) => {
    const path = `${req.path}[${i}]`;
    try {
      const bad = memberProblems(h, path);
      if (bad) throw bad;
      if (load.regions.get(h.villageCode) !== 'village') {
        throw errors.validationFailed([{ path: `${path}.villageCode`, message: 'not a known village code', messageZh: '不是已知的村（社区）区划代码' }]);
      }
      if (!inJurisdiction(principal, h.villageCode)) {
        throw errors.forbidden({ roles: ['officer', 'admin'], jurisdiction: h.villageCode }, `village ${h.villageCode} is outside your jurisdiction ${principal.region}`);
      }
      const twice = h.members.flatMap((m, j) => {
        const first = seen.get(m.idNumber);
        return first ? [{ path: `${path}.members[${j}].idNumber`, message: `the same person as ${first}`, messageZh: `与本批次 ${first} 是同一人` }] : [];
      });
      if (twice.length > 0) throw errors.validationFailed(twice);
      h.members.forEach((m, j) => seen.set(m.idNumber, `${path}.members[${j}]`));
      const ids = new Set(h.members.map((m) => m.idNumber));
      const clashes = load.clashes.filter((c) => ids.has(c.idNumber));
      if (clashes.length > 0) refuseDuplicate(clashes, { meta: req.meta, villageCode: h.villageCode, ownCaseId: null, action: 'SURVEY', at });

      const caseId = req.newId();
      const householdId = req.newId();
      const memberIds = h.members.map(() => req.newId());
      const survey = surveyPart(h);
      const placement = h.placement && placementOf(h, load, { addedResidents, addedWards }, principal, `${path}.placement`, ctx);
      const opened = startCase({ caseId, policy: ctx.casePolicy, household: householdFacts(survey, memberIds), createdBy: principal.id, createdAt: at.toISOString() });
      const event: CaseEvent = {
        type: 'ONBOARD',
        approvedOn: h.approvedOn,
        legacyReference: h.legacyReference,
        categories: h.members.map((m, j) => ({ memberId: memberIds[j], categories: m.categories })),
        placement,
        lastRevisitDate: h.lastRevisitDate,
        provenance: { source: req.source.source, fileSha256: req.source.fileSha256, jobId: req.source.jobId },
        actor,
        at: at.toISOString(),
      };
      const d = decide(opened, event);
      if (!d.ok) throw refusal(d, 'ONBOARD');
      const next = d.snapshot;
      if (placement?.facility) addedResidents.set(placement.facility.id, (addedResidents.get(placement.facility.id) ?? 0) + h.members.length);
      if (placement?.guardian?.id) addedWards.set(placement.guardian.id, (addedWards.get(placement.guardian.id) ?? 0) + 1);

      const fields = mirror(next, at, null, ctx);
      const members = memberWrites(survey, memberIds, at).map((m, j) => ({ ...m, categories: [...new Set(h.members[j].categories)] }));
      const audit = nextAudit(caseId, { seq: 0, hash: null }, {
        eventType: 'ONBOARD',
        // What was onboarded (ID numbers masked, ages for birth dates) and from where: the import's file and job.
        payload: auditPayload({ ...h, imported: { source: req.source.source, fileName: req.source.fileName, fileSha256: req.source.fileSha256, jobId: req.source.jobId } }, at),
        actorId: actor.id,
        actorRole: actor.role,
        stateBefore: null,
        stateAfter: d.after,
        machineVersion: CASE_MACHINE_VERSION,
        requestId: req.meta.requestId ?? null,
        clientRequestId: req.meta.clientRequestId ?? null,
        at,
      });
      writes.push({
        caseId,
        expectedRowVersion: null,
        fields,
        updatedAt: at,
        audit,
        timers: { cancelKeys: [], insert: planTimers(next, fields) },
        memberCategories: [],
        revisit: null,
        create: {
          household: {
            id: householdId, villageCode: h.villageCode, address: h.address, poorId: h.poorId ?? null,
            legalSupporter: h.legalSupporter ?? null, createdBy: principal.id, createdAt: at,
          },
          members,
          openedAt: at,
        },
        replaceSurvey: null,
        idempotency: null,
        enrolment: 'enrol',
      });
      cases.push({ household: i, caseId, state: stateName(next) });
    } catch (e) {
      if (e instanceof RecordedRefusal) {
        refused.push({ household: i, error: e.refusal });
        alerts.push(...e.alerts);
      }
      else if (e instanceof AppError) refused.push({ household: i, error: e });
      else throw e;
    }
  });
  return refused.length > 0 ? { kind: 'refused', refused, alerts } : { kind: 'write', writes, cases };
}

/** The machine's placement facts from the registry rows the load locked, counting the batch's earlier households. */
function placementOf(
  h: OnboardHouseholdInput,
  load: OnboardingLoad,
  added: { addedResidents: Map<string, number>; addedWards: Map<string, number> },
  principal: CommandMeta['principal'],
  path: string,
  ctx: PlanContext,
): OnboardingPlacement {
  const p = h.placement!;
  const f = p.facilityId ? load.facilities.get(p.facilityId) : undefined;
  const g = p.guardianId ? load.guardians.get(p.guardianId) : undefined;
  const facts = placementFactsOf(
    {
      facility: f && { ...f, occupied: f.occupied + (added.addedResidents.get(f.facility.id) ?? 0) },
      guardian: g && { ...g, wards: g.wards + (added.addedWards.get(g.guardian.id) ?? 0) },
      legalSupporterName: () => h.legalSupporter?.name ?? null,
    },
    { villageCode: h.villageCode, principal, path },
    p,
    ctx,
  );
  return { mode: p.mode, startDate: p.startDate, ...facts, ...(p.agreement && { agreement: p.agreement }) };
}
