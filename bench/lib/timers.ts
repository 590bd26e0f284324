// The timer drain: N cases whose 7-day public notice ended two days ago, each with its due notice_end timer,
// fired by two `npm run worker` processes (src/worker.ts, default batch and idle settings). Each firing is a
// real transition through the engine (NOTICE_PERIOD_ENDED: publicity.open → awaitingPlacement) with its audit
// record, committed in the transaction that marks the timer done.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Db } from '../../src/db/index.js';
import { exec, one, pgCpuSampler, query } from './db.js';
import { materialize, writeGenesis } from './seed.js';
import { serviceEnv, ROOT } from './service.js';
import { templateKey, timersTemplate } from './templates.js';
import { cpuSecondsOf, log, machineCpu, sleep } from './util.js';

export interface TimerResult {
  timers: number;
  workers: number;
  batch: number;
  drainSeconds: number;
  timersPerSecond: number;
  transitionsPerSecond: number;
  done: number;
  pendingLeft: number;
  failed: number;
  lost: number;
  duplicates: number;
  transitions: number;
  outcomes: Record<string, number>;
  workerCpuSeconds: number[];
  workerExitCodes: (number | null)[];
  setupSeconds: number;
  /** CPU of the PostgreSQL backends over the drain, and how busy the whole machine was (%). */
  pgCpuSeconds: number;
  machinePct: number;
  /** Firing rate over the first and the second half of the timers. */
  halves: { first: number; second: number };
  /** The workers' claim query right after the drain, before any vacuum: what an idle poll costs then. */
  idleClaim: { ms: number; buffers: number; deadTuples: number; autovacuumAt: number; liveTuples: number; afterVacuum: { ms: number; buffers: number } };
}

/** `npm run worker` as a separate process (the production build dist/worker.js), with optional extra environment. */
export function startWorker(databaseUrl: string, jwtSecret: string, extraEnv: Record<string, string> = {}) {
  // The build is `npm run worker`'s first step; run once here, synchronously (it takes well under a second).
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  const proc = spawn(process.execPath, ['--enable-source-maps', 'dist/worker.js'], {
    cwd: ROOT,
    env: { ...serviceEnv({ databaseUrl, jwtSecret, logLevel: 'info' }), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    if (out.length < 1_000_000) out += d.toString('utf8');
  });
  proc.stderr!.on('data', (d: Buffer) => {
    if (out.length < 1_000_000) out += d.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exit, output: () => out };
}

export async function waitFor(what: string, ms: number, probe: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Cases in the plan (pool 'timers') whose 7-day public notice ended two days ago, materialized from the timer
 * template without any timers; `insertDueTimers` then gives them their due notice_end timers.
 */
export async function prepareTimerCases(db: Db, count: number): Promise<{ from: number; to: number }> {
  const tpl = await one<{ t: number } | undefined>(db, `select t from bench_templates where key = '${templateKey(timersTemplate.county, timersTemplate.flow, timersTemplate.age)}'`);
  if (!tpl) throw new Error('no timer template: seed first');
  const { max } = await one<{ max: number }>(db, 'select coalesce(max(n), 0)::int as max from bench_plan');
  const from = max + 1;
  const to = max + count;
  // The cases, spread over the six counties like the bulk; no timers yet.
  await exec(db, `insert into bench_plan (n, t, pool, county, case_id, household_id, village_code, member_ids)
    select g, ${tpl.t}, 'timers', null, gen_random_uuid(), gen_random_uuid(),
      (select v.code from bench_vcum v where v.hi >= s.y order by v.hi limit 1), array[gen_random_uuid(), gen_random_uuid()]
    from (select g, random() * 0.999999 as y from generate_series(${from}, ${to}) g) s`);
  for (let a = from; a <= to; a += 50_000) {
    await materialize(db, a, Math.min(to, a + 49_999));
  }
  // materialize copied the template's timers as fired; the drain's own timers are inserted below, all at once.
  await exec(db, `delete from timers where case_id in (select case_id from bench_plan where n between ${from} and ${to})`);
  await writeGenesis(db, `p.n between ${from} and ${to}`, new Date());
  await exec(db, 'analyze cases');
  await exec(db, 'analyze timers');
  return { from, to };
}

/** The due notice_end timers of plan cases from..to, in one statement; returns the range of their ids. */
export async function insertDueTimers(db: Db, from: number, to: number): Promise<{ lo: string; hi: string }> {
  return one<{ lo: string; hi: string }>(db, `with ins as (
      insert into timers (case_id, kind, key, due_at, payload, status)
      select p.case_id, tm.kind, tm.key, tm.due_at, tm.payload, 'pending'
      from bench_plan p join bench_templates bt on bt.t = p.t join timers tm on tm.case_id = bt.case_id and tm.kind = 'notice_end'
      where p.n between ${from} and ${to}
      returning id)
    select min(id)::text as lo, max(id)::text as hi from ins`);
}

export async function runTimers(db: Db, o: { databaseUrl: string; jwtSecret: string; timers: number }): Promise<TimerResult> {
  const setupStart = performance.now();
  const { from, to } = await prepareTimerCases(db, o.timers);

  const workers = [startWorker(o.databaseUrl, o.jwtSecret), startWorker(o.databaseUrl, o.jwtSecret)];
  await waitFor('both workers to start', 60_000, () => workers.every((w) => w.output().includes('scheduler started')));
  const cpu0 = workers.map((w) => cpuSecondsOf(w.proc.pid!) ?? 0);
  const setupSeconds = (performance.now() - setupStart) / 1000;
  log(`timers: ${o.timers} cases ready and 2 workers polling (${setupSeconds.toFixed(1)} s); inserting the due timers`);

  // CPU of the PostgreSQL backends and of the whole machine over the drain.
  const u = new URL(o.databaseUrl);
  const stopPgCpu = pgCpuSampler(`${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}`, u.pathname.slice(1));
  const machine0 = machineCpu();
  // All timers in one transaction: they become visible to the workers at once, at t0.
  const ids = await insertDueTimers(db, from, to);
  const t0 = Date.now();
  const lo = Number(ids.lo);
  const hi = Number(ids.hi);
  let pending = Infinity;
  let lastLog = Date.now();
  let halfAt = 0;
  while (pending > 0) {
    await sleep(250);
    pending = (await one<{ n: number }>(db, `select count(*)::int as n from timers where status = 'pending' and id between ${lo} and ${hi}`)).n;
    if (!halfAt && pending <= o.timers / 2) halfAt = Date.now();
    if (Date.now() - lastLog > 10_000) {
      log(`timers: ${o.timers - pending} of ${o.timers} fired`);
      lastLog = Date.now();
    }
    if (Date.now() - t0 > 30 * 60_000) throw new Error('the drain took more than 30 minutes');
    for (const w of workers) if (w.proc.exitCode !== null) throw new Error(`a worker exited (${w.proc.exitCode}):\n${w.output().slice(-3000)}`);
  }
  const cpu1 = workers.map((w) => cpuSecondsOf(w.proc.pid!) ?? 0);
  const machine1 = machineCpu();
  const pgCpu = await stopPgCpu();
  const stats = await one<{ done: number; failed: number; pending: number; last_fired: string }>(db, `select
      count(*) filter (where status = 'done')::int as done, count(*) filter (where status = 'failed')::int as failed,
      count(*) filter (where status = 'pending')::int as pending, max(fired_at)::text as last_fired
    from timers where id between ${lo} and ${hi}`);
  const outcomes = Object.fromEntries(
    (await query<{ outcome: string; n: number }>(db, `select coalesce(outcome, status) as outcome, count(*)::int as n from timers where id between ${lo} and ${hi} group by 1`)).map((r) => [r.outcome, r.n]),
  );
  const cases = `(select case_id from bench_plan where n between ${from} and ${to})`;
  const audit = await one<{ transitions: number; duplicates: number; moved: number }>(db, `select
      (select count(*)::int from audit_records where event_type = 'NOTICE_PERIOD_ENDED' and case_id in ${cases}) as transitions,
      (select count(*)::int from (select case_id from audit_records where event_type = 'NOTICE_PERIOD_ENDED' and case_id in ${cases}
         group by case_id having count(*) > 1) d) as duplicates,
      (select count(*)::int from cases where state = 'awaitingPlacement' and id in ${cases}) as moved`);
  const drainSeconds = (new Date(stats.last_fired).getTime() - t0) / 1000;
  const halfSeconds = (halfAt - t0) / 1000;
  const halves = { first: o.timers / 2 / halfSeconds, second: o.timers / 2 / Math.max(0.001, drainSeconds - halfSeconds) };

  // The worker's poll for due timers (dueTimerIdsStmt in src/db/commandSql.ts), as an idle worker runs it now; and how far autovacuum is.
  const claims: { ms: number; buffers: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const plan = await query<{ 'QUERY PLAN': unknown }>(db, `explain (analyze, buffers, format json)
      select id from timers where status = 'pending' and due_at <= now() order by due_at, id limit 50`);
    const top = (plan[0]['QUERY PLAN'] as { 'Execution Time': number; Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[])[0];
    claims.push({ ms: top['Execution Time'], buffers: top.Plan['Shared Hit Blocks'] + top.Plan['Shared Read Blocks'] });
  }
  claims.sort((a, b) => a.ms - b.ms);
  // And after a VACUUM of timers (what autovacuum would do): the claim's cost without the dead entries.
  const claimAfterVacuum = await (async () => {
    await exec(db, 'vacuum timers');
    const plan = await query<{ 'QUERY PLAN': unknown }>(db, `explain (analyze, buffers, format json)
      select id from timers where status = 'pending' and due_at <= now() order by due_at, id limit 50`);
    const top = (plan[0]['QUERY PLAN'] as { 'Execution Time': number; Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[])[0];
    return { ms: top['Execution Time'], buffers: top.Plan['Shared Hit Blocks'] + top.Plan['Shared Read Blocks'] };
  });
  const vac = await one<{ dead: number; live: number; threshold: number }>(db, `select s.n_dead_tup::int as dead, s.n_live_tup::int as live,
      (coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_threshold'), current_setting('autovacuum_vacuum_threshold'))::float8
       + coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_scale_factor'), current_setting('autovacuum_vacuum_scale_factor'))::float8 * c.reltuples)::int as threshold
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'timers'`);

  for (const w of workers) w.proc.kill('SIGTERM');
  const exitCodes = await Promise.all(workers.map((w) => Promise.race([w.exit, sleep(30_000).then(() => null)])));
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');

  return {
    timers: o.timers,
    workers: 2,
    batch: 50,
    drainSeconds,
    timersPerSecond: stats.done / drainSeconds,
    transitionsPerSecond: audit.transitions / drainSeconds,
    done: stats.done,
    pendingLeft: stats.pending,
    failed: stats.failed,
    // Lost: a due timer that did not end done with its transition (still pending, failed, or a case not moved).
    lost: o.timers - audit.moved,
    duplicates: audit.duplicates,
    transitions: audit.transitions,
    outcomes,
    workerCpuSeconds: cpu1.map((c, i) => c - cpu0[i]),
    pgCpuSeconds: pgCpu.cpuSeconds,
    machinePct: (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total),
    workerExitCodes: exitCodes,
    setupSeconds,
    halves,
    idleClaim: { ms: claims[1].ms, buffers: claims[1].buffers, deadTuples: vac.dead, autovacuumAt: vac.threshold, liveTuples: vac.live, afterVacuum: await claimAfterVacuum() },
  };
}

export type { ChildProcess };
