// The overdue views read an index and never scan the cases table: EXPLAIN of exactly the statements the engine
// runs (src/db/overdue.ts), on 50,000 cases in six counties, must show one of the overdue partial indexes and no
// sequential scan of `cases`. The pages of GET /overdue go further: after VACUUM (index-only scans need the
// visibility map) every read of `cases` is an Index Only Scan — the indexes INCLUDE every column a page returns
// (migration 0008_overdue_index_only) — and EXPLAIN ANALYZE shows no heap fetch at all.
//
// PostgreSQL only: PGlite is embedded and single-connection, and its planner statistics on a tiny table prove
// nothing about the plans a server chooses for a million cases.
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { overdueCountSql, overdueListSql, type OverdueQuery } from '../../src/db/overdue.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const onPostgres = !!process.env.DATABASE_URL;
const NOW = new Date('2026-03-12T01:00:00Z');
const CASES = 50_000;
const COUNTIES = ['411202', '411203', '411221', '411224', '411281', '411282'];
const OVERDUE_INDEXES = ['cases_overdue_county_idx', 'cases_overdue_township_idx', 'cases_overdue_step_idx'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Heap Fetches'?: number;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

let db: TestDb;

async function plan(statement: SQL, analyze = false): Promise<PlanNode[]> {
  const explain = analyze ? sql`explain (analyze, buffers, format json)` : sql`explain (format json)`;
  const [row] = rows<{ 'QUERY PLAN': unknown }>(await db.db.execute(sql`${explain} ${statement}`));
  const json = typeof row['QUERY PLAN'] === 'string' ? JSON.parse(row['QUERY PLAN']) : row['QUERY PLAN'];
  return flatten((json as { Plan: PlanNode }[])[0].Plan);
}

/** Node types, with the relation and index each scan reads: "Index Scan cases_overdue_county_idx". */
const describePlan = (nodes: PlanNode[]) => nodes.map((n) => [n['Node Type'], n['Index Name'] ?? n['Relation Name'] ?? ''].join(' ').trim());

function expectIndexed(nodes: PlanNode[], label: string) {
  const seqOnCases = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'cases');
  expect(seqOnCases, `${label}: ${describePlan(nodes).join(' → ')}`).toEqual([]);
  const used = nodes.map((n) => n['Index Name']).filter((i): i is string => !!i && OVERDUE_INDEXES.includes(i));
  expect(used.length, `${label}: ${describePlan(nodes).join(' → ')}`).toBeGreaterThan(0);
  // Kept in the test output, so a reader sees the plan without running EXPLAIN.
  console.log(`${label}: ${describePlan(nodes).join(' → ')}`);
}

/** A page of GET /overdue: indexed as above, and every read of `cases` an Index Only Scan with no heap fetch. */
async function expectIndexOnlyPage(q: OverdueQuery, label: string): Promise<PlanNode[]> {
  const nodes = await plan(overdueListSql(q));
  expectIndexed(nodes, label);
  const onCases = (ns: PlanNode[]) => ns.filter((n) => n['Relation Name'] === 'cases');
  expect(onCases(nodes).map((n) => n['Node Type']), `${label}: ${describePlan(nodes).join(' → ')}`).toEqual(
    onCases(nodes).map(() => 'Index Only Scan'),
  );
  const analyzed = onCases(await plan(overdueListSql(q), true));
  expect(analyzed.length).toBeGreaterThan(0);
  expect(analyzed.map((n) => n['Heap Fetches']), `${label}: heap fetches`).toEqual(analyzed.map(() => 0));
  return nodes;
}

describe('overdue queries use the overdue indexes (PostgreSQL)', () => {
  beforeAll(async () => {
    if (!onPostgres) return;
    db = await createTestDb();
    // One household per case (cases_one_open_per_household); 10 townships × 10 villages per county; 30% of the
    // cases closed (no deadline), the open ones due from 10 days ago to 89 days ahead (about 10% overdue).
    await db.db.execute(sql`
      insert into households (id, village_code, address, created_by)
      select md5('h' || g)::uuid,
             (array[${sql.join(COUNTIES.map((c) => sql`${c}`), sql`, `)}])[1 + g % 6] || (100 + (g / 6) % 10)::text || (200 + (g / 60) % 10)::text,
             '测试地址', '00000000-0000-0000-0000-000000000000'
        from generate_series(1, ${CASES}) g`);
    await db.db.execute(sql`
      insert into cases (id, household_id, machine_id, machine_version, snapshot, state, review_level,
                         village_code, township_code, county_code, deadline_key, deadline_at, closed, opened_at, case_number)
      select md5('c' || g)::uuid, h.id, 'case', 1, '{}'::jsonb,
             case when closed then 'exited' else split_part(step, '.', 1) end,
             case when not closed and step like 'review.%' then split_part(step, '.', 2) end,
             h.village_code, left(h.village_code, 9), left(h.village_code, 6),
             case when not closed then step end,
             case when not closed then ${NOW.toISOString()}::timestamptz + ((g::bigint * 7919) % 100 - 10) * interval '1 day' + (g % 24) * interval '1 hour' end,
             closed, ${NOW.toISOString()}::timestamptz,
             left(h.village_code, 6) || '-' || to_char(${NOW.toISOString()}::timestamptz at time zone 'Asia/Shanghai', 'YYYY') || '-' || lpad(g::text, 6, '0')
        from generate_series(1, ${CASES}) g
        join households h on h.id = md5('h' || g)::uuid
        cross join lateral (select g % 10 < 3 as closed,
                                   (array['surveySubmitted', 'evaluationStarted', 'evaluationSubmitted', 'review.village',
                                          'review.township', 'review.county', 'placement', 'revisit'])[1 + (g / 7) % 8] as step) s`);
    await db.db.execute(sql`vacuum analyze households`);
    await db.db.execute(sql`vacuum analyze cases`);
  }, 120_000);
  afterAll(async () => db?.close());

  const page = (q: Partial<OverdueQuery> & { regionPrefix: string }): OverdueQuery => ({ now: NOW, limit: 51, ...q });

  it.skipIf(!onPostgres)('the data is what the plans are about', async () => {
    const [c] = rows<{ n: number; open: number; overdue: number }>(
      await db.db.execute(sql`select count(*)::int as n, count(*) filter (where not closed)::int as open,
        count(*) filter (where not closed and deadline_at < ${NOW.toISOString()}::timestamptz)::int as overdue from cases`),
    );
    expect(c.n).toBe(CASES);
    expect(c.overdue).toBeGreaterThan(2_000);
    expect(c.overdue).toBeLessThan(c.open / 4);
  });

  it.skipIf(!onPostgres)('GET /overdue for a county: an index-only range scan of cases_overdue_county_idx', async () => {
    const nodes = await expectIndexOnlyPage(page({ regionPrefix: '411282' }), 'county page');
    expect(nodes.some((n) => n['Node Type'] === 'Index Only Scan' && n['Index Name'] === 'cases_overdue_county_idx')).toBe(true);
    const after = { deadlineAt: new Date(NOW.getTime() - 5 * 86_400_000), id: '00000000-0000-4000-8000-000000000000' };
    await expectIndexOnlyPage(page({ regionPrefix: '411282', after }), 'county next page');
    await expectIndexOnlyPage(page({ regionPrefix: '411282', minDaysOverdue: 7 }), 'county, 7+ days');
    await expectIndexOnlyPage(page({ regionPrefix: '411282', step: 'review.township' }), 'county, one step');
    await expectIndexOnlyPage(page({ regionPrefix: '411282', reviewLevel: 'county' }), 'county, one level');
    await expectIndexOnlyPage(page({ regionPrefix: '4112821' }), 'part of a county (7 digits)');
  });

  it.skipIf(!onPostgres)('GET /overdue for a township (filter or jurisdiction): an index-only scan of cases_overdue_township_idx', async () => {
    const nodes = await expectIndexOnlyPage(page({ regionPrefix: '411282105' }), 'township page');
    expect(nodes.some((n) => n['Index Name'] === 'cases_overdue_township_idx')).toBe(true);
    await expectIndexOnlyPage(page({ regionPrefix: '411282105205' }), 'village page');
    await expectIndexOnlyPage(page({ regionPrefix: '411282105', step: 'revisit' }), 'township, one step');
  });

  it.skipIf(!onPostgres)('GET /overdue for the city (4 digits) and the province: county by county, index-only, no table scan', async () => {
    const nodes = await expectIndexOnlyPage(page({ regionPrefix: '4112' }), 'city page');
    expect(nodes.some((n) => n['Index Name'] === 'cases_overdue_county_idx')).toBe(true);
    await expectIndexOnlyPage(page({ regionPrefix: '41', step: 'placement' }), 'province page, one step');
  });

  it.skipIf(!onPostgres)('GET /overdue/summary: only the overdue index entries, pair by pair', async () => {
    for (const [label, regionPrefix] of [['summary, city', '4112'], ['summary, county', '411282'], ['summary, township', '411282105']] as const) {
      expectIndexed(await plan(overdueCountSql({ regionPrefix, now: NOW })), label);
    }
    const nodes = await plan(overdueCountSql({ regionPrefix: '4112', now: NOW }));
    expect(nodes.some((n) => n['Node Type'] === 'Index Only Scan' && n['Index Name'] === 'cases_overdue_step_idx')).toBe(true);
  });

  it.skipIf(!onPostgres)('the statements return what a plain filter over the table returns', async () => {
    const [expected] = rows<{ n: number }>(
      await db.db.execute(sql`select count(*)::int as n from cases where not closed and deadline_at < ${NOW.toISOString()}::timestamptz and county_code like '4112%'`),
    );
    const counted = rows<{ n: number }>(await db.db.execute(overdueCountSql({ regionPrefix: '4112', now: NOW })));
    expect(counted.reduce((s, r) => s + Number(r.n), 0)).toBe(expected.n);
    const first = rows<{ id: string; county_code: string }>(await db.db.execute(overdueListSql(page({ regionPrefix: '4112', limit: 300 }))));
    const oracle = rows<{ id: string }>(
      await db.db.execute(sql`select id from cases where not closed and deadline_at < ${NOW.toISOString()}::timestamptz order by deadline_at, id limit 301`),
    );
    expect(first.map((r) => r.id)).toEqual(oracle.map((r) => r.id));
    expect(new Set(first.map((r) => r.county_code)).size).toBeGreaterThan(1);
  });
});
