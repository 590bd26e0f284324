// kill -9 of the service during a burst of commands. A real service process on a fresh PostgreSQL database takes 16
// concurrent lanes of commands (surveys, then every step to the public notice); after about a third of them are
// acknowledged it is SIGKILLed mid-burst, with requests in flight. Restarted on the same database, it must hold
// every command that got a 2xx — in the audit trail of its case, exactly once, as the event it was — and every
// case's hash chain must verify, with the case row agreeing with its trail (a command is all or nothing).
//
// Needs PostgreSQL (DATABASE_URL): the embedded PGlite's data directory is not crash-safe across processes in the
// way a server is, and the test is about the server's commit being the acknowledgement.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl } from '../helpers/db.js';
import { demoToken, freePort, Load, missingAcks, readTrails, serviceEnv, sleep, spawnService, stopService, waitReady, type ServiceProcess } from './support.js';

const hasPostgres = !!process.env.DATABASE_URL;
if (!hasPostgres) console.warn('[faults] killService skipped: set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/test)');

const LANES = 16;
const HOUSEHOLDS_PER_LANE = 4; // 8 commands each: 512 in all
const KILL_AFTER_ACKS = 170;

describe.skipIf(!hasPostgres)('kill -9 of the service during a burst of commands', () => {
  let url: string;
  let drop: () => Promise<void> = async () => {};
  let env: Record<string, string>;
  let first: ServiceProcess | undefined;
  let second: ServiceProcess | undefined;
  let sql: postgres.Sql | undefined;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    url = db.url!;
    drop = db.drop;
    env = serviceEnv(await freePort(), url);
    const t0 = Date.now();
    first = spawnService(env);
    await waitReady(first, 150_000);
    console.log(`[faults] killService: service up (seeded) in ${Date.now() - t0} ms`);
    sql = postgres(url, { max: 1, onnotice: () => {} });
  }, 180_000);

  afterAll(async () => {
    await stopService(first);
    await stopService(second);
    await sql?.end({ timeout: 5 });
    await drop();
  });

  it('keeps every acknowledged command, and every chain verifies', async () => {
    const tokens = {
      enumerator: demoToken(env, 'lb-enumerator'),
      evaluator: demoToken(env, 'lb-evaluator'),
      village: demoToken(env, 'lb-reviewer-village'),
      township: demoToken(env, 'lb-reviewer-township'),
      county: demoToken(env, 'lb-reviewer-county'),
    };
    const load = new Load({ base: first!.base, tokens, lanes: LANES, householdsPerLane: HOUSEHOLDS_PER_LANE, tag: `kill${process.pid}`, onFailure: 'stop' });
    const t0 = Date.now();
    const running = load.run();

    // Partway: SIGKILL, with requests in flight.
    let finished = false;
    void running.then(() => (finished = true));
    while (load.acks.length < KILL_AFTER_ACKS && !finished) await sleep(1);
    const inFlight = load.sent.length - load.acks.length - load.failures.length;
    const finishedBeforeKill = finished;
    first!.proc.kill('SIGKILL');
    const exit = await first!.exited;
    const ackedAtKill = load.acks.length;
    await running;
    load.stop();
    console.log(
      `[faults] killService: SIGKILL after ${Date.now() - t0} ms with ${ackedAtKill} acknowledged, ${inFlight} in flight; ` +
        `sent ${load.sent.length}, acknowledged ${load.acks.length}, failed ${load.failures.length}`,
    );
    expect(exit.signal).toBe('SIGKILL');
    expect(finishedBeforeKill ? 'the burst finished before the kill' : 'killed mid-burst').toBe('killed mid-burst');
    expect(load.refusals, 'no command of the burst is refused').toEqual([]);
    expect(load.acks.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    // Restart on the same database (no seed: it is not empty).
    const t1 = Date.now();
    second = spawnService(env);
    await waitReady(second, 150_000);
    console.log(`[faults] killService: restarted in ${Date.now() - t1} ms`);

    // SQL: no command recorded twice, nothing recorded that was never sent, and each case row agrees with its trail.
    const tag = `kill${process.pid}-%`;
    // The load's X-Request-Id is recorded as the client's request id (the request id itself is the service's own).
    const twice = await sql!`select client_request_id, count(*)::int as n from audit_records where client_request_id like ${tag} group by client_request_id having count(*) > 1`;
    expect(twice).toEqual([]);
    const recordedIds = (await sql!`select client_request_id from audit_records where client_request_id like ${tag}`).map((r) => r.client_request_id as string);
    const sentIds = new Set(load.sent.map((c) => c.id));
    expect(recordedIds.filter((id) => !sentIds.has(id))).toEqual([]);
    const rows = await sql!`
      select c.id, c.state, c.row_version,
             (select count(*)::int from audit_records a where a.case_id = c.id) as records,
             (select a.state_after from audit_records a where a.case_id = c.id order by a.seq desc limit 1) as last_state
        from cases c`;
    const disagreeing = rows.filter((r) => r.records !== r.row_version || r.last_state !== r.state);
    expect(disagreeing, 'case rows whose state or row version disagrees with their audit trail').toEqual([]);
    expect(recordedIds.length).toBeGreaterThanOrEqual(load.acks.length);
    console.log(`[faults] killService: ${recordedIds.length} of the burst's commands recorded (${load.acks.length} acknowledged); ${rows.length} cases`);

    // The API: every acknowledged command is in its case's trail, and every case's chain verifies.
    const caseIds = rows.map((r) => r.id as string);
    const { trails, verified } = await readTrails(second.base, demoToken(env, 'city-supervisor'), caseIds);
    expect(missingAcks(load.acks, trails)).toEqual([]);
    const broken = caseIds.filter((id) => !verified.get(id)?.ok || verified.get(id)?.count !== trails.get(id)?.length);
    expect(broken.map((id) => ({ id, verify: verified.get(id) }))).toEqual([]);

    // And the restarted service goes on: one more household from survey to the public notice.
    const after = new Load({ base: second.base, tokens, lanes: 1, householdsPerLane: 1, tag: `kill${process.pid}after`, onFailure: 'stop' });
    await after.run();
    expect(after.failures).toEqual([]);
    expect(after.acks.map((a) => a.kind)).toEqual(['OPEN_CASE', 'SUBMIT_SURVEY', 'START_EVALUATION', 'RECORD_ASSESSMENT', 'SUBMIT_EVALUATION', 'APPROVE', 'APPROVE', 'APPROVE']);
  });
});
