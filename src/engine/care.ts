/**
 * Care after approval (三个一批), around the case machine: the facility and guardian registries with their
 * derived loads, and the revisit log. Capacity is never typed in: a facility's residents are the members of
 * the open cases placed there, a guardian's wards the open cases naming them.
 */
import { z } from 'zod';
import { facilityTypes, guardianKinds, isoDate } from '../../machines/index.js';
import {
  enqueueDeliveries,
  facilityOccupancy,
  findCase,
  lockGuardian,
  findUsersCovering,
  guardianWards,
  insertFacility,
  insertGuardian,
  insertNotifications,
  listDueRevisits,
  listFacilities,
  listGuardians,
  listRevisits,
  lockFacility,
  updateFacility,
  updateGuardian,
  webhooksCovering,
  type FacilityRow,
  type GuardianRow,
  type Tx,
} from '../db/index.js';
import { maskDeep, seesIdentity } from './identity.js';
import { errors } from '../errors.js';
import { assertCaseVisible, inJurisdiction } from './access.js';
import { summary } from './queries.js';
import { defaultCarePolicy, type EngineDeps, type Principal } from './types.js';

const regionCode12 = z.string().regex(/^\d{12}$/, 'expected a 12-digit region code');
const count = (what: string) => z.number().int(`${what} is a whole number`).min(0, `${what} cannot be negative`).max(100_000);

export const facilityInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be blank').max(200),
  type: z.enum(facilityTypes),
  regionCode: regionCode12,
  beds: count('beds'),
  caregivers: count('caregivers'),
  medicalStaff: count('medicalStaff').default(0),
  patientsPerMedicalStaff: z.number().int().min(1).max(1000).nullable().default(null),
});
export const facilityPatchSchema = facilityInputSchema.omit({ type: true, regionCode: true }).partial();

export const guardianInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be blank').max(100),
  kind: z.enum(guardianKinds),
  regionCode: z.string().regex(/^(\d{9}|\d{12})$/, 'expected the 9-digit township or 12-digit village code where the guardian lives'),
  phone: z.string().trim().regex(/^[0-9+\- ]{5,20}$/, 'expected a phone number').optional(),
  maxWards: z.number().int().min(1).max(50).nullable().default(null),
});
export const guardianPatchSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  phone: z.string().trim().regex(/^[0-9+\- ]{5,20}$/, 'expected a phone number').optional(),
  maxWards: z.number().int().min(1).max(50).nullable().optional(),
  active: z.boolean().optional(),
});

export const revisitInputSchema = z.strictObject({
  date: isoDate,
  livingConditions: z.string().trim().min(1, 'livingConditions must not be blank').max(4000),
  health: z.string().trim().min(1, 'health must not be blank').max(4000),
  problems: z.string().trim().max(4000).default(''),
  reassessmentNeeded: z.boolean(),
});

const DAY = 86_400_000;

export function createCare(deps: EngineDeps) {
  const { db, clock } = deps;
  const care = deps.care ?? defaultCarePolicy;
  const maxPerCaregiver = deps.casePolicy.maxResidentsPerCaregiver;

  function facilityView(f: FacilityRow, residents: number) {
    const ratio = f.caregivers > 0 ? residents / f.caregivers : null;
    const isCare = f.type === 'nursing_home' || f.type === 'resettlement_site' || f.type === 'mutual_aid_center';
    return {
      id: f.id, name: f.name, type: f.type, regionCode: f.regionCode, beds: f.beds, caregivers: f.caregivers,
      medicalStaff: f.medicalStaff, patientsPerMedicalStaff: f.patientsPerMedicalStaff,
      residents,
      freeBeds: Math.max(0, f.beds - residents),
      residentsPerCaregiver: ratio === null ? null : Math.round(ratio * 100) / 100,
      // A care facility above the ratio (e.g. after a caregiver left) is flagged until it is staffed again.
      breach: isCare && residents > 0 && (f.caregivers === 0 || residents > f.caregivers * maxPerCaregiver),
    };
  }

  function assertAdminOver(p: Principal, regionCode: string, path: string) {
    if (!inJurisdiction(p, regionCode)) throw errors.validationFailed([{ path, message: `outside your jurisdiction ${p.region}` }]);
  }

  async function facilities(p: Principal, q: { type?: FacilityRow['type'] }) {
    const rows = await listFacilities(db, { regionPrefix: p.region.slice(0, 6), type: q.type });
    const occupied = await facilityOccupancy(db, rows.map((f) => f.id));
    return rows.map((f) => facilityView(f, occupied.get(f.id) ?? 0));
  }

  async function createFacility(p: Principal, input: z.infer<typeof facilityInputSchema>) {
    assertAdminOver(p, input.regionCode, 'body.regionCode');
    const f = await insertFacility(db, input);
    return facilityView(f, 0);
  }

  /** Notifies the supervisors over a facility that it breaches the caregiver ratio (same transaction). */
  async function notifyBreach(tx: Tx, view: ReturnType<typeof facilityView>) {
    const users = await findUsersCovering(tx, { villageCode: view.regionCode, role: 'supervisor' });
    const at = clock.now();
    const title = `${view.name}护理人员不足：${view.residents}名供养对象，${view.caregivers}名护理员（每名护理员最多${maxPerCaregiver}人）`;
    const data = { facilityId: view.id, residents: view.residents, caregivers: view.caregivers };
    await insertNotifications(tx, users.map((u) => ({ userId: u.id, kind: 'facility_ratio_breach', title, body: title, data, createdAt: at })));
    const hooks = await webhooksCovering(tx, view.regionCode);
    await enqueueDeliveries(tx, hooks.map((h) => ({ webhookId: h.id, payload: { id: `facility-${view.id}-${at.getTime()}`, kind: 'facility_ratio_breach', title, ...data, firedAt: at.toISOString() }, nextAttemptAt: at })));
    return users.length;
  }

  async function patchFacility(p: Principal, id: string, patch: z.infer<typeof facilityPatchSchema>) {
    return db.transaction(async (tx) => {
      const f = await lockFacility(tx, id);
      if (!f || !inJurisdiction(p, f.regionCode)) throw errors.notFound(`No facility ${id}`);
      const residents = (await facilityOccupancy(tx, [id])).get(id) ?? 0;
      if (patch.beds !== undefined && patch.beds < residents) {
        throw errors.validationFailed([{ path: 'body.beds', message: `${residents} people live here: beds cannot be fewer` }]);
      }
      const before = facilityView(f, residents);
      const updated = await updateFacility(tx, id, { ...patch, updatedAt: clock.now() });
      const view = facilityView(updated!, residents);
      const notified = view.breach && !before.breach ? await notifyBreach(tx, view) : 0;
      return { ...view, supervisorsNotified: notified };
    });
  }

  function guardianView(g: GuardianRow, wards: number) {
    const maxWards = g.maxWards ?? care.maxWardsPerGuardian;
    return { id: g.id, name: g.name, kind: g.kind, regionCode: g.regionCode, phone: g.phone, active: g.active, wards, maxWards, freeSlots: Math.max(0, maxWards - wards) };
  }

  async function guardians(p: Principal, q: { kind?: GuardianRow['kind'] }) {
    const rows = await listGuardians(db, { regionPrefix: p.region, kind: q.kind });
    const wards = await guardianWards(db, rows.map((g) => g.id));
    return rows.map((g) => guardianView(g, wards.get(g.id) ?? 0));
  }

  async function createGuardian(p: Principal, input: z.infer<typeof guardianInputSchema>) {
    assertAdminOver(p, input.regionCode, 'body.regionCode');
    const g = await insertGuardian(db, { ...input, phone: input.phone ?? '', createdBy: p.id });
    return guardianView(g, 0);
  }

  /**
   * The guardian's row is locked while its wards are counted and the change written (as PLACE locks it), so a
   * placement racing a lower maximum either counts under the new maximum or is counted by this check.
   */
  async function patchGuardian(p: Principal, id: string, patch: z.infer<typeof guardianPatchSchema>) {
    return db.transaction(async (tx) => {
      const g = await lockGuardian(tx, id);
      if (!g || !inJurisdiction(p, g.regionCode)) throw errors.notFound(`No guardian ${id}`);
      const wards = (await guardianWards(tx, [id])).get(id) ?? 0;
      if (patch.maxWards != null && patch.maxWards < wards) {
        throw errors.validationFailed([{ path: 'body.maxWards', message: `the guardian has ${wards} wards now: the maximum cannot be lower` }]);
      }
      const updated = Object.values(patch).some((v) => v !== undefined) ? await updateGuardian(tx, id, patch) : g; // {} changes nothing (and drizzle refuses an empty SET)
      return guardianView(updated!, wards);
    });
  }

  async function revisitHistory(p: Principal, caseId: string) {
    const row = await findCase(db, caseId);
    if (!row) throw errors.caseNotFound(caseId);
    assertCaseVisible(p, caseId, row.villageCode);
    const history = (await listRevisits(db, caseId)).map((r) => ({
      id: r.id, date: r.date, visitorId: r.visitorId, livingConditions: r.livingConditions, health: r.health,
      problems: r.problems, reassessmentNeeded: r.reassessmentNeeded, placementMode: r.placementMode, recordedAt: r.recordedAt.toISOString(),
    }));
    // Free text may hold an ID number someone typed: masked for roles without the identity right.
    return seesIdentity(p) ? history : maskDeep(history);
  }

  /** The placed cases whose next revisit is due within `withinDays`, in the caller's villages; overdue ones first. */
  async function revisitsDue(p: Principal, q: { withinDays: number; limit: number }) {
    const dueBy = new Date(clock.now().getTime() + q.withinDays * DAY);
    return (await listDueRevisits(db, { jurisdictionPrefix: p.region, dueBy, limit: q.limit })).map(summary);
  }

  return { facilities, createFacility, patchFacility, guardians, createGuardian, patchGuardian, revisitHistory, revisitsDue };
}
