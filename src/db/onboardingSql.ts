/**
 * The load of an onboarding batch (src/engine/onboarding/): one statement that brings everything the plan
 * reads, after the locks on every facility and guardian the batch places people with. As for PLACE
 * (commandSql.ts): the locks go first in the same round trip, so the load's snapshot is taken after they were
 * granted and counts every placement committed before — two batches filling the same facility go one after
 * the other, and the second sees the first's residents. Locks are taken in id order (no deadlock between batches).
 */
import type { FacilityRow, GuardianRow } from './schema.js';
import { docOf, type Row, type Stmt } from './session.js';
import type { ResidentClash } from './commandSql.js';

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function rowOf<T>(o: Record<string, unknown>, dates: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[camel(k)] = v;
  for (const d of dates) if (typeof out[d] === 'string') out[d] = new Date(out[d] as string);
  return out as T;
}

export function lockRegistryStmts(facilityIds: readonly string[], guardianIds: readonly string[]): Stmt[] {
  const out: Stmt[] = [];
  const f = [...new Set(facilityIds)].sort();
  const g = [...new Set(guardianIds)].sort();
  if (f.length > 0) out.push({ text: 'select id from facilities where id in (select jsonb_array_elements_text($1::text::jsonb)::uuid) order by id for update', params: [JSON.stringify(f)] });
  if (g.length > 0) out.push({ text: 'select id from guardians where id in (select jsonb_array_elements_text($1::text::jsonb)::uuid) order by id for update', params: [JSON.stringify(g)] });
  return out;
}

export interface OnboardingLoad {
  regions: Map<string, string>;
  clashes: ResidentClash[];
  facilities: Map<string, { facility: FacilityRow; occupied: number }>;
  guardians: Map<string, { guardian: GuardianRow; wards: number }>;
}

/** Villages' levels, open cases holding any of the people, facilities with residents, guardians with wards. */
export function loadOnboardingStmt(villageCodes: readonly string[], idNumbers: readonly string[], facilityIds: readonly string[], guardianIds: readonly string[]): Stmt {
  return {
    text: `select json_build_object(
      'regions', (select coalesce(json_agg(json_build_object('code', r.code, 'level', r.level)), '[]'::json)
        from regions r where r.code in (select jsonb_array_elements_text($1::text::jsonb))),
      'clashes', (select coalesce(json_agg(json_build_object('caseId', e.case_id, 'idNumber', e.id_number, 'villageCode', c.village_code)
          order by e.id_number), '[]'::json)
        from resident_enrolments e join cases c on c.id = e.case_id
        where e.id_number in (select jsonb_array_elements_text($2::text::jsonb))),
      'facilities', (select coalesce(json_agg(json_build_object('facility', row_to_json(f), 'occupied', (
          select count(*) from cases c join members m on m.household_id = c.household_id where c.facility_id = f.id and not c.closed))), '[]'::json)
        from facilities f where f.id in (select jsonb_array_elements_text($3::text::jsonb)::uuid)),
      'guardians', (select coalesce(json_agg(json_build_object('guardian', row_to_json(g), 'wards', (
          select count(*) from cases c where c.guardian_id = g.id and not c.closed))), '[]'::json)
        from guardians g where g.id in (select jsonb_array_elements_text($4::text::jsonb)::uuid))
    )::text as doc`,
    params: [
      JSON.stringify([...new Set(villageCodes)]),
      JSON.stringify([...new Set(idNumbers)]),
      JSON.stringify([...new Set(facilityIds)]),
      JSON.stringify([...new Set(guardianIds)]),
    ],
  };
}

export function parseOnboardingLoad(rows: Row[]): OnboardingLoad {
  const d = docOf<{
    regions: { code: string; level: string }[];
    clashes: ResidentClash[];
    facilities: { facility: Record<string, unknown>; occupied: number }[];
    guardians: { guardian: Record<string, unknown>; wards: number }[];
  }>(rows);
  if (!d) throw new Error('the onboarding load returned nothing');
  return {
    regions: new Map(d.regions.map((r) => [r.code, r.level])),
    clashes: d.clashes,
    facilities: new Map(d.facilities.map((f) => {
      const facility = rowOf<FacilityRow>(f.facility, ['createdAt', 'updatedAt']);
      return [facility.id, { facility, occupied: Number(f.occupied) }];
    })),
    guardians: new Map(d.guardians.map((g) => {
      const guardian = rowOf<GuardianRow>(g.guardian, ['createdAt']);
      return [guardian.id, { guardian, wards: Number(g.wards) }];
    })),
  };
}
