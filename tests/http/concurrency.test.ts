// Two reviewers approving the same case at the same moment: exactly one succeeds, the other gets 409, and
// the audit chain stays whole.
//
// On PostgreSQL the requests provably race: the test itself holds the case's row lock (SELECT … FOR UPDATE in an
// open transaction on a connection of its own), sends both requests, waits — polling pg_locks, never sleeping a
// fixed time — until both service transactions are blocked behind that lock, and only then releases it. Both
// commands are then inside the database at once, on separate connections, and the row lock alone decides.
// On PGlite (one connection, no second session to hold a lock from) the requests are serialized by that single
// connection: the same expectations hold, but nothing there proves they overlapped.
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { TEST_PG_POOL, testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

const onPostgres = testDbKind() === 'postgres';

let svc: TestService;
/** A connection of the test's own to the service's database (PostgreSQL only), to hold row locks from. */
let holder: postgres.Sql | null = null;
let holderPid = 0;
let dbName = '';
beforeAll(async () => {
  svc = await startService();
  if (onPostgres) {
    dbName = rows<{ name: string }>(await svc.database.db.execute(sql`select current_database() as name`))[0].name;
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${dbName}`;
    holder = postgres(url.toString(), { max: 2, onnotice: () => {} }); // one for the locking transaction, one to watch pg_stat_activity
  }
});
afterAll(async () => {
  await holder?.end({ timeout: 5 });
  await svc?.close();
});

const send = (who: TestUser, caseId: string, body: object, headers: Record<string, string> = {}) =>
  svc.as(who, 'POST', `/cases/${caseId}/events`, body, headers);

async function inVillageReview() {
  const caseId = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const r = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of r.body.household.members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  return caseId as string;
}

/**
 * Service backends waiting for the rows the holder locked: each waits on a lock held by the holder or by another
 * such waiter (the second in line for a row waits on the first's tuple lock), and nothing else runs in this database.
 */
async function blockedByHolder(): Promise<number> {
  const [r] = await holder!`with w as (
      select pid, pg_blocking_pids(pid) as b from pg_stat_activity
      where datname = ${dbName} and pid <> ${holderPid} and wait_event_type = 'Lock')
    select count(*)::int as n from w
    where cardinality(b) > 0 and b <@ (select array_agg(pid) || ${holderPid}::int from w)`;
  return r.n as number;
}

/**
 * Runs `requests` while the test holds the row locks of `caseIds`: on PostgreSQL they are released only once at
 * least `mustBlock` service transactions wait behind them; on PGlite the requests simply run.
 */
async function raced<T>(caseIds: string[], mustBlock: number, requests: () => Promise<T>[]): Promise<{ results: T[]; blocked: number }> {
  if (!onPostgres) return { results: await Promise.all(requests()), blocked: 0 };
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const lockHeld = new Promise<void>((r) => (locked = r));
  const tx = holder!.begin(async (t) => {
    holderPid = (await t`select pg_backend_pid() as pid`)[0].pid as number;
    await t`select id from cases where id = any(${caseIds}::uuid[]) for update`;
    locked();
    await released;
  });
  await Promise.race([lockHeld, tx]);
  const pending = requests();
  let blocked = 0;
  try {
    const deadline = Date.now() + 15_000;
    while ((blocked = await blockedByHolder()) < mustBlock) {
      if (Date.now() > deadline) {
        const activity = await holder!`select pid, state, wait_event_type, wait_event, left(query, 80) as query from pg_stat_activity where datname = ${dbName}`;
        throw new Error(`only ${blocked} of ${mustBlock} service transactions blocked on the row lock:\n${JSON.stringify(activity, null, 1)}`);
      }
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    release();
    await tx;
  }
  return { results: await Promise.all(pending), blocked };
}

describe('concurrent approvals', () => {
  it('two village reviewers approve at once: one 200, one 409, one audit record', async () => {
    for (let round = 0; round < 5; round++) {
      const caseId = await inVillageReview();
      const { results, blocked } = await raced([caseId], 2, () => [send('village', caseId, { type: 'APPROVE' }), send('village2', caseId, { type: 'APPROVE' })]);
      if (onPostgres) expect(blocked).toBe(2); // both inside the database, waiting for the same row
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expect(loser.body.code).toBe('EVENT_NOT_ALLOWED');
      const audit = (await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`)).body.records;
      expect(audit.filter((a: { eventType: string }) => a.eventType === 'APPROVE')).toHaveLength(1);
      expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);
    }
  });

  it('with If-Match from the same read, the slower of two reviewers gets VERSION_CONFLICT', async () => {
    const caseId = await inVillageReview();
    const { rowVersion } = (await svc.as('village', 'GET', `/cases/${caseId}`)).body;
    const headers = { 'if-match': `"${rowVersion}"` };
    const { results, blocked } = await raced([caseId], 2, () => [send('village', caseId, { type: 'RETURN', reason: '材料不全' }, headers), send('village2', caseId, { type: 'APPROVE' }, headers)]);
    if (onPostgres) expect(blocked).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('VERSION_CONFLICT');
    const audit = (await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`)).body.records;
    expect(audit.filter((a: { eventType: string }) => a.eventType === 'RETURN' || a.eventType === 'APPROVE')).toHaveLength(1);
    expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);
  });

  it('twenty parallel events on twenty cases all commit, each chain intact', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => svc.as('enumerator', 'POST', '/households', sunSurvey()).then((r) => r.body.caseId as string)));
    // On PostgreSQL: as many of them inside the database at once as the service's pool has connections, each
    // waiting on its own case's row lock; then all released together (the rest follow as connections free up).
    const { results, blocked } = await raced(ids, TEST_PG_POOL, () => ids.map((id) => send('enumerator', id, { type: 'SUBMIT_SURVEY' })));
    if (onPostgres) expect(blocked).toBe(TEST_PG_POOL);
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const id of ids) expect((await svc.as('supervisor', 'GET', `/cases/${id}/audit/verify`)).body).toEqual({ ok: true, count: 2 });
  });
});
