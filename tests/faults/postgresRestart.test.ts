// A PostgreSQL restart under load. The test starts a PRIVATE server of its own (initdb in a temporary directory, its
// own port and socket directory, trust authentication on 127.0.0.1) — never the shared one — runs the service
// against it, and drives steady load: 4 lanes of commands, each retrying a command that got no 2xx with the same
// X-Request-Id, Idempotency-Key and body (a client that does not know whether its command went through).
// Then PostgreSQL is stopped (fast shutdown: sessions terminated, transactions in flight rolled back) and, a few
// seconds later, started again. The service must answer /readyz 503 while the database is down and 200 again
// once it is back, without a restart of its own (the same process, never exited); commands must succeed again; and
// every command that got a 2xx must be in the audit trail exactly once, with every chain verifying.
//
// Needs the PostgreSQL server binaries (initdb, pg_ctl): /usr/lib/postgresql/<version>/bin, PG_BIN, or the PATH.
// Skipped, with a message, when they are missing. Runs as root in CI: initdb refuses root, so the server runs as
// the `postgres` user (runuser), in a directory chowned to it.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken, freePort, Load, missingAcks, readTrails, serviceEnv, sleep, spawnService, stopService, waitReady, type ServiceProcess } from './support.js';

/** The directory holding initdb and pg_ctl, or null. */
function findPgBin(): string | null {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(base, v, 'bin')));
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(join(which.stdout.trim(), '..'));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

const isRoot = process.getuid?.() === 0;
/** As root, the server runs as `postgres`: its uid and gid, or null when there is no such user. */
function postgresUser(): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const pgBin = findPgBin();
const pgUser = isRoot ? postgresUser() : null;
const hasRunuser = !isRoot || spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' }).status === 0;
const skipReason = !pgBin
  ? 'the PostgreSQL server binaries (initdb, pg_ctl) are not installed (looked in PG_BIN, /usr/lib/postgresql/*/bin and the PATH)'
  : isRoot && (!pgUser || !hasRunuser)
    ? 'running as root, but there is no `postgres` user or no `runuser` to run the private server as'
    : null;
if (skipReason) console.warn(`[faults] postgresRestart skipped: ${skipReason}`);

/** A private PostgreSQL server in a temporary directory. */
class PrivateServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'doudi-pg-'));
  readonly data = join(this.dir, 'data');
  readonly log = join(this.dir, 'server.log');
  constructor(readonly port: number) {
    if (pgUser) chownSync(this.dir, pgUser.uid, pgUser.gid);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const bin = join(pgBin!, tool);
    return isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  }

  private failed(tool: string, args: string[], e: unknown): Error {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return new Error(`${tool} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}\n${this.serverLog()}`);
  }

  private runSync(tool: string, args: string[]): string {
    const [cmd, argv] = this.command(tool, args);
    try {
      return execFileSync(cmd, argv, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    } catch (e) {
      throw this.failed(tool, args, e);
    }
  }

  /** Asynchronous, so that the test's load keeps running while the server stops or starts. */
  private run(tool: string, args: string[]): Promise<string> {
    const [cmd, argv] = this.command(tool, args);
    return new Promise((resolve, reject) =>
      execFile(cmd, argv, { encoding: 'utf8', timeout: 120_000, cwd: this.dir }, (e, stdout, stderr) =>
        e ? reject(this.failed(tool, args, Object.assign(e, { stdout, stderr }))) : resolve(stdout),
      ),
    );
  }

  serverLog(): string {
    try {
      return readFileSync(this.log, 'utf8').slice(-5000);
    } catch {
      return '';
    }
  }

  init(): void {
    this.runSync('initdb', ['-D', this.data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  }

  start(): Promise<string> {
    // Only 127.0.0.1 and a socket in our own directory: nothing is shared with a server on the usual port.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
    return this.run('pg_ctl', ['-D', this.data, '-l', this.log, '-o', options, '-w', '-t', '60', 'start']);
  }

  stop(mode: 'fast' | 'immediate' = 'fast'): Promise<string> {
    return this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  running(): boolean {
    const bin = join(pgBin!, 'pg_ctl');
    const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, '-D', this.data, 'status']] : [bin, ['-D', this.data, 'status']];
    return spawnSync(cmd, argv, { stdio: 'ignore' }).status === 0;
  }

  destroy(): void {
    try {
      if (existsSync(join(this.data, 'postmaster.pid')) && this.running()) this.runSync('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

async function readyz(base: string): Promise<{ status: number; code?: string } | { error: string }> {
  try {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { code?: string };
    return { status: res.status, code: body.code };
  } catch (e) {
    return { error: String(e) };
  }
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean): Promise<number> {
  const t0 = Date.now();
  while (!(await probe())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - t0;
}

const LANES = 6;

describe.skipIf(!!skipReason)('PostgreSQL restarted under load', () => {
  let server: PrivateServer | undefined;
  let svc: ServiceProcess | undefined;
  let env: Record<string, string>;
  let sql: postgres.Sql | undefined;

  beforeAll(async () => {
    const t0 = Date.now();
    server = new PrivateServer(await freePort());
    server.init();
    await server.start();
    console.log(`[faults] postgresRestart: private PostgreSQL on 127.0.0.1:${server.port} (${server.dir}) in ${Date.now() - t0} ms`);
    env = serviceEnv(await freePort(), server.url);
    svc = spawnService(env);
    await waitReady(svc, 150_000);
    console.log(`[faults] postgresRestart: service up (seeded) after ${Date.now() - t0} ms`);
  }, 240_000);

  afterAll(async () => {
    await stopService(svc);
    await sql?.end({ timeout: 5 }).catch(() => {});
    server?.destroy();
  });

  it('reports not ready while the database is down, reconnects on its own, and loses nothing acknowledged', async () => {
    try {
      await restartUnderLoad();
    } catch (e) {
      // The service's and the server's last words: a crash (the process gone) shows here.
      const why = e instanceof Error ? e : new Error(String(e));
      why.message += `\n--- service (${svc?.running() ? 'running' : 'EXITED'}) output ---\n${svc?.output().slice(-6000)}\n--- PostgreSQL log ---\n${server?.serverLog()}`;
      throw why;
    }
  });

  async function restartUnderLoad() {
    const tokens = {
      enumerator: demoToken(env, 'lb-enumerator'),
      evaluator: demoToken(env, 'lb-evaluator'),
      village: demoToken(env, 'lb-reviewer-village'),
      township: demoToken(env, 'lb-reviewer-township'),
      county: demoToken(env, 'lb-reviewer-county'),
    };
    const pid = svc!.pid;
    const load = new Load({ base: svc!.base, tokens, lanes: LANES, householdsPerLane: 10_000, tag: `pgr${process.pid}`, onFailure: 'retry', retryDelayMs: 100, timeoutMs: 15_000 });
    const running = load.run();
    try {
      await waitFor('steady load (40 acknowledged commands)', 60_000, () => load.acks.length >= 40);

      // Down: a fast shutdown terminates the service's sessions, rolling back transactions in flight.
      const stopAt = Date.now();
      const acksBefore = load.acks.length;
      await server!.stop('fast');
      const stoppedIn = Date.now() - stopAt;
      const notReadyIn = await waitFor('/readyz to answer 503', 15_000, async () => {
        const r = await readyz(svc!.base);
        return 'status' in r && r.status === 503 && r.code === 'NOT_READY';
      });
      // While it is down, every probe says not ready, within the readiness check's own 3 s timeout.
      const probes: { ms: number; r: Awaited<ReturnType<typeof readyz>> }[] = [];
      for (let i = 0; i < 8; i++) {
        const t = Date.now();
        probes.push({ r: await readyz(svc!.base), ms: Date.now() - t });
        await sleep(250);
      }
      expect(probes.filter((p) => !('status' in p.r) || p.r.status !== 503 || p.ms > 4000)).toEqual([]);
      const acksWhileDown = load.acks.length - acksBefore;

      // Up again: the same process becomes ready without being restarted.
      const startAt = Date.now();
      await server!.start();
      const startedIn = Date.now() - startAt;
      const readyIn = await waitFor('/readyz to answer 200 again', 60_000, async () => {
        const r = await readyz(svc!.base);
        return 'status' in r && r.status === 200;
      });
      const acksAtReady = load.acks.length;
      const resumedIn = await waitFor('40 more acknowledged commands', 60_000, () => load.acks.length >= acksAtReady + 40);
      console.log(
        `[faults] postgresRestart: stop took ${stoppedIn} ms, /readyz 503 within ${notReadyIn} ms (probes while down: ` +
          `${probes.map((p) => p.ms).join(', ')} ms); down ~${startAt - stopAt} ms (${acksWhileDown} commands acknowledged meanwhile); ` +
          `start took ${startedIn} ms, /readyz 200 within ${readyIn} ms; 40 more commands in ${resumedIn} ms`,
      );

      // Every connection of the pool works again: a burst of reads wider than the pool all succeed.
      const caseIds = [...new Set(load.acks.map((a) => a.caseId))];
      const reader = demoToken(env, 'city-supervisor');
      const reads = await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const res = await fetch(`${svc!.base}/cases/${caseIds[i % caseIds.length]}`, { headers: { authorization: `Bearer ${reader}` }, signal: AbortSignal.timeout(15_000) });
          return res.status === 200 ? 200 : `${res.status} ${await res.text()}`;
        }),
      );
      expect(reads.filter((r) => r !== 200), 'reads after the database came back').toEqual([]);
      expect(svc!.running(), 'the service process never exited').toBe(true);
      expect(svc!.pid).toBe(pid);
    } finally {
      load.stop();
      await running;
    }

    const byOutcome = new Map<string, number>();
    for (const f of load.failures) {
      const key = f.status === null ? `network: ${f.error}` : `${f.status} ${JSON.parse(f.body ?? '{}').code ?? ''}`;
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    }
    console.log(
      `[faults] postgresRestart: sent ${load.sent.length}, acknowledged ${load.acks.length}, surveys adopted after a lost answer ${load.adopted.length}; ` +
        'failed attempts (retried):',
      Object.fromEntries(byOutcome),
    );
    expect(load.refusals, 'no command is refused (4xx)').toEqual([]);
    // While the database is down a command fails fast with a 5xx from the catalogue: no hang, no dropped connection.
    const unexpected = load.failures.filter((f) => f.status === null || f.status < 500 || !['INTERNAL', 'NOT_READY'].includes(JSON.parse(f.body ?? '{}').code));
    expect(unexpected).toEqual([]);
    expect(svc!.running()).toBe(true);

    // Nothing acknowledged is lost, nothing is recorded twice, every case row agrees with its trail.
    sql = postgres(server!.url, { max: 1, onnotice: () => {} });
    const tag = `pgr${process.pid}-%`;
    // The load's X-Request-Id is recorded as the client's request id (the request id itself is the service's own).
    const twice = await sql`select client_request_id, count(*)::int as n from audit_records where client_request_id like ${tag} group by client_request_id having count(*) > 1`;
    expect(twice).toEqual([]);
    const sentIds = new Set(load.sent.map((c) => c.id));
    const recordedIds = (await sql`select client_request_id from audit_records where client_request_id like ${tag}`).map((r) => r.client_request_id as string);
    expect(recordedIds.filter((id) => !sentIds.has(id))).toEqual([]);
    expect(recordedIds.length).toBeGreaterThanOrEqual(load.acks.length);
    const rows = await sql`
      select c.id, c.state, c.row_version,
             (select count(*)::int from audit_records a where a.case_id = c.id) as records,
             (select a.state_after from audit_records a where a.case_id = c.id order by a.seq desc limit 1) as last_state
        from cases c`;
    expect(rows.filter((r) => r.records !== r.row_version || r.last_state !== r.state)).toEqual([]);

    const caseIds = rows.map((r) => r.id as string);
    const { trails, verified } = await readTrails(svc!.base, demoToken(env, 'city-supervisor'), caseIds);
    expect(missingAcks(load.acks, trails)).toEqual([]);
    const broken = caseIds.filter((id) => !verified.get(id)?.ok || verified.get(id)?.count !== trails.get(id)?.length);
    expect(broken.map((id) => ({ id, verify: verified.get(id) }))).toEqual([]);
  }
});
