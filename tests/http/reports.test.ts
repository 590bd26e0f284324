// Reports (统计报表) over HTTP on both databases: figures from worlds built through the API (every row written
// by the command path) and in bulk (the pilot's 503 / 477 / 2,363 people), the rollups equal to their recount
// after every kind of command, jurisdiction (a county never sees another's numbers, a region outside gives an
// empty table), strict queries, and a race on PostgreSQL.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLUP_DEFINITIONS, rollupDifferences, type RollupTable } from '../../src/db/index.js';
import { reportTableSchema } from '../../src/http/routes/reports.js';
import { lockHolder, onPostgres, type LockHolder } from '../helpers/race.js';
import { insertBulk, reportWalker } from '../helpers/reportWorld.js';
import { startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
let holder: LockHolder;
let w: ReturnType<typeof reportWalker>;
beforeAll(async () => {
  svc = await startService();
  holder = await lockHolder(svc.database);
  w = reportWalker(svc);
});
afterAll(async () => {
  await holder?.close();
  await svc?.close();
});

async function report(who: TestUser, name: string, query = '') {
  const r = await svc.as(who, 'GET', `/reports/${name}${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(reportTableSchema.safeParse(r.body).success).toBe(true);
  return r.body as { scope: string; columns: { key: string; label: string }[]; rows: Record<string, string | number | null>[] };
}
const rowOf = (rows: Record<string, unknown>[], key: string, value: string) => rows.find((r) => r[key] === value);

async function expectRollupsExact() {
  for (const table of Object.keys(ROLLUP_DEFINITIONS) as RollupTable[]) {
    expect(await rollupDifferences(svc.database.db, table), table).toEqual([]);
  }
}

describe('a world walked through the API (灵宝市 and 渑池县)', () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    // Mon 2 Mar 2026: a care facility and a guardian in 苏村乡.
    const home = await w.facility({ name: '苏村社区安置点', type: 'resettlement_site', beds: 10, caregivers: 1 });
    const g = await w.guardian('邻居李某');
    // The Sun household: 2 people, elderly + severe intellectual; placed in centralized support.
    ids.sun = await w.opened('enumerator', V.sunjiagou, 2);
    await w.toReview(ids.sun, [['elderly'], ['severe_intellectual', 'serious_illness']]);
    // A widow in 明山村: dispersed care.
    ids.widow = await w.opened('enumerator', V.mingshan, 1);
    await w.toReview(ids.widow, [['elderly']]);
    await w.toApproved(ids.sun, ids.widow); // → Mon 9 Mar: approved 5 working days after the surveys
    await w.placeAt(ids.sun, home.id);
    await w.placeWith(ids.widow, g.id);
    // A case left at township review, and a survey not yet submitted.
    ids.review = await w.opened('enumerator', V.sunjiagou, 3);
    await w.toReview(ids.review, [['elderly']]);
    await w.ok('village', ids.review, { type: 'APPROVE' });
    ids.survey = await w.opened('enumerator', V.mingshan, 1);
    // 渑池县: one household of 4 at county review.
    ids.mc = await w.opened('mcEnumerator', V.mianchi, 4);
    await w.toReview(ids.mc, [['mental_illness']], 'mcEvaluator', 'mcEnumerator');
    // Three weeks on: the widow's revisit is made on time (monthly), the township review is overdue.
    svc.clock.advanceDays(21);
    await w.revisit(ids.widow);
  });

  it('the rollups equal their recount from cases, members and the audit trail', async () => {
    await expectRollupsExact();
  });

  it('by placement mode and by state count people and households', async () => {
    const p = await report('supervisor', 'by-placement');
    expect(p.scope).toBe('411282');
    expect(rowOf(p.rows, 'mode', 'centralized_support')).toMatchObject({ modeLabel: '集中供养', households: 1, people: 2 });
    expect(rowOf(p.rows, 'mode', 'dispersed_care')).toMatchObject({ modeLabel: '分散托养', households: 1, people: 1 });
    expect(rowOf(p.rows, 'mode', 'centralized_treatment')).toMatchObject({ households: 0, people: 0 });
    expect(rowOf(p.rows, 'mode', 'total')).toMatchObject({ households: 2, people: 3 });
    const s = await report('supervisor', 'by-state');
    expect(rowOf(s.rows, 'state', 'review')).toMatchObject({ stateLabel: '逐级审核', households: 1, people: 3 });
    expect(rowOf(s.rows, 'state', 'survey')).toMatchObject({ households: 1, people: 1 });
    expect(rowOf(s.rows, 'state', 'active.monitoring')).toMatchObject({ households: 2, people: 3 });
    // 渑池县's household of 4 is not in 灵宝市's figures.
    expect(s.rows.reduce((n, r) => n + Number(r.people), 0)).toBe(7);
  });

  it('by category counts members of open cases; a person in two categories counts twice', async () => {
    const c = await report('supervisor', 'by-category');
    expect(rowOf(c.rows, 'category', 'elderly')).toMatchObject({ categoryLabel: '贫困老年人', people: 1 + 1 + 3, inCare: 2 });
    expect(rowOf(c.rows, 'category', 'severe_intellectual')).toMatchObject({ people: 1, inCare: 1 });
    expect(rowOf(c.rows, 'category', 'serious_illness')).toMatchObject({ people: 1, inCare: 1 });
    expect(rowOf(c.rows, 'category', 'mental_illness')).toMatchObject({ people: 0 });
    const city = await report('citySupervisor', 'by-category');
    expect(rowOf(city.rows, 'category', 'mental_illness')).toMatchObject({ people: 4 });
  });

  it('by region drills down county → township → village with names from the regions table', async () => {
    const city = await report('citySupervisor', 'by-region');
    expect(city.rows.map((r) => [r.regionCode, r.regionName, r.people])).toEqual([['411221', '渑池县', 4], ['411282', '灵宝市', 7]]);
    const county = await report('citySupervisor', 'by-region', '?region=411282');
    expect(county.rows).toEqual([expect.objectContaining({ regionCode: '411282108', regionName: '苏村乡', households: 4, people: 7 })]);
    const township = await report('supervisor', 'by-region', '?region=411282108');
    expect(township.rows.map((r) => [r.regionName, r.people, r.centralized_support, r.dispersed_care])).toEqual([['孙家沟村', 5, 2, 0], ['明山村', 2, 0, 1]]);
  });

  it('monthly flows, time to approval in working days, overdue steps, revisits and facilities', async () => {
    const f = await report('supervisor', 'monthly-flows', '?from=2026-02&to=2026-03');
    expect(f.rows).toEqual([
      { month: '2026-02', survey: 0, approval: 0, placement: 0, exit: 0 },
      { month: '2026-03', survey: 3, approval: 2, placement: 2, exit: 0 },
    ]);
    const t = await report('citySupervisor', 'approval-time', '?from=2026-03&to=2026-03');
    // Submitted Mon 2 Mar; the Sun household approved Mon 9 Mar (5 working days), the widow the same day.
    expect(t.rows).toEqual([expect.objectContaining({ countyCode: '411282', countyName: '灵宝市', approvals: 2, median: 5, p90: 5, limit: 30, overLimit: 0, overShare: 0 })]);
    const o = await report('supervisor', 'overdue');
    expect(o.rows).toEqual(expect.arrayContaining([expect.objectContaining({ countyName: '灵宝市', step: 'review.township', stepLabel: '乡镇审核', count: 1 })]));
    const r = await report('supervisor', 'revisits', '?from=2026-03&to=2026-03');
    expect(rowOf(r.rows, 'villageCode', V.mingshan)).toMatchObject({ villageName: '明山村', townshipName: '苏村乡', onTime: 1, late: 0, missed: 0, onTimeShare: 1 });
    const fac = await report('officer', 'facilities');
    expect(fac.rows).toEqual([expect.objectContaining({ name: '苏村社区安置点', typeLabel: '集中安置点', regionName: '苏村乡', beds: 10, residents: 2, occupancy: 0.2, caregivers: 1, residentsPerCaregiver: 2 })]);
  });

  it('a late revisit, a missed one, an exit: counted, and the rollups stay exact', async () => {
    svc.clock.advanceDays(40); // the widow's next revisit was due a month after the last: now missed
    const missed = await report('supervisor', 'revisits', `?region=${V.mingshan}&from=2026-03&to=2026-05`);
    expect(missed.rows[0]).toMatchObject({ onTime: 1, late: 0, missed: 1 });
    await w.revisit(ids.widow); // made late
    const late = await report('supervisor', 'revisits', `?region=${V.mingshan}&from=2026-03&to=2026-05`);
    expect(late.rows[0]).toMatchObject({ onTime: 1, late: 1, missed: 0, onTimeShare: 0.5 });
    await w.ok('officer', ids.sun, { type: 'EXIT', reason: 'deceased', date: w.today() });
    const f = await report('supervisor', 'monthly-flows', '?from=2026-05&to=2026-05');
    expect(f.rows[0]).toMatchObject({ exit: 1 });
    const p = await report('supervisor', 'by-placement');
    expect(rowOf(p.rows, 'mode', 'centralized_support')).toMatchObject({ households: 0, people: 0 });
    await expectRollupsExact();
  });

  it('jurisdiction: another county sees none of these numbers; a region outside gives an empty table and the caller’s scope', async () => {
    const mc = await report('mcSupervisor', 'by-state');
    expect(mc.scope).toBe('411221');
    expect(mc.rows.reduce((n, r) => n + Number(r.people), 0)).toBe(4);
    for (const name of ['by-state', 'by-placement', 'by-region', 'overdue', 'facilities', 'revisits', 'approval-time', 'monthly-flows']) {
      const outside = await report('supervisor', name, `?region=${V.mianchi}`);
      expect(outside.scope, name).toBe('411282');
      expect(outside.rows, name).toEqual([]);
    }
    const outsideCategory = await report('mcSupervisor', 'by-category', `?region=${V.sunjiagou}`);
    expect(outsideCategory.rows).toEqual([]);
    // A township reviewer: only their township.
    const village = await report('village', 'by-region');
    expect(village.scope).toBe('411282108');
  });

  it('who may read; strict queries with field names', async () => {
    for (const who of ['enumerator', 'evaluator', 'visitor'] as const) expect((await svc.as(who, 'GET', '/reports/by-state')).status).toBe(403);
    expect((await svc.as(null, 'GET', '/reports/by-state')).status).toBe(401);
    const unknown = await svc.as('supervisor', 'GET', '/reports/by-state?county=411282');
    expect(unknown.status).toBe(400);
    const bad = await svc.as('supervisor', 'GET', '/reports/monthly-flows?from=2026-13&region=4112821');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['query.from', 'query.region']);
    const reversed = await svc.as('supervisor', 'GET', '/reports/monthly-flows?from=2026-05&to=2026-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.details[0].path).toBe('query.from');
    expect((await svc.as('supervisor', 'GET', '/reports/by-state?from=2026-01')).status).toBe(400);
  });
});

describe('the pilot’s figures (卢氏县 bulk world)', () => {
  it('503 people in centralized support, 477 in centralized treatment, 2,363 in dispersed care — people, not households', async () => {
    const db = svc.database.db;
    const v1 = '411224100201';
    const v2 = '411224101301';
    // 503 = 150 × 3 + 53 × 1; 477 = 200 × 2 + 77 × 1; 2,363 = 700 × 3 + 263 × 1 (split over two townships).
    await insertBulk(db, { villageCode: v1, state: 'active.monitoring', placementMode: 'centralized_support', households: 150, membersEach: 3, categories: ['elderly'] });
    await insertBulk(db, { villageCode: v2, state: 'active.monitoring', placementMode: 'centralized_support', households: 53, membersEach: 1, categories: ['severe_disability'] });
    await insertBulk(db, { villageCode: v1, state: 'active.reassessmentDue', placementMode: 'centralized_treatment', households: 200, membersEach: 2, categories: ['mental_illness'] });
    await insertBulk(db, { villageCode: v2, state: 'active.monitoring', placementMode: 'centralized_treatment', households: 77, membersEach: 1, categories: ['serious_illness'] });
    await insertBulk(db, { villageCode: v1, state: 'active.monitoring', placementMode: 'dispersed_care', households: 700, membersEach: 3, categories: ['elderly'] });
    await insertBulk(db, { villageCode: v2, state: 'exitNotice', placementMode: 'dispersed_care', households: 263, membersEach: 1, categories: ['elderly', 'severe_disability'] });
    // Not in care: exited, and not yet placed.
    await insertBulk(db, { villageCode: v1, state: 'exited', placementMode: 'dispersed_care', households: 40, membersEach: 2 });
    await insertBulk(db, { villageCode: v2, state: 'awaitingPlacement', households: 30, membersEach: 2 });
    await svc.database.db.execute(sql`insert into users (username, display_name, roles, jurisdiction) values ('ls-supervisor', 'ls', '{supervisor}', '411224')`);

    const p = await report('citySupervisor', 'by-placement', '?region=411224');
    expect(p.rows.map((r) => [r.modeLabel, r.people])).toEqual([['集中供养', 503], ['集中救治', 477], ['分散托养', 2363], ['合计', 3343]]);
    expect(p.rows.map((r) => r.households)).toEqual([203, 277, 963, 1443]);
    const c = await report('citySupervisor', 'by-category', '?region=411224');
    expect(rowOf(c.rows, 'category', 'elderly')).toMatchObject({ people: 450 + 2100 + 263, inCare: 450 + 2100 + 263 });
    expect(rowOf(c.rows, 'category', 'severe_disability')).toMatchObject({ people: 53 + 263 });
    await expectRollupsExact();
  });
});

describe.runIf(onPostgres)('racing commands on PostgreSQL', () => {
  it('approvals and surveys racing in one village keep the rollups exact', async () => {
    // Five cases evaluated (not yet submitted) and four surveys, all in 孙家沟村.
    const cases: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await w.opened('enumerator', V.sunjiagou, 1 + (i % 3));
      await w.ok('enumerator', id, { type: 'SUBMIT_SURVEY' });
      const c = await w.ok('evaluator', id, { type: 'START_EVALUATION' });
      for (const m of c.household.members as { id: string }[]) {
        await w.ok('evaluator', id, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly', 'serious_illness'], labourCapacity: 'none', evidence: ['证明'] } });
      }
      cases.push(id);
    }
    const surveys: string[] = [];
    for (let i = 0; i < 4; i++) surveys.push(await w.opened('enumerator', V.sunjiagou, 2));
    // Hold the rollup row every submitted evaluation moves into, so they are all inside the database at once.
    const { results, blocked } = await holder.raced(
      (t) => t`select 1 from report_case_counts where village_code = ${V.sunjiagou} and state = 'review' and placement_mode = '' for update`,
      4,
      () => [
        ...cases.map((id) => w.send('evaluator', id, { type: 'SUBMIT_EVALUATION', conclusion: '符合' })),
        ...surveys.map((id) => w.send('enumerator', id, { type: 'SUBMIT_SURVEY' })),
      ],
    );
    expect(blocked).toBeGreaterThanOrEqual(4);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    await expectRollupsExact();
  });
});
