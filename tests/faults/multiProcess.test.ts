// Several processes on one PostgreSQL database, as an installation that outgrew one: 3 service processes and 2
// workers. Each service takes a mixed load (lanes walking households from the survey to the public notice), while a
// pump keeps making the cases' reminder timers due so that both workers fire them all along; in the middle the
// global deadline policy is changed through one service; then one service and one worker are killed with SIGKILL,
// with requests and a batch of timers in flight. Afterwards:
//   - every acknowledged command is in its case's audit trail, once, as the event it was, and every chain verifies;
//     every case row agrees with its trail;
//   - no timer fired twice (no user notified twice by one timer), and every timer made due was fired by a survivor;
//   - every process computes the same deadlines after the change: the surviving services answer a new survey with
//     the deadline of the new policy (polled, not slept for), and the surviving worker reloaded the policy.
//
// Needs PostgreSQL (DATABASE_URL). About a minute on a 2-core machine.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl } from '../helpers/db.js';
import { putGlobalDeadlines, surveyDeadlineOf, waitFor } from './settingsProbe.js';
import { build, demoToken, freePort, Load, missingAcks, readTrails, serviceEnv, sleep, spawnService, stopService, waitReady, type ServiceProcess } from './support.js';

const hasPostgres = !!process.env.DATABASE_URL;
if (!hasPostgres) console.warn('[faults] multiProcess skipped: set DATABASE_URL to a PostgreSQL server');

const LANES = 5; // per service
const HOUSEHOLDS_PER_LANE = 5; // 8 commands each: 600 commands in all
const CHANGE_AT_ACKS = 120;
const KILL_AFTER_CHANGE = 40; // acknowledged commands of the victim service's own load after the change

async function until(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!hasPostgres)('3 services and 2 workers on one PostgreSQL database, one of each killed', () => {
  let url: string;
  let drop: () => Promise<void> = async () => {};
  let env: Record<string, string>;
  const services: ServiceProcess[] = [];
  const workers: ServiceProcess[] = [];
  let sql: postgres.Sql | undefined;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    url = db.url!;
    drop = db.drop;
    build();
    const t0 = Date.now();
    // The first one seeds the demo data (its users sign the load in); the others find the database not empty.
    env = serviceEnv(await freePort(), url);
    services.push(spawnService(env, { build: false }));
    await waitReady(services[0], 150_000);
    for (let i = 1; i < 3; i++) services.push(spawnService(serviceEnv(await freePort(), url), { build: false }));
    for (let i = 0; i < 2; i++) workers.push(spawnService({ ...serviceEnv(0, url), LOG_LEVEL: 'info', WORKER_IDLE_MS: '100' }, { build: false, entry: 'worker' }));
    await Promise.all(services.slice(1).map((s) => waitReady(s, 60_000)));
    await until('both workers running', 60_000, () => workers.every((w) => {
      if (!w.running()) throw new Error(`a worker exited:\n${w.output()}`);
      return w.output().includes('scheduler started') && w.output().includes('"channel":"doudi_settings"');
    }));
    console.log(`[faults] multiProcess: 3 services and 2 workers up in ${Date.now() - t0} ms`);
    sql = postgres(url, { max: 2, onnotice: () => {} });
  }, 240_000);

  afterAll(async () => {
    for (const p of [...services, ...workers]) await stopService(p);
    await sql?.end({ timeout: 5 });
    await drop();
  });

  it('keeps every acknowledged command, fires every timer once, and every process applies the settings change', async () => {
    const tokens = {
      enumerator: demoToken(env, 'lb-enumerator'),
      evaluator: demoToken(env, 'lb-evaluator'),
      village: demoToken(env, 'lb-reviewer-village'),
      township: demoToken(env, 'lb-reviewer-township'),
      county: demoToken(env, 'lb-reviewer-county'),
    };
    const admin = demoToken(env, 'province-admin');
    const [s0, s1, victim] = services;
    const [w0, survivorWorker] = workers;
    const before = await surveyDeadlineOf(s0.base, tokens.enumerator);

    const loads = services.map(
      (s, i) => new Load({ base: s.base, tokens, lanes: LANES, householdsPerLane: HOUSEHOLDS_PER_LANE, tag: `mp${process.pid}s${i}`, onFailure: 'stop' }),
    );
    const t0 = Date.now();
    const finished = loads.map(() => false);
    const running = Promise.all(loads.map((l, i) => l.run().then(() => (finished[i] = true))));
    const loadDone = () => finished.some(Boolean);
    const acks = () => loads.reduce((n, l) => n + l.acks.length, 0);

    // The timer pump: the cases' reminders (overdue, escalation) are made due now, again and again, so that both
    // workers keep firing while commands run. The ids are kept: each of them must end fired.
    const pumped = new Set<number>();
    let pumping = true;
    const pump = (async () => {
      while (pumping) {
        // SKIP LOCKED: a timer a command or a worker holds right now is left for the next round; waiting for it
        // while holding others could deadlock with them (seen in CI: 40P01 on timers).
        const rows = await sql!`update timers set due_at = now() where id in (
            select id from timers where status = 'pending' and kind in ('overdue', 'escalation') and due_at > now()
            order by id for update skip locked) returning id`;
        for (const r of rows) pumped.add(Number(r.id));
        await sleep(200);
      }
    })();

    // In the middle: the global policy changes through one service (much shorter survey and village review limits).
    await until(`${CHANGE_AT_ACKS} acknowledged commands`, 120_000, () => acks() >= CHANGE_AT_ACKS || loadDone());
    const override = { surveySubmitted: { amount: 3, unit: 'working_days' }, 'review.village': { amount: 2, unit: 'working_days' } };
    await putGlobalDeadlines(s1.base, admin, override);
    const changedAt = acks();
    const victimAtChange = loads[2].acks.length;
    const after = await surveyDeadlineOf(s1.base, tokens.enumerator);
    expect(after).not.toBe(before);

    // Then SIGKILL: one service with requests in flight, and one worker with a batch of timers in flight.
    await until(`${KILL_AFTER_CHANGE} more acknowledged commands on the victim`, 120_000, () => loads[2].acks.length >= victimAtChange + KILL_AFTER_CHANGE || loadDone());
    const firedBeforeKill = (await sql!`select count(*)::int as n from timers where status = 'done'`)[0].n as number;
    const inFlight = loads[2].sent.length - loads[2].acks.length - loads[2].failures.length;
    const finishedBeforeKill = loadDone();
    victim.proc.kill('SIGKILL');
    w0.proc.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect((await w0.exited).signal).toBe('SIGKILL');
    await running;
    pumping = false;
    await pump;
    console.log(
      `[faults] multiProcess: change after ${changedAt} acks; SIGKILL after ${Date.now() - t0} ms with ${inFlight} of the victim's commands in flight, ` +
        `${firedBeforeKill} timers fired; acknowledged ${loads.map((l) => l.acks.length).join(' + ')}, victim's failures ${loads[2].failures.length}`,
    );
    expect(finishedBeforeKill ? 'a service\'s load finished before the kill' : 'killed mid-load').toBe('killed mid-load');
    for (const l of loads) expect(l.refusals, 'no command of the load is refused').toEqual([]);
    expect(loads[0].failures).toEqual([]);
    expect(loads[1].failures).toEqual([]);

    // Every pumped timer ends fired — the killed worker's open batch rolled back and the survivor fired it — or
    // cancelled (its case moved on first). None left pending and due.
    await until('every due timer fired', 60_000, async () => {
      if (!survivorWorker.running()) throw new Error(`the surviving worker exited:\n${survivorWorker.output()}`);
      return (await sql!`select count(*)::int as n from timers where status = 'pending' and due_at <= now()`)[0].n === 0;
    });
    const states = await sql!`select status, count(*)::int as n from timers where id = any(${[...pumped]}::bigint[]) group by status`;
    const byStatus = Object.fromEntries(states.map((r) => [r.status, r.n]));
    console.log(`[faults] multiProcess: ${pumped.size} timers made due: ${JSON.stringify(byStatus)}`);
    expect(Object.keys(byStatus).filter((s) => s !== 'done' && s !== 'cancelled')).toEqual([]);
    expect(byStatus.done).toBeGreaterThan(0);
    // No timer fired twice: one notification per (timer, user) at most, and none for a timer not done.
    expect(await sql!`select timer_id, user_id, count(*)::int as n from notifications where timer_id is not null group by timer_id, user_id having count(*) > 1`).toEqual([]);
    expect(await sql!`select n.timer_id from notifications n join timers t on t.id = n.timer_id where t.status <> 'done' limit 5`).toEqual([]);

    // Every acknowledged command, in the audit trail once; every case row agrees with its trail.
    const tag = `mp${process.pid}s%`;
    expect(await sql!`select client_request_id, count(*)::int as n from audit_records where client_request_id like ${tag} group by client_request_id having count(*) > 1`).toEqual([]);
    const rows = await sql!`
      select c.id, c.state, c.row_version,
             (select count(*)::int from audit_records a where a.case_id = c.id) as records,
             (select a.state_after from audit_records a where a.case_id = c.id order by a.seq desc limit 1) as last_state
        from cases c`;
    expect(rows.filter((r) => r.records !== r.row_version || r.last_state !== r.state), 'case rows disagreeing with their trail').toEqual([]);
    const caseIds = rows.map((r) => r.id as string);
    const { trails, verified } = await readTrails(s0.base, demoToken(env, 'city-supervisor'), caseIds);
    expect(missingAcks(loads.flatMap((l) => l.acks), trails)).toEqual([]);
    expect(caseIds.filter((id) => !verified.get(id)?.ok || verified.get(id)?.count !== trails.get(id)?.length)).toEqual([]);

    // Every surviving process computes with the new policy: the services answer with the same new deadline, and
    // the surviving worker reloaded the policy (it logs so when a change made elsewhere reaches it).
    for (const s of [s0, s1]) await waitFor(() => surveyDeadlineOf(s.base, tokens.enumerator), after, 10_000);
    await until('the surviving worker reloaded the policy', 10_000, () => /time settings changed elsewhere: reloaded/.test(survivorWorker.output()));
    expect(survivorWorker.output()).toMatch(/"deadlineScopes":\["global"\][^\n]*time settings changed elsewhere: reloaded/);
    // A service started after the change starts with it too.
    const late = spawnService(serviceEnv(await freePort(), url), { build: false });
    services.push(late);
    await waitReady(late, 60_000);
    expect(await surveyDeadlineOf(late.base, tokens.enumerator)).toBe(after);
    console.log(`[faults] multiProcess: checked in ${Date.now() - t0} ms; ${acks()} acknowledged commands on ${caseIds.length} cases`);
  });
});
