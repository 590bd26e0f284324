/**
 * Facilities and guardians named in a spreadsheet, looked up in the registries: a facility of that name in the
 * importer's jurisdiction or the household's county, an active guardian of that name in the household's county.
 * One match becomes the registry id the engine takes (as PLACE names them); none or several is a problem of
 * the cell. One statement for the whole file.
 */
import type { OnboardHouseholdInput, OnboardPlacementInput } from '../../engine/onboarding/input.js';
import { docOf } from '../../db/session.js';
import { issue, type ImportIssue, type ReadContext } from '../kind.js';

/** A placement as a file gives it: the registry entries by name. */
export interface NamedPlacement extends Omit<OnboardPlacementInput, 'facilityId' | 'guardianId'> {
  facilityName?: string;
  guardianName?: string;
}

interface Named {
  rows: readonly number[];
  household: Omit<OnboardHouseholdInput, 'placement'>;
  placement: NamedPlacement | null;
}

interface Entry {
  id: string;
  name: string;
  regionCode: string;
}

export async function resolveRegistryNames(groups: readonly Named[], ctx: Pick<ReadContext, 'principal' | 'query'>): Promise<{ households: OnboardHouseholdInput[]; issues: ImportIssue[] }> {
  const facilityNames = [...new Set(groups.flatMap((g) => (g.placement?.facilityName ? [g.placement.facilityName] : [])))];
  const guardianNames = [...new Set(groups.flatMap((g) => (g.placement?.guardianName ? [g.placement.guardianName] : [])))];
  let facilities: Entry[] = [];
  let guardians: Entry[] = [];
  if (facilityNames.length + guardianNames.length > 0) {
    const [rows] = await ctx.query([{
      text: `select json_build_object(
          'facilities', (select coalesce(json_agg(json_build_object('id', f.id, 'name', f.name, 'regionCode', f.region_code)), '[]'::json)
            from facilities f where f.name in (select jsonb_array_elements_text($1::text::jsonb))),
          'guardians', (select coalesce(json_agg(json_build_object('id', g.id, 'name', g.name, 'regionCode', g.region_code)), '[]'::json)
            from guardians g where g.active and g.name in (select jsonb_array_elements_text($2::text::jsonb)))
        )::text as doc`,
      params: [JSON.stringify(facilityNames), JSON.stringify(guardianNames)],
    }]);
    const d = docOf<{ facilities: Entry[]; guardians: Entry[] }>(rows);
    facilities = d?.facilities ?? [];
    guardians = d?.guardians ?? [];
  }
  const issues: ImportIssue[] = [];
  const households = groups.map((g): OnboardHouseholdInput => {
    const p = g.placement;
    if (!p) return { ...g.household, placement: null };
    const county = g.household.villageCode.slice(0, 6);
    const { facilityName, guardianName, ...rest } = p;
    const placement: OnboardPlacementInput = { ...rest };
    if (facilityName) {
      const found = facilities.filter((f) => f.name === facilityName && (f.regionCode.startsWith(ctx.principal.region) || f.regionCode.startsWith(county)));
      if (found.length === 1) placement.facilityId = found[0].id;
      else issues.push(issue(g.rows[0], 'facilityName', found.length === 0 ? `机构名录中没有“${facilityName}”（本县或您的辖区内），请先导入或登记该机构` : `机构名录中有 ${found.length} 个“${facilityName}”，请在名录中区分名称后再导入`));
    }
    if (guardianName) {
      const found = guardians.filter((x) => x.name === guardianName && x.regionCode.startsWith(county));
      if (found.length === 1) placement.guardianId = found[0].id;
      else issues.push(issue(g.rows[0], 'guardianName', found.length === 0 ? `照料人名录中没有本县的“${guardianName}”，请先导入或登记该照料人` : `本县照料人名录中有 ${found.length} 个“${guardianName}”，请在名录中区分后再导入`));
    }
    return { ...g.household, placement };
  });
  return { households, issues };
}
