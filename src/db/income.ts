// Household income lines, the villages' dividend references, the money settings' history, and the aggregates the
// income report and the funding projection read. One small function per operation, each taking a transaction.
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { IncomeSource } from '../domain/income.js';
import { startsWith, assertRegionPrefix } from './prefix.js';
import { cases, members } from './schema.js';
import { dividendReferences, householdIncome, settingHistory, type DividendReferenceRow, type HouseholdIncomeRow } from './schemaIncome.js';
import { rows, type Db, type Tx } from './types.js';

export async function listHouseholdIncome(tx: Db | Tx, householdId: string, year: number): Promise<HouseholdIncomeRow[]> {
  return tx
    .select()
    .from(householdIncome)
    .where(and(eq(householdIncome.householdId, householdId), eq(householdIncome.year, year)))
    .orderBy(asc(householdIncome.source));
}

export interface IncomeLineWrite {
  source: IncomeSource;
  amountFen: number;
  evidence: string;
}

/**
 * Replaces a household's lines of one year with `lines` (the caller holds the case's row lock). The primary key
 * (household, year, source) makes a second line for one source an error, never a second count.
 */
export async function replaceHouseholdIncome(
  tx: Tx,
  w: { householdId: string; year: number; caseId: string; recordedBy: string; at: Date; lines: readonly IncomeLineWrite[] },
): Promise<HouseholdIncomeRow[]> {
  await tx.delete(householdIncome).where(and(eq(householdIncome.householdId, w.householdId), eq(householdIncome.year, w.year)));
  if (w.lines.length === 0) return [];
  const inserted = await tx
    .insert(householdIncome)
    .values(w.lines.map((l) => ({ householdId: w.householdId, year: w.year, source: l.source, amountFen: l.amountFen, evidence: l.evidence, caseId: w.caseId, recordedBy: w.recordedBy, recordedAt: w.at })))
    .returning();
  return inserted.sort((a, b) => a.source.localeCompare(b.source));
}

export async function countMembers(tx: Db | Tx, householdId: string): Promise<number> {
  const [r] = await tx.select({ n: count() }).from(members).where(eq(members.householdId, householdId));
  return Number(r?.n ?? 0);
}

export async function getDividendReference(tx: Db | Tx, villageCode: string, year: number): Promise<DividendReferenceRow | null> {
  const [row] = await tx.select().from(dividendReferences).where(and(eq(dividendReferences.villageCode, villageCode), eq(dividendReferences.year, year))).limit(1);
  return row ?? null;
}

export async function listDividendReferences(tx: Db | Tx, q: { prefix: string; year: number }): Promise<DividendReferenceRow[]> {
  return tx
    .select()
    .from(dividendReferences)
    .where(and(startsWith(dividendReferences.villageCode, q.prefix), eq(dividendReferences.year, q.year)))
    .orderBy(asc(dividendReferences.villageCode));
}

export type PutVersionedResult<R> = { ok: true; row: R } | { ok: false; currentVersion: number };

/** As putSetting: one statement that inserts version 1 or updates exactly the version named. */
export async function putDividendReference(
  tx: Db | Tx,
  w: { villageCode: string; year: number; amountFen: number; expectedVersion: number; updatedBy: string; at: Date },
): Promise<PutVersionedResult<DividendReferenceRow>> {
  const found =
    w.expectedVersion === 0
      ? await tx.insert(dividendReferences).values({ villageCode: w.villageCode, year: w.year, amountFen: w.amountFen, version: 1, updatedBy: w.updatedBy, updatedAt: w.at }).onConflictDoNothing().returning()
      : await tx
          .update(dividendReferences)
          .set({ amountFen: w.amountFen, version: sql`${dividendReferences.version} + 1`, updatedBy: w.updatedBy, updatedAt: w.at })
          .where(and(eq(dividendReferences.villageCode, w.villageCode), eq(dividendReferences.year, w.year), eq(dividendReferences.version, w.expectedVersion)))
          .returning();
  if (found[0]) return { ok: true, row: found[0] };
  const current = await getDividendReference(tx, w.villageCode, w.year);
  return { ok: false, currentVersion: current?.version ?? 0 };
}

export interface SettingChange {
  setting: string;
  scope: string;
  version: number;
  value: unknown;
  actorId: string;
  actorUsername: string;
  requestId?: string | null;
  at: Date;
}

/** Appends to the (append-only) history, in the transaction of the change it records. */
export async function appendSettingHistory(tx: Db | Tx, c: SettingChange): Promise<void> {
  await tx.insert(settingHistory).values({ ...c, requestId: c.requestId ?? null });
}

export async function listSettingHistory(tx: Db | Tx, q: { setting: string; scope: string; limit: number }) {
  return tx
    .select()
    .from(settingHistory)
    .where(and(eq(settingHistory.setting, q.setting), eq(settingHistory.scope, q.scope)))
    .orderBy(sql`${settingHistory.id} desc`)
    .limit(q.limit);
}

export interface IncomeAggregateRow {
  group: string;
  source: IncomeSource;
  totalFen: number;
}
export interface IncomeGroupCount {
  group: string;
  households: number;
  persons: number;
}

/**
 * A year's income lines of the households under `prefix`, summed per region group (the first `groupLength` digits
 * of the village code) and source; and per group the households with any line that year and their members.
 */
export async function incomeAggregate(tx: Db | Tx, q: { prefix: string; year: number; groupLength: number }): Promise<{ sums: IncomeAggregateRow[]; counts: IncomeGroupCount[] }> {
  assertRegionPrefix(q.prefix);
  if (![2, 4, 6, 9, 12].includes(q.groupLength)) throw new RangeError(`groupLength ${q.groupLength}`);
  const like = `${q.prefix}%`;
  const sums = rows<{ grp: string; source: IncomeSource; total: string }>(
    await tx.execute(sql`select left(h.village_code, ${q.groupLength}) as grp, i.source, sum(i.amount_fen)::text as total
      from household_income i join households h on h.id = i.household_id
      where i.year = ${q.year} and h.village_code like ${like}
      group by 1, 2 order by 1, 2`),
  );
  const counts = rows<{ grp: string; households: string; persons: string }>(
    await tx.execute(sql`select x.grp, count(*)::text as households, coalesce(sum(m.n), 0)::text as persons
      from (select distinct i.household_id, left(h.village_code, ${q.groupLength}) as grp
              from household_income i join households h on h.id = i.household_id
             where i.year = ${q.year} and h.village_code like ${like}) x
      left join lateral (select count(*) as n from members where household_id = x.household_id) m on true
      group by 1 order by 1`),
  );
  return {
    sums: sums.map((r) => ({ group: r.grp, source: r.source, totalFen: Number(r.total) })),
    counts: counts.map((r) => ({ group: r.grp, households: Number(r.households), persons: Number(r.persons) })),
  };
}

/**
 * Households in the programme per county under `prefix` (the funding projection's live caseload): open cases that
 * are placed — `active` and its sub-states — or in the 7-day exit notice (still cared for until it ends). One open
 * case per household (cases_one_open_per_household), so cases count households.
 */
export async function programmeCaseload(tx: Db | Tx, prefix: string): Promise<{ countyCode: string; households: number }[]> {
  const found = await tx
    .select({ countyCode: cases.countyCode, n: count() })
    .from(cases)
    .where(and(startsWith(cases.villageCode, prefix), eq(cases.closed, false), sql`(${cases.state} = 'active' or ${cases.state} like 'active.%' or ${cases.state} = 'exitNotice')`))
    .groupBy(cases.countyCode)
    .orderBy(asc(cases.countyCode));
  return found.map((r) => ({ countyCode: r.countyCode, households: Number(r.n) }));
}
