// The demo seed, through the real engine on PGlite (default) or PostgreSQL (DATABASE_URL): idempotent, the
// Sun household placed as the article tells, every audit chain intact, demo ids equal to the stored ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq, inArray } from 'drizzle-orm';
import { defaultCasePolicy } from '../../machines/index.js';
import { auditRecords, cases, facilities, findUserByUsername, households, members, regions, users } from '../../src/db/index.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { createLogger } from '../../src/logger.js';
import { demoCases, demoUsers, FACILITY_IDS, isEmptyDatabase, principalOf, seedDemo, type SeedResult } from '../../src/seed/index.js';
import { demoIdNumber } from '../../src/seed/story.js';
import { WorkingCalendar } from '../../src/time/calendar.js';
import { ManualClock } from '../../src/time/clock.js';
import { ScopedDeadlinePolicy } from '../../src/time/timeSettings.js';
import { validateResidentId } from '../../src/domain/residentId.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const START = '2026-03-02T01:00:00.000Z';
const logger = createLogger({ logLevel: 'silent' });

let handle: TestDb;
let clock: ManualClock;
let engine: Engine;
let first: SeedResult;
let second: SeedResult;
let rowCounts: () => Promise<Record<string, number>>;
let countsAfterFirst: Record<string, number>;

const supervisor = principalOf(demoUsers.find((u) => u.username === 'city-supervisor')!);

async function demoCaseIds(): Promise<Map<string, string>> {
  const rows = await handle.db
    .select({ marker: households.poorId, caseId: cases.id })
    .from(cases)
    .innerJoin(households, eq(households.id, cases.householdId))
    .where(inArray(households.poorId, demoCases.map((c) => c.marker)));
  return new Map(rows.map((r) => [r.marker!, r.caseId]));
}

beforeAll(async () => {
  handle = await createTestDb();
  clock = new ManualClock(START);
  engine = createEngine({
    db: handle.db,
    clock,
    calendar: new WorkingCalendar(),
    deadlinePolicy: new ScopedDeadlinePolicy(),
    webhookTargets: { allowHosts: [] },
    casePolicy: defaultCasePolicy,
    logger,
  });
  rowCounts = async () => {
    const out: Record<string, number> = {};
    for (const [name, table] of Object.entries({ regions, users, facilities, households, members, cases, auditRecords })) {
      const [row] = await handle.db.select({ n: count() }).from(table);
      out[name] = Number(row.n);
    }
    return out;
  };
  expect(await isEmptyDatabase(handle.db)).toBe(true);
  first = await seedDemo({ db: handle.db, engine, clock, logger });
  countsAfterFirst = await rowCounts();
  second = await seedDemo({ db: handle.db, engine, clock, logger });
}, 120_000);

afterAll(async () => {
  await handle?.close();
});

describe('seedDemo', () => {
  it('tells every demo case once; a second run changes nothing', async () => {
    expect(first.cases).toEqual({ created: demoCases.length, existing: 0, total: demoCases.length });
    expect(second.cases).toEqual({ created: 0, existing: demoCases.length, total: demoCases.length });
    expect({ ...second, cases: null }).toEqual({ ...first, cases: null });
    expect(await rowCounts()).toEqual(countsAfterFirst);
    expect(countsAfterFirst).toMatchObject({ regions: first.regions, users: first.users, facilities: first.facilities, cases: demoCases.length });
    expect(await isEmptyDatabase(handle.db)).toBe(false);
  });

  it('leaves the caller\'s clock alone, and dates no demo event after it', async () => {
    expect(clock.now().toISOString()).toBe(START);
    const all = await handle.db.select({ at: auditRecords.at }).from(auditRecords);
    expect(all.every((r) => r.at.getTime() < Date.parse(START))).toBe(true);
  });

  it('places the Sun household of 孙家沟村 in centralized support at 苏村社区安置点', async () => {
    const ids = await demoCaseIds();
    const sun = await engine.getCase(supervisor, ids.get('DEMO-SUN')!);
    expect(sun.state).toBe('active.monitoring');
    expect(sun.villageCode).toBe('411282108201');
    expect(sun.placementMode).toBe('centralized_support');
    expect(sun.facilityId).toBe(FACILITY_IDS.sucunSite);
    expect(sun.placement).toMatchObject({ mode: 'centralized_support', facility: { id: FACILITY_IDS.sucunSite, name: '苏村社区安置点' } });
    expect(sun.household.members.map((m) => m.name)).toEqual(['孙长明', '孙建国']);
    // A supervisor sees masked ID numbers.
    expect(sun.household.members[0].idNumber).toMatch(/^411282\*{10}\d[\dX]$/);

    const trail = await engine.audit(supervisor, sun.id);
    expect(trail.map((r) => r.eventType)).toEqual([
      'OPEN_CASE', 'SUBMIT_SURVEY', 'START_EVALUATION', 'RECORD_ASSESSMENT', 'RECORD_ASSESSMENT', 'SUBMIT_EVALUATION',
      'APPROVE', 'APPROVE', 'APPROVE', 'NOTICE_PERIOD_ENDED', 'PLACE', 'INCOME_RECORDED',
    ]);
    const byUser = (username: string) => demoUsers.find((u) => u.username === username)!.id;
    expect(trail.map((r) => r.actorId)).toEqual([
      byUser('lb-enumerator'), byUser('lb-enumerator'), byUser('lb-evaluator'), byUser('lb-evaluator'), byUser('lb-evaluator'),
      byUser('lb-evaluator'), byUser('lb-reviewer-village'), byUser('lb-reviewer-township'), byUser('lb-reviewer-county'),
      byUser('system'), byUser('lb-officer'), byUser('lb-officer'),
    ]);
    // The article's income: 5,784 + 4,500 + 2,000 = 12,284 yuan a year, 6,142 per person; the collective dividend
    // (2,000) meets 120% of the village's general poor household's (1,500 → 1,800).
    const year = Number(new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 4));
    const income = await engine.caseIncome(supervisor, sun.id, year);
    expect(income.totals).toMatchObject({ policy: { yuan: '5784.00' }, dividends: { yuan: '4500.00' }, careFund: { yuan: '2000.00' }, total: { yuan: '12284.00' }, perPerson: { yuan: '6142.00' } });
    expect(income.dividendCheck).toMatchObject({ status: 'ok', required: { yuan: '1800.00' }, recorded: { yuan: '2000.00' } });
    // The notice ran its seven days.
    const approved = Date.parse(trail[8].at);
    expect(Date.parse(trail[9].at) - approved).toBeGreaterThanOrEqual(7 * 86_400_000);
  });

  it('leaves the other demo cases at their steps', async () => {
    const ids = await demoCaseIds();
    const stateOf = async (marker: string) => (await engine.getCase(supervisor, ids.get(marker)!)).state;
    expect(await stateOf('DEMO-SURVEY')).toBe('survey');
    expect(await stateOf('DEMO-SCREENED-OUT')).toBe('screenedOut');
    expect(await stateOf('DEMO-AWAITING')).toBe('awaitingPlacement');
    expect(await stateOf('DEMO-OBJECTION')).toBe('publicity.objected');
    expect(await stateOf('DEMO-TREATMENT')).toBe('active.monitoring');
    const township = await engine.getCase(supervisor, ids.get('DEMO-TOWNSHIP')!);
    expect(township.state).toMatch(/^review/);
    expect(township.reviewLevel).toBe('township');
    const dispersed = await engine.getCase(supervisor, ids.get('DEMO-DISPERSED')!);
    expect(dispersed).toMatchObject({ state: 'active.monitoring', countyCode: '411221', placementMode: 'dispersed_care', revisits: { count: 1 } });
    expect(dispersed.placement?.guardian).toMatchObject({ kind: 'legal_supporter', name: '高建设' });
  });

  it('fills 东寨村互助幸福中心 to its 1:5 caregiver limit, so the waiting case is refused there', async () => {
    const ids = await demoCaseIds();
    const officer = principalOf(demoUsers.find((u) => u.username === 'lb-officer')!);
    const place = (facilityId: string) =>
      engine.sendEvent({ principal: officer }, ids.get('DEMO-AWAITING')!, { type: 'PLACE', mode: 'centralized_support', startDate: '2026-03-02', facilityId });
    await expect(place(FACILITY_IDS.dongzhaiMutualAid)).rejects.toMatchObject({ code: 'GUARD_FAILED', details: { rule: 'CAREGIVER_RATIO' } });
    expect(await stateOf(ids.get('DEMO-AWAITING')!)).toBe('awaitingPlacement');

    async function stateOf(id: string) {
      return (await engine.getCase(supervisor, id)).state;
    }
  });

  it('records every demo case with an intact audit chain', async () => {
    const ids = await demoCaseIds();
    expect(ids.size).toBe(demoCases.length);
    for (const [marker, id] of ids) {
      const v = await engine.verifyAudit(supervisor, id);
      expect(v, marker).toMatchObject({ ok: true });
    }
  });

  it('skips a demo case whose household lost its marker (survey edited) instead of failing on the duplicate', async () => {
    const [edited] = await handle.db.update(households).set({ poorId: null }).where(eq(households.poorId, 'DEMO-SURVEY')).returning();
    const before = await rowCounts();
    const again = await seedDemo({ db: handle.db, engine, clock, logger });
    expect(again.cases).toEqual({ created: 0, existing: demoCases.length, total: demoCases.length });
    expect(await rowCounts()).toEqual(before);
    await handle.db.update(households).set({ poorId: 'DEMO-SURVEY' }).where(eq(households.id, edited.id));
  });

  it('stores the demo users with their fixed ids', async () => {
    for (const u of demoUsers) {
      const row = await findUserByUsername(handle.db, u.username);
      expect(row, u.username).toMatchObject({ id: u.id, roles: u.roles, reviewLevel: u.reviewLevel, jurisdiction: u.jurisdiction, active: true });
    }
  });
});

describe('demo ID numbers', () => {
  it('are valid GB 11643 numbers whose birth date and sex match', () => {
    const id = demoIdNumber('lb', '1947-02-10', 'male', 1);
    expect(validateResidentId(id, '1947-02-10')).toEqual({ ok: true, birthDate: '1947-02-10', sex: 'male' });
    expect(validateResidentId(demoIdNumber('mc', '1953-07-07', 'female', 202), '1953-07-07')).toMatchObject({ ok: true, sex: 'female' });
  });
});

describe('demo users', () => {
  it('sign in with the README\'s demo password; production refuses to start with them unless allowed', async () => {
    const { DEMO_PASSWORD } = await import('../../src/seed/index.js');
    const { checkDemoUsers } = await import('../../src/auth/demoUsers.js');
    const officer = await engine.accounts.checkPassword('lb-officer', DEMO_PASSWORD, {});
    expect(officer).toMatchObject({ username: 'lb-officer', demo: true, mustChangePassword: false });
    const system = await engine.accounts.checkPassword('system', DEMO_PASSWORD, {});
    expect(system.kind).toBe('service');
    await expect(engine.accounts.startSession(system, { via: 'password' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const warnings: unknown[] = [];
    const log = { warn: (o: unknown) => void warnings.push(o) };
    await expect(checkDemoUsers({ nodeEnv: 'production', allowDemoUsers: false }, engine.accounts, log)).rejects.toThrow(/demo users .* exist/);
    await expect(checkDemoUsers({ nodeEnv: 'production', allowDemoUsers: true }, engine.accounts, log)).resolves.toBeUndefined();
    await expect(checkDemoUsers({ nodeEnv: 'development', allowDemoUsers: false }, engine.accounts, log)).resolves.toBeUndefined();
    expect(warnings).toEqual([{ demoUsers: demoUsers.length }, { demoUsers: demoUsers.length }]);
  });
});
