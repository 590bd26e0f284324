// One open case per resident, guaranteed by the database (resident_enrolments' primary key), across counties
// and under parallel surveys; a case that leaves the path (screenedOut, rejected, exited) frees its people,
// REOPEN re-checks; a duplicate whose other case is outside the caller's jurisdiction is refused without
// naming it, and reported to the supervisors over that case.
//
// On PostgreSQL the surveys provably race: the test holds `households` in SHARE mode from a connection of its
// own (a survey's write begins with the household's insert; its load reads no household), sends the surveys,
// waits until they all wait on that lock — so every one of them has loaded, seen no other case, and planned
// its write — and only then releases it. Whatever is refused after that is refused by the database. On PGlite
// (one connection) the surveys are serialized; the same answers hold.
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFacility, rows } from '../../src/db/index.js';
import { TEST_PG_POOL, testDbKind } from '../helpers/db.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

const onPostgres = testDbKind() === 'postgres';

let svc: TestService;
let holder: postgres.Sql | null = null;
let dbName = '';
beforeAll(async () => {
  svc = await startService();
  if (onPostgres) {
    dbName = rows<{ name: string }>(await svc.database.db.execute(sql`select current_database() as name`))[0].name;
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${dbName}`;
    holder = postgres(url.toString(), { max: 2, onnotice: () => {} });
  }
});
afterAll(async () => {
  await holder?.end({ timeout: 5 });
  await svc?.close();
});

/**
 * Runs the requests while `table` is SHARE-locked (reads go on, writes wait), released once `mustBlock` service
 * transactions wait on it. `households`: a survey's first write (old code and new); `resident_enrolments`: the
 * write every command that takes people makes (a survey, REOPEN).
 */
async function raced<T>(mustBlock: number, requests: () => Promise<T>[], table: 'households' | 'resident_enrolments' = 'households'): Promise<{ results: T[]; blocked: number }> {
  if (!onPostgres) return { results: await Promise.all(requests()), blocked: 0 };
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: (pid: number) => void;
  const lockHeld = new Promise<number>((r) => (locked = r));
  const tx = holder!.begin(async (t) => {
    const pid = (await t`select pg_backend_pid() as pid`)[0].pid as number;
    await t.unsafe(`lock table ${table} in share mode`);
    locked(pid);
    await released;
  });
  const pid = await Promise.race([lockHeld, tx.then(() => 0)]);
  const pending = requests();
  let blocked = 0;
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [r] = await holder!`select count(*)::int as n from pg_stat_activity
        where datname = ${dbName} and wait_event_type = 'Lock' and ${pid}::int = any(pg_blocking_pids(pid))`;
      blocked = r.n as number;
      if (blocked >= mustBlock) break;
      if (Date.now() > deadline) throw new Error(`only ${blocked} of ${mustBlock} surveys blocked on the households lock`);
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    release();
    await tx;
  }
  return { results: await Promise.all(pending), blocked };
}

const member = (id: string, birthDate: string, labourCapacity = 'none') => ({
  name: '王某', idNumber: id, birthDate, sex: 'male', relation: '户主', labourCapacity,
});
const survey = (villageCode: string, address: string, members: object[]) => ({ villageCode, address, poorId: null, legalSupporter: null, members });

async function send(who: TestUser, caseId: string, body: object) {
  svc.clock.advanceHours(1);
  return svc.as(who, 'POST', `/cases/${caseId}/events`, body);
}

async function ok(who: TestUser, caseId: string, body: object) {
  const r = await send(who, caseId, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** survey → review, with every member assessed as elderly. */
async function toReview(caseId: string) {
  await ok('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await ok('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) {
    await ok('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['户籍证明'] } });
  }
  return ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
}

async function toActive(caseId: string) {
  await toReview(caseId);
  for (const who of ['village', 'township', 'county'] as const) await ok(who, caseId, { type: 'APPROVE' });
  svc.clock.advanceDays(7);
  await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
  const site = await insertFacility(svc.database.db, { name: `安置点-${caseId.slice(0, 6)}`, type: 'resettlement_site', regionCode: '411282108000', beds: 10, caregivers: 2 });
  return ok('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: svc.clock.now().toISOString().slice(0, 10), facilityId: site.id });
}

async function enrolmentsOf(ids: string[]) {
  return rows<{ id_number: string; case_id: string }>(
    await svc.database.db.execute(sql`select id_number, case_id::text from resident_enrolments where id_number in ${ids} order by id_number`),
  );
}

const duplicateAlerts = async (who: TestUser) =>
  (await svc.as(who, 'GET', '/notifications')).body.items.filter((n: { kind: string }) => n.kind === 'duplicate_resident');

describe('one open case per resident', () => {
  it('twenty identical surveys at once: one case, nineteen DUPLICATE_RESIDENT naming it, nothing half-written', async () => {
    const person = idNumber('1950-05-05');
    const body = survey(V.sunjiagou, '孙家沟村并发户', [member(person, '1950-05-05')]);
    const { results, blocked } = await raced(TEST_PG_POOL, () => Array.from({ length: 20 }, () => svc.as('enumerator', 'POST', '/households', body)));
    if (onPostgres) expect(blocked).toBe(TEST_PG_POOL); // every connection of the pool was past its load, in the database at once
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const caseId = created[0].body.caseId as string;
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.body).toMatchObject({ code: 'DUPLICATE_RESIDENT', details: { caseId } }); // same jurisdiction: named
    // Nothing of the refused surveys was written: one household, one member row, one case, one audit record.
    const [counts] = rows<{ households: number; members: number; cases: number; audit: number }>(
      await svc.database.db.execute(sql`select
        (select count(*)::int from households where address = '孙家沟村并发户') as households,
        (select count(*)::int from members where id_number = ${person}) as members,
        (select count(*)::int from cases c join households h on h.id = c.household_id where h.address = '孙家沟村并发户') as cases,
        (select count(*)::int from audit_records a join cases c on c.id = a.case_id join households h on h.id = c.household_id where h.address = '孙家沟村并发户') as audit`),
    );
    expect(counts).toEqual({ households: 1, members: 1, cases: 1, audit: 1 });
    expect(await enrolmentsOf([person])).toEqual([{ id_number: person, case_id: caseId }]);
  });

  it('the same person surveyed at once in 灵宝市 and 渑池县: one case; the other county learns nothing of it, its supervisors hear of the attempt', async () => {
    const person = idNumber('1944-04-04');
    const { results, blocked } = await raced(2, () => [
      svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '灵宝市的一户', [member(person, '1944-04-04')])),
      svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县的一户', [member(person, '1944-04-04')])),
    ]);
    if (onPostgres) expect(blocked).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const winnerAt = results.findIndex((r) => r.status === 201);
    const caseId = results[winnerAt].body.caseId as string;
    const loser = results[1 - winnerAt];
    expect(loser.body).toEqual({ code: 'DUPLICATE_RESIDENT', message: expect.any(String), details: { reported: true } });
    expect(JSON.stringify(loser.body)).not.toContain(caseId);

    // The supervisors over the case that holds the person (its county's and the city's) are told; the other county's are not.
    const [winnerSupervisor, loserSupervisor, loserUser] = winnerAt === 0 ? (['supervisor', 'mcSupervisor', 'mcEnumerator'] as const) : (['mcSupervisor', 'supervisor', 'enumerator'] as const);
    for (const who of [winnerSupervisor, 'citySupervisor'] as const) {
      const alerts = (await duplicateAlerts(who)).filter((n: { caseId: string }) => n.caseId === caseId);
      expect(alerts, who).toHaveLength(1);
      expect(alerts[0].data).toMatchObject({ caseId, attempt: { action: 'SURVEY', username: loserUser, villageCode: winnerAt === 0 ? V.mianchi : V.sunjiagou } });
      expect(JSON.stringify(alerts[0])).not.toContain(person);
      // …and can open the case the refusal did not name.
      expect((await svc.as(who, 'GET', `/cases/${caseId}`)).status).toBe(200);
    }
    expect((await duplicateAlerts(loserSupervisor)).filter((n: { caseId: string }) => n.caseId === caseId)).toEqual([]);
    expect(await enrolmentsOf([person])).toEqual([{ id_number: person, case_id: caseId }]);
  });

  it('a 灵宝市 enumerator surveying a 渑池县 resident: 409 without the case, and not a second case', async () => {
    const person = idNumber('1939-03-03', 'male', '411221');
    const theirs = await svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县某户', [member(person, '1939-03-03')]));
    expect(theirs.status).toBe(201);
    const before = (await duplicateAlerts('mcSupervisor')).length;
    const r = await svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '灵宝市某户', [member(person, '1939-03-03')]));
    expect(r.status).toBe(409);
    expect(r.body.details).toEqual({ reported: true });
    expect(JSON.stringify(r.body)).not.toContain(theirs.body.caseId);
    expect(JSON.stringify(r.body)).not.toContain(person);
    const alerts = await duplicateAlerts('mcSupervisor');
    expect(alerts).toHaveLength(before + 1);
    expect(alerts[0]).toMatchObject({ caseId: theirs.body.caseId, data: { attempt: { username: 'enumerator', jurisdiction: '411282108' } } });
    // The city supervisor, over both counties, sees the attempt too; the 灵宝市 supervisor does not.
    expect((await duplicateAlerts('citySupervisor')).some((n: { caseId: string }) => n.caseId === theirs.body.caseId)).toBe(true);
    expect((await duplicateAlerts('supervisor')).some((n: { caseId: string }) => n.caseId === theirs.body.caseId)).toBe(false);
  });

  it('screened out: the person is free; REOPEN re-checks and is refused once someone else took them', async () => {
    const person = idNumber('1980-01-01');
    const a = (await svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '筛查未通过户', [member(person, '1980-01-01', 'full')]))).body.caseId;
    expect((await ok('enumerator', a, { type: 'SUBMIT_SURVEY' })).state).toBe('screenedOut');
    expect(await enrolmentsOf([person])).toEqual([]);
    // Free: reopened, the case takes the person back…
    expect((await ok('officer', a, { type: 'REOPEN', reason: '补充材料' })).state).toBe('survey');
    expect(await enrolmentsOf([person])).toEqual([{ id_number: person, case_id: a }]);
    expect((await svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县户', [member(person, '1980-01-01')]))).status).toBe(409);
    // …screened out again, the person moves to 渑池县 and is surveyed there…
    expect((await ok('enumerator', a, { type: 'SUBMIT_SURVEY' })).state).toBe('screenedOut');
    const b = await svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县户', [member(person, '1980-01-01')]));
    expect(b.status).toBe(201);
    // …and REOPEN in 灵宝市 is refused, without naming the 渑池县 case; the case stays screened out.
    const r = await send('officer', a, { type: 'REOPEN', reason: '再次申请' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'DUPLICATE_RESIDENT', details: { reported: true } });
    expect(JSON.stringify(r.body)).not.toContain(b.body.caseId);
    expect((await svc.as('officer', 'GET', `/cases/${a}`)).body.state).toBe('screenedOut');
    expect(await enrolmentsOf([person])).toEqual([{ id_number: person, case_id: b.body.caseId }]);
    const alerts = (await duplicateAlerts('mcSupervisor')).filter((n: { caseId: string }) => n.caseId === b.body.caseId);
    expect(alerts[0].data.attempt).toMatchObject({ action: 'REOPEN', caseId: a, username: 'officer' });
  });

  it('REOPEN and a survey of the same person at once: one of them gets the person', async () => {
    const person = idNumber('1982-02-02');
    const a = (await svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '重启竞争户', [member(person, '1982-02-02', 'full')]))).body.caseId;
    expect((await ok('enumerator', a, { type: 'SUBMIT_SURVEY' })).state).toBe('screenedOut');
    const { results, blocked } = await raced(
      2,
      () => [
        send('officer', a, { type: 'REOPEN', reason: '补充材料' }),
        svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县竞争户', [member(person, '1982-02-02')])),
      ],
      'resident_enrolments',
    );
    if (onPostgres) expect(blocked).toBe(2);
    const [reopen, other] = results;
    // Exactly one wins: the reopened case, or the new survey.
    expect([[200, 409], [409, 201]]).toContainEqual([reopen.status, other.status]);
    for (const r of [reopen, other].filter((x) => x.status === 409)) expect(r.body).toMatchObject({ code: 'DUPLICATE_RESIDENT', details: { reported: true } });
    const holder = reopen.status === 200 ? a : other.body.caseId;
    expect(await enrolmentsOf([person])).toEqual([{ id_number: person, case_id: holder }]);
    expect((await svc.as('officer', 'GET', `/cases/${a}`)).body.state).toBe(reopen.status === 200 ? 'survey' : 'screenedOut');
  });

  it('rejected: the person is free; REOPEN of the rejected case is refused while another case holds them', async () => {
    const person = idNumber('1941-07-07');
    const a = (await svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '被驳回户', [member(person, '1941-07-07')]))).body.caseId;
    await toReview(a);
    // While the case is open the person is held, in every county.
    expect((await svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县户2', [member(person, '1941-07-07')]))).status).toBe(409);
    expect((await ok('village', a, { type: 'REJECT', reason: '不符合条件' })).state).toMatch(/^rejected/);
    const b = await svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县户2', [member(person, '1941-07-07')]));
    expect(b.status).toBe(201);
    const r = await send('officer', a, { type: 'REOPEN', reason: '复核' });
    expect(r.status).toBe(409);
    expect(r.body.details).toEqual({ reported: true });
    expect((await svc.as('officer', 'GET', `/cases/${a}`)).body.state).toMatch(/^rejected/);
  });

  it('exited: held through the exit notice, free once the case has exited', async () => {
    const person = idNumber('1943-08-08');
    const a = (await svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '退出户', [member(person, '1943-08-08')]))).body.caseId;
    await toActive(a);
    const today = svc.clock.now().toISOString().slice(0, 10);
    expect((await ok('officer', a, { type: 'EXIT', reason: 'moved_away', date: today })).state).toBe('exitNotice');
    const again = () => svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '迁入渑池县', [member(person, '1943-08-08')]));
    expect((await again()).status).toBe(409);
    svc.clock.advanceDays(7);
    const ended = await ok('system', a, { type: 'NOTICE_PERIOD_ENDED' });
    expect(ended).toMatchObject({ state: 'exited', closed: true });
    // Stored as answered (a boolean parameter sent as text used to be stored as false: exited cases stayed open).
    expect(rows(await svc.database.db.execute(sql`select closed from cases where id = ${a}`))).toEqual([{ closed: true }]);
    const b = await again();
    expect(b.status).toBe(201);
    expect(await enrolmentsOf([person])).toEqual([{ id_number: person, case_id: b.body.caseId }]);
  });

  it('UPDATE_SURVEY: a replaced member is freed; adding someone held elsewhere is refused', async () => {
    const x = idNumber('1945-09-09');
    const z = idNumber('1946-10-10');
    const a = (await svc.as('enumerator', 'POST', '/households', survey(V.sunjiagou, '修改户', [member(x, '1945-09-09')]))).body.caseId;
    await ok('enumerator', a, { type: 'UPDATE_SURVEY', household: survey(V.sunjiagou, '修改户', [member(z, '1946-10-10')]) });
    expect(await enrolmentsOf([x, z])).toEqual([{ id_number: z, case_id: a }]);
    const b = await svc.as('mcEnumerator', 'POST', '/households', survey(V.mianchi, '渑池县户3', [member(x, '1945-09-09')]));
    expect(b.status).toBe(201);
    const r = await send('enumerator', a, { type: 'UPDATE_SURVEY', household: survey(V.sunjiagou, '修改户', [member(z, '1946-10-10'), { ...member(x, '1945-09-09'), relation: '配偶' }]) });
    expect(r.status).toBe(409);
    expect(r.body.details).toEqual({ reported: true });
    expect(await enrolmentsOf([x, z])).toEqual([{ id_number: x, case_id: b.body.caseId }, { id_number: z, case_id: a }].sort((p, q) => p.id_number.localeCompare(q.id_number)));
  });
});
