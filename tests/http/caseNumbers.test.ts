// Case numbers (411282-2026-000123): taken in the survey's own transaction, per county and per year of opening in
// China time, consecutive from 000001, shown in every view and list, and a way to find a case — only within the
// caller's jurisdiction (another county's number is CASE_NOT_FOUND, like an unknown one).
//
// On PostgreSQL the parallel surveys provably race: the test holds the county's counter row lock (SELECT … FOR
// UPDATE on a connection of its own) until as many service transactions as the pool has connections wait behind it,
// as in concurrency.test.ts. On PGlite (one connection) they are serialized; the same expectations hold.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { TEST_PG_POOL } from '../helpers/db.js';
import { startService, sunSurvey, V, type TestService } from '../helpers/service.js';
import { lockHolder, onPostgres, type LockHolder } from '../helpers/race.js';

let svc: TestService;
let locks: LockHolder;
beforeAll(async () => {
  svc = await startService();
  locks = await lockHolder(svc.database);
});
afterAll(async () => {
  await locks?.close();
  await svc?.close();
});

const survey = (body = sunSurvey()) => svc.as('enumerator', 'POST', '/households', body);
const seqOf = (n: string) => Number(n.split('-')[2]);

/** Runs `requests` while the test holds the counter row of (county, year), released once `mustBlock` wait on it. */
function whileCounterLocked<T>(county: string, year: number, mustBlock: number, requests: () => Promise<T>[]) {
  return locks.raced(async (t) => {
    const [k] = await t`select last from case_number_counters where county_code = ${county} and year = ${year} for update`;
    if (!k) throw new Error('no counter row to lock');
  }, mustBlock, requests);
}

describe('case numbers', () => {
  let first: { caseId: string; caseNumber: string };

  it('a survey answers with the next number of its county and year, from 000001', async () => {
    const a = await survey();
    expect(a.status).toBe(201);
    expect(a.body.caseNumber).toBe('411282-2026-000001');
    const b = await survey(sunSurvey(V.mingshan)); // another village of the same county: the same counter
    expect(b.body.caseNumber).toBe('411282-2026-000002');
    first = { caseId: a.body.caseId, caseNumber: a.body.caseNumber };
    // The answer was built without a read after COMMIT; the stored row agrees.
    const got = await svc.as('enumerator', 'GET', `/cases/${a.body.caseId}`);
    expect(got.body.caseNumber).toBe('411282-2026-000001');
  });

  it('another county counts on its own counter', async () => {
    const r = await svc.as('mcEnumerator', 'POST', '/households', sunSurvey(V.mianchi));
    expect(r.status).toBe(201);
    expect(r.body.caseNumber).toBe('411221-2026-000001');
    expect((await survey()).body.caseNumber).toBe('411282-2026-000003');
  });

  it('lists, inboxes, event answers and an idempotent replay show the number', async () => {
    const list = await svc.as('supervisor', 'GET', '/cases?limit=200');
    expect(list.body.items.find((c: { id: string }) => c.id === first.caseId).caseNumber).toBe(first.caseNumber);
    expect(list.body.items.every((c: { caseNumber: string }) => /^411282-2026-\d{6}$/.test(c.caseNumber))).toBe(true);
    const ev = await svc.as('enumerator', 'POST', `/cases/${first.caseId}/events`, { type: 'SUBMIT_SURVEY' });
    expect(ev.status).toBe(200);
    expect(ev.body.caseNumber).toBe(first.caseNumber);
    const inbox = await svc.as('evaluator', 'GET', '/inbox');
    expect(inbox.body.items.find((c: { id: string }) => c.id === first.caseId).caseNumber).toBe(first.caseNumber);
    const body = sunSurvey();
    const once = await svc.as('enumerator', 'POST', '/households', body, { 'idempotency-key': 'casenum-replay' });
    const again = await svc.as('enumerator', 'POST', '/households', body, { 'idempotency-key': 'casenum-replay' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.caseNumber).toBe(once.body.caseNumber);
  });

  it('GET /cases/by-number/:caseNumber answers as GET /cases/:id, within the jurisdiction only', async () => {
    const byId = await svc.as('evaluator', 'GET', `/cases/${first.caseId}`);
    const byNumber = await svc.as('evaluator', 'GET', `/cases/by-number/${first.caseNumber}`);
    expect(byNumber.status).toBe(200);
    expect(byNumber.body).toEqual(byId.body);
    expect(byNumber.headers.etag).toBe(byId.headers.etag);

    // Another county's existing number and a number nobody has: the same 404.
    const elsewhere = await svc.as('mcEvaluator', 'GET', `/cases/by-number/${first.caseNumber}`);
    const unknown = await svc.as('mcEvaluator', 'GET', '/cases/by-number/411282-2026-999999');
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.code).toBe('CASE_NOT_FOUND');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('CASE_NOT_FOUND');
    expect(Object.keys(elsewhere.body).sort()).toEqual(Object.keys(unknown.body).sort());
    expect(elsewhere.body.details).toEqual({ caseId: first.caseNumber });
    expect(elsewhere.body.message).toBe(`No case ${first.caseNumber}`);
    // A township enumerator sees their county's case; one of the other county does not.
    expect((await svc.as('enumerator', 'GET', `/cases/by-number/${first.caseNumber}`)).status).toBe(200);
    expect((await svc.as('mcEnumerator', 'GET', `/cases/by-number/${first.caseNumber}`)).status).toBe(404);

    expect((await svc.as('evaluator', 'GET', '/cases/by-number/411282-26-1')).status).toBe(400);
    expect((await svc.as('evaluator', 'GET', '/cases/by-number/411282-2026-000001x')).status).toBe(400);
    expect((await svc.as(null, 'GET', `/cases/by-number/${first.caseNumber}`)).status).toBe(401);
  });

  it('twenty parallel surveys in one county take twenty consecutive numbers', async () => {
    const before = seqOf((await survey()).body.caseNumber);
    const { results, blocked } = await whileCounterLocked('411282', 2026, TEST_PG_POOL, () => Array.from({ length: 20 }, () => survey()));
    if (onPostgres) expect(blocked).toBe(TEST_PG_POOL); // as many inside the database at once as the pool allows
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const seqs = results.map((r) => seqOf(r.body.caseNumber)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    const counter = rows<{ last: number }>(await svc.database.db.execute(sql`select last from case_number_counters where county_code = '411282' and year = 2026`));
    expect(Number(counter[0].last)).toBe(before + 20);
  });

  it('a survey that loses a race on a resident gives its number back: no gap', async () => {
    const before = seqOf((await survey()).body.caseNumber);
    const body = sunSurvey();
    // Both surveys load before either writes (on PostgreSQL: both wait at the counter); the second to take a
    // number fails on the resident's enrolment, rolls back, is planned again and refused.
    const { results } = await whileCounterLocked('411282', 2026, 2, () => [survey(body), survey(body)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('DUPLICATE_RESIDENT');
    expect(seqOf(results.find((r) => r.status === 201)!.body.caseNumber)).toBe(before + 1);
    expect(seqOf((await survey()).body.caseNumber)).toBe(before + 2);
  });

  it('a new year in China time starts again at 000001; the sequence grows past six digits', async () => {
    svc.clock.set('2026-12-31T15:59:59.000Z'); // 23:59:59 on 31 December in China
    expect((await survey()).body.caseNumber).toMatch(/^411282-2026-\d{6}$/);
    svc.clock.set('2026-12-31T16:00:00.000Z'); // midnight in China, still 2026 in UTC
    const ny = await survey();
    expect(ny.body.caseNumber).toBe('411282-2027-000001');
    expect(ny.body.openedAt).toBe('2026-12-31T16:00:00.000Z');
    expect((await svc.as('mcEnumerator', 'POST', '/households', sunSurvey(V.mianchi))).body.caseNumber).toBe('411221-2027-000001');

    await svc.database.db.execute(sql`update case_number_counters set last = 999999 where county_code = '411282' and year = 2027`);
    const big = await survey();
    expect(big.body.caseNumber).toBe('411282-2027-1000000');
    expect((await svc.as('evaluator', 'GET', `/cases/by-number/${big.body.caseNumber}`)).body.id).toBe(big.body.caseId);
  });
});
