/**
 * Reference data a client needs to fill in commands: regions (to pick a village code). Facilities and
 * guardians, with their derived loads, are in care.ts.
 */
import { listRegions, type RegionLevel } from '../db/index.js';
import type { EngineDeps } from './types.js';

export function createReference(deps: EngineDeps) {
  const { db } = deps;

  async function regions(q: { prefix?: string; level?: RegionLevel }) {
    return (await listRegions(db, q)).map((r) => ({ code: r.code, level: r.level, name: r.name, parentCode: r.parentCode }));
  }

  return { regions };
}
