/**
 * Reference data a client needs to fill in commands: regions (to pick a village code) and facilities with
 * their derived occupancy (to pick a facility for PLACE).
 */
import { facilityOccupancy, listFacilities, listRegions, type FacilityType, type RegionLevel } from '../db/index.js';
import type { EngineDeps, Principal } from './types.js';

export function createReference(deps: EngineDeps) {
  const { db } = deps;

  async function regions(q: { prefix?: string; level?: RegionLevel }) {
    return (await listRegions(db, q)).map((r) => ({ code: r.code, level: r.level, name: r.name, parentCode: r.parentCode }));
  }

  /** Facilities in the caller's jurisdiction; occupancy is counted from open placements, never typed in. */
  async function facilities(principal: Principal, q: { type?: FacilityType }) {
    const rows = await listFacilities(db, { regionPrefix: principal.region.slice(0, 6), type: q.type });
    const occupied = await facilityOccupancy(db, rows.map((f) => f.id));
    return rows.map((f) => {
      const residents = occupied.get(f.id) ?? 0;
      return {
        id: f.id,
        name: f.name,
        type: f.type,
        regionCode: f.regionCode,
        beds: f.beds,
        caregivers: f.caregivers,
        medicalStaff: f.medicalStaff,
        residents,
        freeBeds: Math.max(0, f.beds - residents),
        residentsPerCaregiver: f.caregivers > 0 ? Math.round((residents / f.caregivers) * 100) / 100 : null,
      };
    });
  }

  return { regions, facilities };
}
