// Household income (收入) over HTTP, on both databases: the Sun household's 12,284 yuan, the 120% collective-dividend
// rule, 明山村's 12,000, permissions, masks, If-Match, the audit trail, and a real race on PostgreSQL.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { lockHolder, onPostgres, type LockHolder } from '../helpers/race.js';
import { idNumber, startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
let holder: LockHolder;
beforeAll(async () => {
  svc = await startService();
  holder = await lockHolder(svc.database);
});
afterAll(async () => {
  await holder?.close();
  await svc?.close();
});

/** The Sun household's year as the article gives it: policy 5,784 + dividends 4,500 + care fund 2,000. */
const SUN_LINES = [
  { source: 'dibao', amount: 3384, evidence: '2019年低保发放花名册（141元/人/月）' },
  { source: 'pension', amount: '1416', evidence: '城乡居民养老保险发放记录' },
  { source: 'disability_allowance', amount: '984.00', evidence: '困难残疾人生活补贴（82元/月）' },
  { source: 'dividend_individual', amount: 1500, evidence: '“1+1”带贫分红协议' },
  { source: 'dividend_collective', amount: 2000, evidence: '村集体经济分红名册' },
  { source: 'dividend_enterprise', amount: 1000, evidence: '企业扶贫公益股分红' },
  { source: 'care_fund', amount: 2000, evidence: '关爱基金发放签收表' },
];

async function newCase(survey: object = sunSurvey()) {
  const r = await svc.as('enumerator', 'POST', '/households', survey);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}
const version = async (caseId: string) => Number(String((await svc.as('officer', 'GET', `/cases/${caseId}`)).headers.etag).replaceAll('"', ''));
const put = (who: TestUser, caseId: string, year: number, body: unknown, ifMatch?: number | string, headers: Record<string, string> = {}) =>
  svc.as(who, 'PUT', `/cases/${caseId}/income/${year}`, body, { ...(ifMatch !== undefined ? { 'if-match': `"${ifMatch}"` } : {}), ...headers });

describe('the Sun household of 孙家沟村', () => {
  it('records the year’s lines and reproduces 5,784 + 4,500 + 2,000 = 12,284 yuan, 6,142 per person', async () => {
    const caseId = await newCase();
    const v = await version(caseId);
    const r = await put('evaluator', caseId, 2019, { lines: SUN_LINES }, v);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.etag).toBe(`"${v + 1}"`);
    expect(r.body.totals).toEqual({
      total: { fen: 1_228_400, yuan: '12284.00' },
      policy: { fen: 578_400, yuan: '5784.00' },
      dividends: { fen: 450_000, yuan: '4500.00' },
      careFund: { fen: 200_000, yuan: '2000.00' },
      members: 2,
      perPerson: { fen: 614_200, yuan: '6142.00' },
    });
    expect(r.body.lines.map((l: { source: string; amount: string }) => [l.source, l.amount])).toContainEqual(['disability_allowance', '984.00']);
    expect(r.body.dividendCheck.status).toBe('no_reference');

    // Read back by anyone who sees the case; another year is empty.
    const got = await svc.as('supervisor', 'GET', `/cases/${caseId}/income?year=2019`);
    expect(got.status).toBe(200);
    expect(got.body.totals.total.yuan).toBe('12284.00');
    expect(got.headers.etag).toBe(`"${v + 1}"`);
    const other = await svc.as('supervisor', 'GET', `/cases/${caseId}/income?year=2020`);
    expect(other.body.lines).toEqual([]);
    expect(other.body.totals.total.fen).toBe(0);

    // In the case's audit trail, hash-chained, the case's state unchanged.
    const audit = await svc.as('officer', 'GET', `/cases/${caseId}/audit`);
    const rec = audit.body.records.at(-1);
    expect(rec).toMatchObject({ eventType: 'INCOME_RECORDED', actorRole: 'evaluator', stateBefore: 'survey', stateAfter: 'survey' });
    expect(rec.payload).toMatchObject({ year: 2019, totalFen: 1_228_400, previous: [] });
    expect((await svc.as('officer', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);

    // A change replaces the whole year (a source left out is removed) and records what it replaced.
    const r2 = await put('officer', caseId, 2019, { lines: SUN_LINES.filter((l) => l.source !== 'care_fund') }, v + 1);
    expect(r2.status, JSON.stringify(r2.body)).toBe(200);
    expect(r2.body.totals.total.yuan).toBe('10284.00');
    const rec2 = (await svc.as('officer', 'GET', `/cases/${caseId}/audit`)).body.records.at(-1);
    expect(rec2.actorRole).toBe('officer');
    expect(rec2.payload.previous).toContainEqual({ source: 'care_fund', amountFen: 200_000 });
    expect((await svc.as('officer', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);
  });
});

describe('refusals', () => {
  let caseId: string;
  beforeAll(async () => {
    caseId = await newCase();
  });

  it('names each bad field, in Chinese too, and refuses unknown fields', async () => {
    const v = await version(caseId);
    const r = await put('evaluator', caseId, 2019, {
      lines: [
        { source: 'dibao', amount: 10.005, evidence: 'x' },
        { source: 'dibao', amount: 1, evidence: 'y' },
        { source: 'lottery', amount: 1, evidence: 'z' },
        { source: 'pension', amount: -1, evidence: ' ' },
      ],
    }, v);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    const paths = r.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.lines[0].amount', 'body.lines[2].source', 'body.lines[3].amount', 'body.lines[3].evidence']));
    const extra = await put('evaluator', caseId, 2019, { lines: [], note: 'x' }, v);
    expect(extra.status).toBe(400);
    const dup = await svc.app.inject({ method: 'PUT', url: `/cases/${caseId}/income/2019`, payload: { lines: [{ source: 'dibao', amount: 1, evidence: 'a' }, { source: 'dibao', amount: 2, evidence: 'b' }] }, headers: { authorization: `Bearer ${svc.token('evaluator')}`, 'if-match': `"${v}"`, 'accept-language': 'zh-CN' } });
    const zh = JSON.parse(dup.body);
    expect(zh.code).toBe('VALIDATION_FAILED');
    expect(zh.details[0].path).toBe('body.lines[1].source');
    expect(zh.message).toMatch(/[\u4e00-\u9fff]/);
    const badYear = await svc.as('officer', 'GET', `/cases/${caseId}/income?year=1999`);
    expect(badYear.status).toBe(400);
    expect(badYear.body.details[0].path).toContain('year');
    expect((await svc.as('officer', 'GET', `/cases/${caseId}/income?year=2019&x=1`)).status).toBe(400);
  });

  it('needs an evaluator or officer of the jurisdiction, and If-Match with the current version', async () => {
    const v = await version(caseId);
    const body = { lines: [{ source: 'dibao', amount: 100, evidence: '花名册' }] };
    for (const who of ['enumerator', 'visitor', 'supervisor', 'admin'] as const) {
      const r = await put(who, caseId, 2019, body, v);
      expect(r.status, who).toBe(403);
      expect(r.body.details.roles).toEqual(['evaluator', 'officer']);
    }
    const elsewhere = await put('mcOfficer', caseId, 2019, body, v);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.code).toBe('CASE_NOT_FOUND');
    expect((await svc.as('mcOfficer', 'GET', `/cases/${caseId}/income?year=2019`)).status).toBe(404);
    const none = await put('officer', caseId, 2019, body);
    expect(none.status).toBe(428);
    expect(none.body.details.currentVersion).toBe(v);
    const stale = await put('officer', caseId, 2019, body, v - 1);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', details: { expectedVersion: v - 1, currentVersion: v } });
    expect((await svc.as('officer', 'GET', `/cases/${caseId}/income?year=2019`)).body.lines).toEqual([]);
  });

  it('masks an ID number typed into the evidence for roles that do not see identity', async () => {
    const id = idNumber('1950-05-05');
    const v = await version(caseId);
    const r = await put('officer', caseId, 2021, { lines: [{ source: 'tekun', amount: 5000, evidence: `特困供养 ${id}` }] }, v);
    expect(r.status).toBe(200);
    expect(r.body.lines[0].evidence).toContain(id);
    const seen = await svc.as('supervisor', 'GET', `/cases/${caseId}/income?year=2021`);
    expect(seen.body.lines[0].evidence).not.toContain(id);
    expect(seen.body.lines[0].evidence).toContain(id.slice(0, 6));
    const audit = await svc.as('officer', 'GET', `/cases/${caseId}/audit`);
    expect(JSON.stringify(audit.body)).not.toContain(id);
  });

  it('keeps one line per household, year and source in the database itself', async () => {
    const v = await version(caseId);
    expect((await put('officer', caseId, 2022, { lines: [{ source: 'dibao', amount: 1, evidence: 'a' }] }, v)).status).toBe(200);
    const [hh] = rows<{ household_id: string }>(await svc.database.db.execute(sql`select household_id from cases where id = ${caseId}`));
    const attempt = svc.database.db.execute(sql`insert into household_income (household_id, year, source, amount_fen, evidence, case_id, recorded_by, recorded_at)
      values (${hh.household_id}, 2022, 'dibao', 100, 'again', ${caseId}, ${svc.users.officer.id}, now())`);
    await expect(attempt).rejects.toMatchObject({ cause: expect.objectContaining({ code: '23505' }) });
  });
});

describe('the 120% rule on collective dividends', () => {
  it('flags a shortfall against the village’s reference: reference 1,000 → 1,200 required; 1,100 recorded → 100 short', async () => {
    const caseId = await newCase();
    const url = `/settings/dividend-references/${V.sunjiagou}/2019`;
    const before = await svc.as('admin', 'GET', url);
    expect(before.status).toBe(200);
    expect(before.headers.etag).toBe('"0"');
    expect((await svc.as('admin', 'PUT', url, { amount: 1000 })).status).toBe(428);
    expect((await svc.as('mcAdmin', 'PUT', url, { amount: 1000 }, { 'if-match': '"0"' })).status).toBe(403);
    expect((await svc.as('officer', 'PUT', url, { amount: 1000 }, { 'if-match': '"0"' })).status).toBe(403);
    const set = await svc.as('admin', 'PUT', url, { amount: 1000 }, { 'if-match': '"0"' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ reference: { yuan: '1000.00' }, required: { yuan: '1200.00' }, version: 1, updatedBy: 'admin' });
    const stale = await svc.as('cityAdmin', 'PUT', url, { amount: 900 }, { 'if-match': '"0"' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'SETTING_VERSION_CONFLICT', details: { setting: 'dividend_reference:2019', scope: V.sunjiagou, currentVersion: 1 } });

    const v = await version(caseId);
    const r = await put('evaluator', caseId, 2019, { lines: [{ source: 'dividend_collective', amount: 1100, evidence: '分红名册' }] }, v);
    expect(r.body.dividendCheck).toEqual({
      status: 'shortfall',
      recorded: { fen: 110_000, yuan: '1100.00' },
      reference: { fen: 100_000, yuan: '1000.00' },
      required: { fen: 120_000, yuan: '1200.00' },
      shortfall: { fen: 10_000, yuan: '100.00' },
    });
    const ok = await put('evaluator', caseId, 2019, { lines: [{ source: 'dividend_collective', amount: 1200, evidence: '分红名册' }] }, v + 1);
    expect(ok.body.dividendCheck).toMatchObject({ status: 'ok', shortfall: { fen: 0 } });
    // No collective dividend at all, where the village pays one: the whole 1,200 is short.
    const none = await put('evaluator', caseId, 2019, { lines: [] }, v + 2);
    expect(none.body.dividendCheck).toMatchObject({ status: 'shortfall', shortfall: { yuan: '1200.00' } });

    // The change is in the setting history, which the database keeps append-only.
    const hist = rows<{ setting: string; scope: string; version: number; actor_username: string }>(
      await svc.database.db.execute(sql`select setting, scope, version, actor_username from setting_history where scope = ${V.sunjiagou}`),
    );
    expect(hist).toEqual([{ setting: 'dividend_reference:2019', scope: V.sunjiagou, version: 1, actor_username: 'admin' }]);
    await expect(svc.database.db.execute(sql`update setting_history set version = 9`)).rejects.toThrow();
    const list = await svc.as('admin', 'GET', '/settings/dividend-references?year=2019');
    expect(list.body.items.map((i: { villageCode: string }) => i.villageCode)).toEqual([V.sunjiagou]);
    expect((await svc.as('mcAdmin', 'GET', '/settings/dividend-references?year=2019')).body.items).toEqual([]);
  });
});

describe('明山村 and the income report', () => {
  it('six households with 2,000 each of collective dividend: 12,000 for the village', async () => {
    for (let i = 0; i < 6; i++) {
      const caseId = await newCase(sunSurvey(V.mingshan));
      const r = await put('officer', caseId, 2019, { lines: [{ source: 'dividend_collective', amount: 2000, evidence: '明山村集体土地分红' }] }, await version(caseId));
      expect(r.status).toBe(200);
    }
    const report = await svc.as('supervisor', 'GET', `/reports/income?year=2019&region=${V.mingshan}`);
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    const total = report.body.rows.at(-1);
    expect(total).toMatchObject({ region: '合计', households: 6, persons: 12, dividend_collective: 12000, total: 12000, perPerson: 1000 });
    expect(report.body.columns.find((c: { key: string }) => c.key === 'dividend_collective')).toEqual({ key: 'dividend_collective', label: '集体经济分红', type: 'money' });
    expect(report.body.scope).toBe(V.mingshan);

    // The township's report: one row per village (孙家沟村 holds the Sun household and the other test cases).
    const township = await svc.as('citySupervisor', 'GET', '/reports/income?year=2019&region=411282108');
    const byName = Object.fromEntries(township.body.rows.map((r: { region: string }) => [r.region, r]));
    expect(byName['明山村'].dividend_collective).toBe(12000);
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['孙家沟村', '明山村', '合计']));
    // A county outside: nothing is counted; a region outside the jurisdiction is refused.
    const mc = await svc.as('mcSupervisor', 'GET', '/reports/income?year=2019');
    expect(mc.body.rows).toEqual([expect.objectContaining({ region: '合计', households: 0, total: 0 })]);
    expect((await svc.as('mcSupervisor', 'GET', '/reports/income?year=2019&region=411282')).status).toBe(403);
    expect((await svc.as('enumerator', 'GET', '/reports/income?year=2019')).status).toBe(403);

    // The engine's function, as the reports and exports call it.
    const table = await svc.engine.incomeSummary(svc.principal('citySupervisor'), { year: 2019 });
    expect(table.id).toBe('income-by-source');
    const rowsOf = table.rows as Record<string, unknown>[];
    expect(rowsOf.map((r) => r.region)).toEqual(['灵宝市', '合计']);
    expect(rowsOf[0].dividend_collective).toBe(rowsOf[1].dividend_collective);
  });
});

describe.runIf(onPostgres)('racing changes (PostgreSQL)', () => {
  it('two changes from the same version: one wins, the other gets VERSION_CONFLICT', async () => {
    const caseId = await newCase();
    const v = await version(caseId);
    const { results, blocked } = await holder.raced(
      (t) => t`select 1 from cases where id = ${caseId} for update`,
      2,
      () => [
        put('evaluator', caseId, 2019, { lines: [{ source: 'dibao', amount: 100, evidence: 'A' }] }, v),
        put('officer', caseId, 2019, { lines: [{ source: 'dibao', amount: 200, evidence: 'B' }] }, v),
      ],
    );
    expect(blocked).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('VERSION_CONFLICT');
    const winner = results.find((r) => r.status === 200)!.body;
    const now = await svc.as('officer', 'GET', `/cases/${caseId}/income?year=2019`);
    expect(now.body.lines).toEqual([expect.objectContaining({ amountFen: winner.lines[0].amountFen })]);
    const audit = await svc.as('officer', 'GET', `/cases/${caseId}/audit`);
    expect(audit.body.records.filter((r: { eventType: string }) => r.eventType === 'INCOME_RECORDED')).toHaveLength(1);
  });
});
