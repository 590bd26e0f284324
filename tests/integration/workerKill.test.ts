// Exactly once under a crash: 10,000 due overdue timers, two `npm run worker` processes on one PostgreSQL database,
// one killed with SIGKILL at about 30%. Every timer must end done with exactly one notification — none lost (the
// killed worker's open batch rolls back and the survivor fires it), none twice (a timer's effect commits in the
// transaction that marks it done, and SKIP LOCKED keeps the two workers apart). Then SIGTERM stops the survivor
// cleanly (exit 0).
//
// PostgreSQL only: PGlite is single-process, so two worker processes cannot share one database.
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDb, insertRegions, insertUser, migrate, rows, type DbHandle } from '../../src/db/index.js';
import { householdInputSchema } from '../../src/engine/index.js';
import { createLogger } from '../../src/logger.js';
import { createService } from '../../src/service.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestDatabaseUrl } from '../helpers/db.js';
import { sunSurvey, V } from '../helpers/service.js';

const root = new URL('../../', import.meta.url).pathname;
const TIMERS = 10_000;

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!process.env.DATABASE_URL)('two worker processes, one killed mid-run', () => {
  let url: string;
  let drop: () => Promise<void> = async () => {};
  let database: DbHandle;
  let originalCaseId: string;
  const workers: { proc: ChildProcess; output: string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }[] = [];

  const one = async <T>(query: ReturnType<typeof sql>) => rows<T>(await database.db.execute(query))[0];

  beforeAll(async () => {
    const created = await createTestDatabaseUrl();
    url = created.url!;
    drop = created.drop;
    database = await createDb({ databaseUrl: url, dataDir: 'unused', maxConnections: 3 });
    await migrate(database);

    // One real case, told through the engine, in village review: the row the 10,000 are copied from.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const { engine } = createService({ config, logger: createLogger(config), database, clock: new ManualClock('2024-03-04T01:00:00Z') });
    await insertRegions(database.db, [
      { code: '410000000000', level: 'province', parentCode: null, name: '河南省' },
      { code: '411200000000', level: 'prefecture', parentCode: '410000000000', name: '三门峡市' },
      { code: '411282000000', level: 'county', parentCode: '411200000000', name: '灵宝市' },
      { code: '411282108000', level: 'township', parentCode: '411282000000', name: '苏村乡' },
      { code: V.sunjiagou, level: 'village', parentCode: '411282108000', name: '孙家沟村' },
    ]);
    const user = async (username: string, roles: ('enumerator' | 'evaluator' | 'reviewer')[], jurisdiction: string, reviewLevel?: 'village') => {
      const u = await insertUser(database.db, { username, displayName: username, roles, jurisdiction, reviewLevel });
      return { principal: { id: u.id, username, roles, level: reviewLevel ?? null, region: jurisdiction } };
    };
    const enumerator = await user('enumerator', ['enumerator'], '411282108');
    const evaluator = await user('evaluator', ['evaluator'], '411282');
    // The one user covering the step: each firing notifies exactly one person.
    await user('village', ['reviewer'], '411282108', 'village');

    originalCaseId = (await engine.openCase(enumerator, householdInputSchema.parse(sunSurvey()))).caseId;
    await engine.sendEvent(enumerator, originalCaseId, { type: 'SUBMIT_SURVEY' });
    await engine.sendEvent(evaluator, originalCaseId, { type: 'START_EVALUATION' });
    const members = await rows<{ id: string }>(
      await database.db.execute(sql`select m.id from members m join cases c on c.household_id = m.household_id where c.id = ${originalCaseId} order by m.position`),
    );
    for (const m of members) {
      await engine.sendEvent(evaluator, originalCaseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    await engine.sendEvent(evaluator, originalCaseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    const original = await one<{ state: string; review_level: string; deadline_key: string; deadline_at: string }>(
      sql`select state, review_level, deadline_key, deadline_at::text from cases where id = ${originalCaseId}`,
    );
    expect(original).toMatchObject({ state: 'review', review_level: 'village', deadline_key: 'review.village' });
    // Only the copies' timers count.
    await database.db.execute(sql`update timers set status = 'cancelled' where case_id = ${originalCaseId}`);

    // 10,000 copies, each with its own household (one open case per household) and one due overdue timer whose
    // key and payload match the case's deadline columns exactly as the timer's effect checks them.
    const deadlineAt = new Date(original.deadline_at).toISOString();
    expect(new Date(deadlineAt).getTime()).toBeLessThan(Date.now());
    const started = Date.now();
    await database.db.execute(sql`
      with src as (
        select c.*, h.address, h.created_by from cases c join households h on h.id = c.household_id where c.id = ${originalCaseId}
      ), hh as (
        insert into households (village_code, address, created_by)
        select src.village_code, src.address, src.created_by from src, generate_series(1, ${TIMERS}::int)
        returning id
      ), cs as (
        insert into cases (household_id, machine_id, machine_version, snapshot, state, review_level, village_code, township_code,
                           county_code, deadline_key, deadline_at, application_deadline_at, opened_at, updated_at, case_number)
        select hh.id, src.machine_id, src.machine_version, src.snapshot, src.state, src.review_level, src.village_code,
               src.township_code, src.county_code, src.deadline_key, src.deadline_at, src.application_deadline_at, src.opened_at, src.updated_at,
               -- numbers of their own, far above the counter's (copies made outside the command path)
               left(src.case_number, 12) || (900000 + row_number() over ())::text
        from hh, src
        returning id, deadline_key
      )
      insert into timers (case_id, kind, key, due_at, payload)
      select cs.id, 'overdue', 'overdue:' || cs.deadline_key || ':' || ${deadlineAt}::text, ${deadlineAt}::timestamptz,
             jsonb_build_object('step', cs.deadline_key, 'deadlineAt', ${deadlineAt}::text)
      from cs`);
    const inserted = await one<{ n: number }>(sql`select count(*)::int as n from timers where status = 'pending' and due_at <= now()`);
    expect(inserted.n).toBe(TIMERS);
    console.info(`workerKill: ${TIMERS} cases and due timers inserted in ${Date.now() - started} ms`);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) process.kill(-w.proc.pid!, 'SIGKILL');
    await database?.close();
    await drop();
  });

  function startWorker() {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, SEED_DEMO: 'off', WORKER_IDLE_MS: '50', LOG_LEVEL: 'warn', NODE_ENV: 'test' };
    delete env.JWT_SECRET;
    // `npm run worker`: the build, then node dist/worker.js in a child of npm. detached: the worker leads a process
    // group of its own, so SIGKILL reaches npm's node child too (npm relays SIGTERM, but nothing can relay SIGKILL).
    const proc = spawn('npm', ['run', '-s', 'worker'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const w = { proc, output: '', exit: new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))) };
    proc.stdout!.on('data', (d) => (w.output += d));
    proc.stderr!.on('data', (d) => (w.output += d));
    workers.push(w);
    return w;
  }

  const progress = () =>
    one<{ done: number; pending: number; notifications: number }>(sql`
      select (select count(*)::int from timers where status = 'done') as done,
             (select count(*)::int from timers where status = 'pending') as pending,
             (select count(*)::int from notifications) as notifications`);

  it('fires all 10,000 exactly once although one of two workers is killed at ~30%', async () => {
    const t0 = Date.now();
    const victim = startWorker();
    const survivor = startWorker();
    const alive = () => {
      for (const w of [victim, survivor]) {
        if (w.proc.exitCode !== null) throw new Error(`a worker exited early (${w.proc.exitCode}):\n${w.output}`);
      }
    };

    const atKill = await waitFor('30% of the timers done', 120_000, async () => {
      alive();
      const p = await progress();
      return p.done >= TIMERS * 0.3 ? p : null;
    });
    process.kill(-victim.proc.pid!, 'SIGKILL');
    expect(await victim.exit).toEqual({ code: null, signal: 'SIGKILL' });
    const tKill = Date.now();

    const final = await waitFor('every timer done', 180_000, async () => {
      if (survivor.proc.exitCode !== null) throw new Error(`the surviving worker exited (${survivor.proc.exitCode}):\n${survivor.output}`);
      const p = await progress();
      return p.pending === 0 ? p : null;
    });
    const tDone = Date.now();
    console.info(
      `workerKill: killed at ${atKill.done} done (${tKill - t0} ms after start); all ${final.done} done ${tDone - tKill} ms later; ` +
        `survivor output: ${survivor.output.trim()}`,
    );

    // Zero lost: every timer done, each with a notification; zero duplicates: no timer with two.
    expect(final).toEqual({ done: TIMERS, pending: 0, notifications: TIMERS });
    expect(await one(sql`select count(*)::int as n from timers where case_id <> ${originalCaseId} and status <> 'done'`)).toEqual({ n: 0 });
    expect(rows(await database.db.execute(sql`select timer_id, count(*)::int as n from notifications group by timer_id having count(*) > 1`))).toEqual([]);
    expect(
      await one(sql`select count(*)::int as n from timers t where t.case_id <> ${originalCaseId} and not exists (select 1 from notifications n where n.timer_id = t.id)`),
    ).toEqual({ n: 0 });
    expect(rows(await database.db.execute(sql`select outcome, count(*)::int as n from timers where status = 'done' group by outcome`))).toEqual([
      { outcome: 'notified 1 user(s), 0 webhook(s)', n: TIMERS },
    ]);
    expect(await one(sql`select count(distinct user_id)::int as users, count(distinct case_id)::int as cases from notifications`)).toEqual({ users: 1, cases: TIMERS });

    // The survivor stops cleanly on SIGTERM (npm relays it to the worker).
    survivor.proc.kill('SIGTERM');
    expect(await survivor.exit, survivor.output).toEqual({ code: 0, signal: null });
    expect(survivor.output).not.toMatch(/"level":(50|60)/);
  }, 300_000);
});
