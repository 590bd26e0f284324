// Regions (行政区划): loaded by an admin or the seed, read to name places and check codes.
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { REGION_LEVELS, type RegionLevel } from '../domain/regions.js';
import { startsWith } from './prefix.js';
import { regions, type NewRegion, type RegionRow } from './schema.js';
import type { Db, Tx } from './types.js';

// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters (4 per row).
const CHUNK = 1000;

/**
 * Inserts or renames regions (upsert by code). Parents go before children (sorted by level, and chunks
 * follow that order), so a whole tree can be loaded in one call; run it in a transaction for all-or-nothing.
 */
export async function insertRegions(tx: Db | Tx, rows: readonly NewRegion[]): Promise<void> {
  const depth = (level: RegionLevel) => REGION_LEVELS.indexOf(level);
  const sorted = [...rows].sort((a, b) => depth(a.level) - depth(b.level) || a.code.localeCompare(b.code));
  for (let i = 0; i < sorted.length; i += CHUNK) {
    await tx
      .insert(regions)
      .values(sorted.slice(i, i + CHUNK))
      .onConflictDoUpdate({
        target: regions.code,
        set: { level: sql`excluded.level`, parentCode: sql`excluded.parent_code`, name: sql`excluded.name` },
      });
  }
}

export async function findRegion(tx: Db | Tx, code: string): Promise<RegionRow | null> {
  const [row] = await tx.select().from(regions).where(eq(regions.code, code)).limit(1);
  return row ?? null;
}

/** Regions under a prefix (e.g. '411282' = 灵宝市 and everything in it), optionally of one level. */
export async function listRegions(
  tx: Db | Tx,
  filter: { prefix?: string; level?: RegionLevel } = {},
): Promise<RegionRow[]> {
  const conditions: SQL[] = [];
  if (filter.prefix) conditions.push(startsWith(regions.code, filter.prefix));
  if (filter.level) conditions.push(eq(regions.level, filter.level));
  return tx
    .select()
    .from(regions)
    .where(and(...conditions))
    .orderBy(asc(regions.code));
}
