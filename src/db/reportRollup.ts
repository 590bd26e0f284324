// Reads of the report rollups (src/db/schemaReports.ts, kept by the triggers of migration 0018), the recount
// queries that define what they must hold (tests compare the two; the bench rebuilds from them after a bulk
// load), and the few report reads that go to the cases themselves (revisits, facilities).
//
// Region filters are ranges on the village code (the rollups' primary keys lead with it): a prefix 4112 is
// village_code >= '411200000000' and <= '411299999999', one index range scan whatever the level.
import { sql, type SQL } from 'drizzle-orm';
import { assertRegionPrefix } from './prefix.js';
import type { Stmt } from './session.js';
import { rows, type Db, type Tx } from './types.js';

/** The village codes under a prefix, as an inclusive range over the column. */
export function villageRange(column: SQL, prefix: string): SQL {
  assertRegionPrefix(prefix, 'regionPrefix');
  return sql`${column} between ${prefix.padEnd(12, '0')} and ${prefix.padEnd(12, '9')}`;
}

export interface CaseCountRow {
  villageCode: string;
  state: string;
  /** '' when the case has no current placement. */
  placementMode: string;
  households: number;
  people: number;
}

/** Cases and people by village, state and placement mode under a prefix (rows with nothing left are skipped). */
export async function readCaseCounts(tx: Db | Tx, prefix: string): Promise<CaseCountRow[]> {
  const found = await tx.execute(sql`select village_code, state, placement_mode, households, people from report_case_counts
    where ${villageRange(sql`village_code`, prefix)} and (households <> 0 or people <> 0)`);
  return rows<Record<string, unknown>>(found).map((r) => ({
    villageCode: String(r.village_code),
    state: String(r.state),
    placementMode: String(r.placement_mode),
    households: Number(r.households),
    people: Number(r.people),
  }));
}

export interface CategoryCountRow {
  villageCode: string;
  state: string;
  category: string;
  people: number;
}

export async function readCategoryCounts(tx: Db | Tx, prefix: string): Promise<CategoryCountRow[]> {
  const found = await tx.execute(sql`select village_code, state, category, people from report_category_counts
    where ${villageRange(sql`village_code`, prefix)} and people <> 0`);
  return rows<Record<string, unknown>>(found).map((r) => ({
    villageCode: String(r.village_code),
    state: String(r.state),
    category: String(r.category),
    people: Number(r.people),
  }));
}

/** Flows by month (YYYY-MM, China time) and flow, summed over the villages under a prefix, months from..to. */
export async function readFlows(tx: Db | Tx, q: { prefix: string; fromMonth: string; toMonth: string }): Promise<{ month: string; flow: string; n: number }[]> {
  const found = await tx.execute(sql`select month, flow, sum(n)::int as n from report_flows
    where ${villageRange(sql`village_code`, q.prefix)} and month between ${q.fromMonth} and ${q.toMonth}
    group by month, flow order by month, flow`);
  return rows<Record<string, unknown>>(found).map((r) => ({ month: String(r.month), flow: String(r.flow), n: Number(r.n) }));
}

/**
 * Approvals by county and working days from submission to approval, approved within from..to (dates). The working
 * days come from `runningWorkdays`: for each date of the calendar range, the number of working days up to it (the
 * engine counts them with src/time/calendar.ts), so a pair's working days are a difference of two lookups; the
 * rule of what a working day is stays in the calendar. A submission before the range counts from its first date.
 */
export async function readApprovalDays(
  tx: Db | Tx,
  q: { prefix: string; fromDate: string; toDate: string; runningWorkdays: { d: string; n: number }[] },
): Promise<{ countyCode: string; days: number; n: number }[]> {
  const first = q.runningWorkdays[0]?.d ?? q.fromDate;
  const found = await tx.execute(sql`with cal as (select d, n from jsonb_to_recordset(${JSON.stringify(q.runningWorkdays)}::jsonb) as x(d text, n int))
    select left(r.village_code, 6) as county_code, ca.n - cs.n as days, sum(r.n)::int as n
    from report_approvals r
    join cal ca on ca.d = r.approved_on
    join cal cs on cs.d = greatest(r.submitted_on, ${first})
    where ${villageRange(sql`r.village_code`, q.prefix)} and r.approved_on between ${q.fromDate} and ${q.toDate}
    group by 1, 2`);
  return rows<Record<string, unknown>>(found).map((r) => ({ countyCode: String(r.county_code), days: Number(r.days), n: Number(r.n) }));
}

/** Revisits on time and late by village, months from..to (the visit's month). */
export async function readRevisitCounts(tx: Db | Tx, q: { prefix: string; fromMonth: string; toMonth: string }): Promise<{ villageCode: string; onTime: number; late: number }[]> {
  const found = await tx.execute(sql`select village_code, sum(on_time)::int as on_time, sum(late)::int as late from report_revisits
    where ${villageRange(sql`village_code`, q.prefix)} and month between ${q.fromMonth} and ${q.toMonth}
    group by 1`);
  return rows<Record<string, unknown>>(found).map((r) => ({ villageCode: String(r.village_code), onTime: Number(r.on_time), late: Number(r.late) }));
}

/** Open placed cases whose revisit is overdue now, by village (a missed revisit). */
export async function readMissedRevisits(tx: Db | Tx, q: { prefix: string; now: Date }): Promise<{ villageCode: string; n: number }[]> {
  // Written for cases_revisit_due_idx (county, deadline_at, village) where not closed and deadline_key = 'revisit':
  // the overdue revisits of the scope, index only.
  const lo = q.prefix.slice(0, 6).padEnd(6, '0');
  const hi = q.prefix.slice(0, 6).padEnd(6, '9');
  const found = await tx.execute(sql`select c.village_code, count(*)::int as n from cases c
    where not c.closed and c.deadline_key = 'revisit' and c.deadline_at is not null and c.county_code between ${lo} and ${hi}
      and c.deadline_at < ${q.now.toISOString()}::timestamptz
      and ${villageRange(sql`c.village_code`, q.prefix)}
    group by 1`);
  return rows<Record<string, unknown>>(found).map((r) => ({ villageCode: String(r.village_code), n: Number(r.n) }));
}

// ---- The definitions (recounts) -------------------------------------------------------------------------------

const FLOW_OF = `case
    when a.event_type = 'SUBMIT_SURVEY' then 'survey'
    when a.state_after = 'awaitingPlacement' and a.state_before like 'publicity%' then 'approval'
    when a.event_type = 'PLACE' then 'placement'
    when a.state_after = 'exited' and a.state_before is distinct from 'exited' then 'exit' end`;

interface RollupDefinition {
  columns: string;
  /** How many of the last columns are counts (the rest are the key). */
  values: number;
  /** The recount, over the cases for which `scope` (a condition on the case row `c`) holds. */
  select(scope: string): string;
}

/**
 * What each rollup table must hold, recounted from cases, members and the audit trail (slow over everything:
 * tests, rebuilds; fast over a scope of cases: a bulk import's new cases, see `addRollupsOfNewCasesStmt`).
 */
export const ROLLUP_DEFINITIONS: Record<'report_case_counts' | 'report_category_counts' | 'report_flows' | 'report_approvals' | 'report_revisits', RollupDefinition> = {
  report_case_counts: {
    columns: 'village_code, state, placement_mode, households, people',
    values: 2,
    select: (scope) => `select c.village_code, c.state, coalesce(c.placement_mode, '') as placement_mode, count(*)::int as households,
        coalesce(sum((select count(*) from members m where m.household_id = c.household_id)), 0)::int as people
      from cases c where ${scope} group by 1, 2, 3`,
  },
  report_category_counts: {
    columns: 'village_code, state, category, people',
    values: 1,
    select: (scope) => `select c.village_code, c.state, k.category, count(*)::int as people
      from cases c join members m on m.household_id = c.household_id cross join lateral unnest(m.categories) as k(category)
      where ${scope} group by 1, 2, 3`,
  },
  report_flows: {
    columns: 'village_code, month, flow, n',
    values: 1,
    select: (scope) => `select c.village_code, to_char(a.at at time zone 'Asia/Shanghai', 'YYYY-MM') as month, f.flow, count(*)::int as n
      from audit_records a join cases c on c.id = a.case_id cross join lateral (select ${FLOW_OF} as flow) f
      where f.flow is not null and ${scope} group by 1, 2, 3`,
  },
  report_approvals: {
    columns: 'village_code, submitted_on, approved_on, n',
    values: 1,
    select: (scope) => `select c.village_code, to_char(s.at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as submitted_on,
        to_char(a.at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as approved_on, count(*)::int as n
      from audit_records a join cases c on c.id = a.case_id
      cross join lateral (select max(b.at) as at from audit_records b
        where b.case_id = a.case_id and b.seq < a.seq and b.event_type in ('SUBMIT_SURVEY', 'REQUEST_REASSESSMENT')) s
      where a.state_after = 'awaitingPlacement' and a.state_before like 'publicity%' and s.at is not null and ${scope}
      group by 1, 2, 3`,
  },
  report_revisits: {
    columns: 'village_code, month, on_time, late',
    values: 2,
    select: (scope) => `select c.village_code, to_char(r.date, 'YYYY-MM') as month,
        count(*) filter (where r.date < (r.due_at at time zone 'Asia/Shanghai')::date)::int as on_time,
        count(*) filter (where r.date >= (r.due_at at time zone 'Asia/Shanghai')::date)::int as late
      from revisits r join cases c on c.id = r.case_id where r.due_at is not null and ${scope} group by 1, 2`,
  },
};

/**
 * For a transaction that opened cases with the rollup triggers deferred (`set_config('doudi.rollups', 'deferred',
 * true)`, migration 0027; a bulk import): adds the new cases' recount to each rollup, one upsert per table, the
 * rows in key order (the triggers' lock order). Exact because every row those definitions count for these cases
 * (the case, its members, audit records and revisits) was written by this same transaction, with the triggers off.
 */
export function addRollupsOfNewCasesStmts(caseIds: readonly string[]): Stmt[] {
  const scope = 'c.id in (select x::uuid from jsonb_array_elements_text($1::text::jsonb) as x)';
  const ids = JSON.stringify(caseIds);
  return Object.entries(ROLLUP_DEFINITIONS).map(([table, def]) => {
    const cols = def.columns.split(', ');
    const keys = cols.slice(0, cols.length - def.values);
    const values = cols.slice(keys.length);
    return {
      text: `insert into ${table} as r (${def.columns}) select * from (${def.select(scope)}) d order by ${keys.join(', ')}
        on conflict (${keys.join(', ')}) do update set ${values.map((v) => `${v} = r.${v} + excluded.${v}`).join(', ')}`,
      params: [ids],
    };
  });
}

/** Switches the rollup triggers off (`deferred`) or on again for the rest of the transaction (migration 0027). */
export function rollupModeStmt(mode: 'deferred' | 'immediate'): Stmt {
  return { text: `select set_config('doudi.rollups', $1::text, true)`, params: [mode === 'deferred' ? 'deferred' : ''] };
}

export type RollupTable = keyof typeof ROLLUP_DEFINITIONS;

/**
 * Rows where a rollup differs from its definition (empty = exact). Zero rows in the rollup match absent ones.
 * Each row: the key and the two values as JSON text.
 */
export async function rollupDifferences(tx: Db | Tx, table: RollupTable): Promise<{ key: string; stored: string | null; expected: string | null }[]> {
  const def = ROLLUP_DEFINITIONS[table];
  const cols = def.columns.split(', ');
  const keys = cols.slice(0, cols.length - def.values);
  const values = cols.slice(keys.length);
  const nonzero = values.map((v) => `${v} <> 0`).join(' or ');
  const keyExpr = keys.map((k) => `coalesce(s.${k}, e.${k})::text`).join(` || '|' || `);
  const found = await tx.execute(sql`with e as (${sql.raw(def.select('true'))}), s as (select * from ${sql.raw(table)} where ${sql.raw(nonzero)})
    select ${sql.raw(keyExpr)} as key,
      ${sql.raw(`case when s.${keys[0]} is null then null else json_build_array(${values.map((v) => `s.${v}`).join(', ')})::text end`)} as stored,
      ${sql.raw(`case when e.${keys[0]} is null then null else json_build_array(${values.map((v) => `e.${v}`).join(', ')})::text end`)} as expected
    from s full join e on ${sql.raw(keys.map((k) => `s.${k} = e.${k}`).join(' and '))}
    where ${sql.raw(values.map((v) => `s.${v} is distinct from e.${v}`).join(' or '))}
    order by 1`);
  return rows<Record<string, unknown>>(found).map((r) => ({ key: String(r.key), stored: (r.stored as string | null) ?? null, expected: (r.expected as string | null) ?? null }));
}

/**
 * Rebuilds every rollup from its definition, in the caller's transaction (after a bulk load that bypassed the
 * triggers, e.g. the benchmark's). Lock the counted tables first if writers may be running.
 */
export async function rebuildRollups(tx: Db | Tx): Promise<void> {
  for (const [table, def] of Object.entries(ROLLUP_DEFINITIONS)) {
    await tx.execute(sql`delete from ${sql.raw(table)}`);
    await tx.execute(sql`insert into ${sql.raw(table)} (${sql.raw(def.columns)}) ${sql.raw(def.select('true'))}`);
  }
}
