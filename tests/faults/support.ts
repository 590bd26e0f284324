/**
 * Shared by the fault tests that run the service as a real process (killService, postgresRestart): spawning it,
 * waiting for readiness, demo-user tokens, and a load generator whose every command can be found again in the
 * audit trail.
 *
 * The service is what `npm start` runs — the production build (scripts/build.mjs, then `node dist/main.js`) — but
 * spawned as node itself, not through npm: npm runs the program in a child process of its own, so a SIGKILL sent to
 * npm's pid would orphan the real server (still listening, still holding connections) instead of killing it, and
 * "the same pid" would not be the server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { signToken } from '../../src/http/auth.js';
import { demoUser, principalOf } from '../../src/seed/index.js';
import { idNumber } from '../helpers/service.js';

export const root = new URL('../../', import.meta.url).pathname;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The environment of a service process: test-friendly defaults over the runner's environment. */
export function serviceEnv(port: number, databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.DATABASE_URL;
  Object.assign(env, {
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    SEED_DEMO: 'on',
    WORKER: 'off',
    DEMO_CLOCK: 'off',
    LOG_LEVEL: 'warn',
    JWT_SECRET: 'fault-tests-secret-fault-tests-secret-0042',
    // Hermetic: a developer's .env in the repository root (read by every entry point) must not reach the test's processes.
    DOUDI_ENV_FILE: '/dev/null',
    ...extra,
  });
  return env;
}

export interface ServiceProcess {
  proc: ChildProcess;
  pid: number;
  base: string;
  /** stdout and stderr so far (for failure messages). */
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running: () => boolean;
}

/** The production build (scripts/build.mjs), once before spawning several processes with `build: false`. */
export function build(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `node dist/main.js` (the service), or `dist/worker.js` with `entry: 'worker'` (then `base` means nothing). */
export function spawnService(env: Record<string, string>, opts: { build?: boolean; entry?: 'main' | 'worker' } = {}): ServiceProcess {
  if (opts.build !== false) build();
  const proc = spawn(process.execPath, ['--enable-source-maps', `dist/${opts.entry ?? 'main'}.js`], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (d) => (output = (output + d).slice(-200_000)));
  proc.stderr!.on('data', (d) => (output = (output + d).slice(-200_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let alive = true;
  void exited.then(() => (alive = false));
  return { proc, pid: proc.pid!, base: `http://${env.HOST}:${env.PORT}`, output: () => output, exited, running: () => alive };
}

/** Polls /readyz until it answers 200 (throws if the process exits or the time runs out). */
export async function waitReady(svc: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!svc.running()) throw new Error(`the service exited before it was ready:\n${svc.output()}`);
    try {
      if ((await fetch(`${svc.base}/readyz`, { signal: AbortSignal.timeout(5000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the service did not become ready in ${timeoutMs} ms:\n${svc.output()}`);
}

/** Stops a service process if it still runs (SIGKILL: the fault tests never need a graceful stop here). */
export async function stopService(svc: ServiceProcess | undefined): Promise<void> {
  if (!svc || !svc.running()) return;
  svc.proc.kill('SIGKILL');
  await svc.exited;
}

/** A bearer token for a demo user, signed with the service's secret. */
export function demoToken(env: Record<string, string>, username: string): string {
  return signToken(loadConfig(env), principalOf(demoUser(username)), '2h');
}

// ---------------------------------------------------------------------------------------------------------------
// Load: lanes that each walk households from survey to the public notice, one command at a time.

export interface Command {
  /** The logical command: sent as X-Request-Id (the audit record carries it as clientRequestId) and as Idempotency-Key. */
  id: string;
  kind: string;
  caseId: string | null;
}

export interface Ack extends Command {
  caseId: string;
  status: number;
  at: number;
}

export interface LoadOptions {
  base: string;
  tokens: Record<'enumerator' | 'evaluator' | 'village' | 'township' | 'county', string>;
  lanes: number;
  householdsPerLane: number;
  /** Prefix of command ids; keeps runs apart. */
  tag: string;
  /**
   * What a lane does when a command gets no 2xx (a network error or a 5xx): 'stop' the lane, or 'retry' the same
   * command — same X-Request-Id, same Idempotency-Key, same body — until it gets one.
   */
  onFailure: 'stop' | 'retry';
  retryDelayMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface Failure {
  id: string;
  kind: string;
  status: number | null;
  error?: string;
  body?: string;
  at: number;
}

let householdSerial = 0;

/** A one-member household (a man of 70+ who cannot work) with an ID number unique to this process. */
export function survey() {
  householdSerial += 1;
  // A birth date of its own per household (1930-01-01 + n days), so ID numbers never repeat within a run.
  const birth = new Date(Date.UTC(1930, 0, 1) + (householdSerial * 3 + (process.pid % 3)) * 86_400_000).toISOString().slice(0, 10);
  return {
    villageCode: '411282108201',
    address: `孙家沟村 fault ${householdSerial}`,
    poorId: null,
    legalSupporter: null,
    members: [{ name: '测试老人', idNumber: idNumber(birth), birthDate: birth, sex: 'male', relation: '户主', labourCapacity: 'none' }],
  };
}

export class Load {
  readonly sent: Command[] = [];
  readonly acks: Ack[] = [];
  /** Responses that were not 2xx, and network errors. */
  readonly failures: Failure[] = [];
  /** 4xx answers: none is expected from this load. */
  readonly refusals: Failure[] = [];
  /** Retried surveys whose earlier attempt had committed (409 DUPLICATE_RESIDENT naming the case): the case is adopted. */
  readonly adopted: Failure[] = [];
  private stopped = false;
  private serial = 0;

  constructor(private readonly opts: LoadOptions) {}

  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.opts.lanes }, (_, lane) => this.lane(lane)));
  }

  private async send(
    who: keyof LoadOptions['tokens'],
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    id: string,
  ): Promise<{ status: number; json: any } | { error: string }> {
    try {
      const res = await fetch(`${this.opts.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.tokens[who]}`,
          'x-request-id': id,
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': id }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 20_000),
      });
      const text = await res.text();
      let json: any = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = { raw: text.slice(0, 500) };
      }
      return { status: res.status, json };
    } catch (e) {
      return { error: e instanceof Error ? `${e.message}${e.cause ? ` (${String((e.cause as Error).message ?? e.cause)})` : ''}` : String(e) };
    }
  }

  /**
   * Sends one command until it is acknowledged (2xx), or gives up (lane stopped, or onFailure 'stop').
   * Returns the response body of the 2xx, or null when it gave up.
   */
  private async command(who: keyof LoadOptions['tokens'], path: string, body: unknown, cmd: Command): Promise<any | null> {
    this.sent.push(cmd);
    for (;;) {
      if (this.stopped) return null;
      const r = await this.send(who, 'POST', path, body, cmd.id);
      if ('status' in r && r.status >= 200 && r.status < 300) {
        const caseId = cmd.caseId ?? r.json.caseId;
        this.acks.push({ ...cmd, caseId, status: r.status, at: Date.now() });
        return r.json;
      }
      const failure: Failure = { id: cmd.id, kind: cmd.kind, status: 'status' in r ? r.status : null, error: 'error' in r ? r.error : undefined, body: 'status' in r ? JSON.stringify(r.json).slice(0, 300) : undefined, at: Date.now() };
      // A retried survey whose earlier attempt did commit (its answer was lost): the household is there, in the case
      // named here. (POST /households takes no Idempotency-Key.) Not acknowledged, so not counted as an ack.
      if ('status' in r && cmd.kind === 'OPEN_CASE' && r.json?.code === 'DUPLICATE_RESIDENT' && this.opts.onFailure === 'retry' && this.failures.some((f) => f.id === cmd.id)) {
        this.adopted.push(failure);
        return { caseId: r.json.details.caseId, adopted: true };
      }
      this.failures.push(failure);
      if ('status' in r && r.status < 500) {
        this.refusals.push(failure);
        return null;
      }
      if (this.opts.onFailure === 'stop') return null;
      await sleep(this.opts.retryDelayMs ?? 100);
    }
  }

  private nextId(lane: number): string {
    this.serial += 1;
    return `${this.opts.tag}-${lane}-${this.serial}`;
  }

  private async lane(lane: number): Promise<void> {
    for (let h = 0; h < this.opts.householdsPerLane && !this.stopped; h++) {
      const open = { id: this.nextId(lane), kind: 'OPEN_CASE', caseId: null };
      const created = await this.command('enumerator', '/households', survey(), open);
      if (!created) return;
      const caseId: string = created.caseId;
      // The member ids: from the 201, or (an adopted case) read back.
      let members: string[] | undefined = created.household?.members?.map((m: { id: string }) => m.id);
      while (!members) {
        if (this.stopped) return;
        const r = await this.send('evaluator', 'GET', `/cases/${caseId}`, undefined, this.nextId(lane));
        if ('status' in r && r.status === 200) members = r.json.household.members.map((m: { id: string }) => m.id);
        else if (this.opts.onFailure === 'stop') return;
        else await sleep(this.opts.retryDelayMs ?? 100);
      }
      const steps: [keyof LoadOptions['tokens'], Record<string, unknown>][] = [
        ['enumerator', { type: 'SUBMIT_SURVEY' }],
        ['evaluator', { type: 'START_EVALUATION' }],
        ...members.map((memberId): [keyof LoadOptions['tokens'], Record<string, unknown>] => [
          'evaluator',
          { type: 'RECORD_ASSESSMENT', assessment: { memberId, categories: ['elderly'], labourCapacity: 'none', evidence: ['户籍登记，年满60周岁'] } },
        ]),
        ['evaluator', { type: 'SUBMIT_EVALUATION', conclusion: '符合兜底保障条件' }],
        ['village', { type: 'APPROVE', comment: '村委会同意' }],
        ['township', { type: 'APPROVE', comment: '乡政府同意' }],
        ['county', { type: 'APPROVE', comment: '民政局同意' }],
      ];
      for (const [who, body] of steps) {
        const cmd = { id: this.nextId(lane), kind: String(body.type), caseId };
        if (!(await this.command(who, `/cases/${caseId}/events`, body, cmd))) return;
      }
    }
  }
}

/** Every acknowledged command is in its case's audit trail, once, as the event it was; returns problems found. */
export function missingAcks(acks: Ack[], trail: Map<string, { clientRequestId: string | null; eventType: string }[]>): string[] {
  const problems: string[] = [];
  for (const ack of acks) {
    const records = (trail.get(ack.caseId) ?? []).filter((r) => r.clientRequestId === ack.id);
    if (records.length !== 1) problems.push(`${ack.kind} ${ack.id} on case ${ack.caseId}: ${records.length} audit records`);
    else if (records[0].eventType !== ack.kind) problems.push(`${ack.id}: recorded as ${records[0].eventType}, sent as ${ack.kind}`);
  }
  return problems;
}

export interface TrailRecord {
  seq: number;
  requestId: string | null;
  clientRequestId: string | null;
  eventType: string;
  stateAfter: string;
}

/**
 * Reads every given case's audit trail and its verification through the API (as a user who sees them all), a few
 * cases at a time. Throws on any non-200.
 */
export async function readTrails(base: string, token: string, caseIds: string[]) {
  const trails = new Map<string, TrailRecord[]>();
  const verified = new Map<string, { ok: boolean; count?: number } & Record<string, unknown>>();
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const queue = [...caseIds];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        trails.set(id, (await get(`/cases/${id}/audit`)).records);
        verified.set(id, await get(`/cases/${id}/audit/verify`));
      }
    }),
  );
  return { trails, verified };
}
