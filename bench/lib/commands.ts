// Command throughput: the HTTP mix (autocannon against the real service) and its ceiling, the same SQL
// transaction driven directly by pgbench and by postgres.js at the same concurrency.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { auditHash } from '../../src/audit/hash.js';
import type { Db } from '../../src/db/index.js';
import { signToken } from '../../src/http/auth.js';
import { demoUser, principalOf } from '../../src/seed/index.js';
import { chinaDateOf } from '../../src/time/calendar.js';
import { exec, one, query } from './db.js';
import { CEILING_ID_SQL, ceilingId } from './seed.js';
import { execFileP, percentile } from './util.js';

type PoolName = 'village' | 'township' | 'county' | 'publicity' | 'active';
type County = 'lb' | 'mc';

interface Job {
  id: string;
  version: number;
  pool: PoolName;
  county: County;
}

/** A FIFO of jobs (cases) per pool and county; a case is in at most one queue or in flight, never both. */
class Queue {
  private items: (Job | undefined)[] = [];
  private head = 0;
  push(j: Job) {
    this.items.push(j);
  }
  shift(): Job | undefined {
    if (this.head >= this.items.length) return undefined;
    const j = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 65_536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return j;
  }
  get length() {
    return this.items.length - this.head;
  }
}

/** What each successful command does to the case: where it goes next. */
const nextPool: Record<PoolName, PoolName> = { village: 'township', township: 'county', county: 'publicity', publicity: 'publicity', active: 'active' };
const eventOf: Record<PoolName, 'APPROVE' | 'FILE_OBJECTION' | 'RECORD_REVISIT'> = {
  village: 'APPROVE',
  township: 'APPROVE',
  county: 'APPROVE',
  publicity: 'FILE_OBJECTION',
  active: 'RECORD_REVISIT',
};
const userOf: Record<PoolName, string> = {
  village: 'reviewer-village',
  township: 'reviewer-township',
  county: 'reviewer-county',
  publicity: 'officer',
  active: 'visitor',
};

/** The mix: shares of the three kinds of command. */
export const MIX = { approve: 0.45, revisit: 0.45, objection: 0.1 };

export interface MixState {
  queues: Map<string, Queue>;
  tokens: Map<string, string>;
  today: string;
  objectionSerial: number;
  /** Every response seen (any phase), by outcome, for the whole run. */
  totals: { ok: number; failed: number; issued: number };
  initialVersions: Map<string, number>;
  /** Cases the mix sent a command to, with their county. */
  touched: Map<string, County>;
  startedAt: Date;
}

export async function loadMixState(db: Db, jwt: { jwtSecret: string; jwtIssuer: string }): Promise<MixState> {
  const rows = await query<{ id: string; row_version: number; pool: PoolName; county: County; state: string; review_level: string | null }>(
    db,
    `select c.id, c.row_version, p.pool, p.county, c.state, c.review_level from bench_plan p join cases c on c.id = p.case_id
     where p.pool in ('village', 'township', 'county', 'publicity', 'active') order by p.n`,
  );
  const queues = new Map<string, Queue>();
  const initialVersions = new Map<string, number>();
  for (const r of rows) {
    // Where the case is now (a reused database may have moved it on).
    let pool: PoolName | null = null;
    if (r.state === 'review') pool = r.review_level as PoolName;
    else if (r.state.startsWith('publicity.')) pool = 'publicity';
    else if (r.state.startsWith('active.')) pool = 'active';
    if (!pool) continue;
    const key = `${pool}:${r.county}`;
    if (!queues.has(key)) queues.set(key, new Queue());
    queues.get(key)!.push({ id: r.id, version: r.row_version, pool, county: r.county });
    initialVersions.set(r.id, r.row_version);
  }
  // Each queue is in plan order, which takes the villages round-robin.
  const tokens = new Map<string, string>();
  for (const county of ['lb', 'mc'] as const) {
    for (const u of new Set(Object.values(userOf))) {
      tokens.set(`${county}-${u}`, signToken(jwt, principalOf(demoUser(`${county}-${u}`)), '12h'));
    }
  }
  for (const u of ['lb-supervisor', 'mc-supervisor', 'city-supervisor']) tokens.set(`__${u}`, signToken(jwt, principalOf(demoUser(u)), '12h'));
  return { queues, tokens, today: chinaDateOf(new Date()), objectionSerial: 0, totals: { ok: 0, failed: 0, issued: 0 }, initialVersions, touched: new Map(), startedAt: new Date() };
}

/** Takes one case out of a pool (for one-off requests outside the load steps). */
export function takeJob(m: MixState, pool: PoolName, county: County): { id: string; version: number } | undefined {
  return m.queues.get(`${pool}:${county}`)?.shift();
}

export function queueSizes(m: MixState): Record<string, number> {
  return Object.fromEntries([...m.queues.entries()].map(([k, q]) => [k, q.length]));
}

function pickJob(m: MixState): Job | undefined {
  const r = Math.random();
  const kind = r < MIX.approve ? 'approve' : r < MIX.approve + MIX.revisit ? 'revisit' : 'objection';
  const order: PoolName[][] =
    kind === 'approve'
      ? [['village', 'township', 'county'].sort(() => Math.random() - 0.5) as PoolName[], ['active'], ['publicity']]
      : kind === 'revisit'
        ? [['active'], ['village', 'township', 'county'], ['publicity']]
        : [['publicity'], ['active'], ['village', 'township', 'county']];
  const counties: County[] = Math.random() < 0.5 ? ['lb', 'mc'] : ['mc', 'lb'];
  for (const group of order) {
    for (const pool of group) {
      for (const county of counties) {
        const j = m.queues.get(`${pool}:${county}`)?.shift();
        if (j) return j;
      }
    }
  }
  return undefined;
}

function bodyOf(m: MixState, j: Job): string {
  switch (eventOf[j.pool]) {
    case 'APPROVE':
      return JSON.stringify({ type: 'APPROVE', comment: '经审核，同意' });
    case 'RECORD_REVISIT':
      return JSON.stringify({
        type: 'RECORD_REVISIT',
        date: m.today,
        livingConditions: '住房安全，饮水、取暖有保障',
        health: '身体状况稳定，按时服药',
        problems: '',
        reassessmentNeeded: false,
      });
    case 'FILE_OBJECTION':
      return JSON.stringify({
        type: 'FILE_OBJECTION',
        objectionId: `BENCH-${++m.objectionSerial}`,
        lodgedBy: '村民（电话反映）',
        channel: 'phone',
        content: '反映该户有子女在外务工，请核实赡养能力',
      });
  }
}

export interface HttpStep {
  connections: number;
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  rps: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  byKind: Record<string, number>;
  failures: Record<string, number>;
}

/**
 * One load step of the mix at `connections` for `seconds`. With several service processes (one base URL each)
 * the connections are spread evenly over them, one autocannon instance per process, all fed from the same
 * queues (so a case is still never in flight twice); latencies are then the harness's own (from building a
 * request to its answer), since autocannon's percentiles of separate instances do not add up.
 */
export async function runMix(m: MixState, baseUrls: string | string[], connections: number, seconds: number): Promise<HttpStep> {
  const urls = Array.isArray(baseUrls) ? baseUrls : [baseUrls];
  const byKind: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const own: number[] = [];
  let ok = 0;
  const run = (baseUrl: string, conns: number) => {
    const url = new URL(baseUrl);
    return autocannon({
      url: baseUrl,
      connections: conns,
      duration: seconds,
      timeout: 30,
      requests: [
        {
          setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
            const j = pickJob(m);
            if (!j) throw new Error('the mix ran out of cases: seed more (--cases) or shorten --duration');
            context.job = j;
            context.t0 = performance.now();
            m.totals.issued += 1;
            m.touched.set(j.id, j.county);
            return {
              ...req,
              method: 'POST',
              path: `/cases/${j.id}/events`,
              headers: {
                host: url.host,
                authorization: `Bearer ${m.tokens.get(`${j.county}-${userOf[j.pool]}`)}`,
                'content-type': 'application/json',
                'if-match': `"${j.version}"`,
              },
              body: bodyOf(m, j),
            };
          },
          onResponse: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => {
            const j = context.job as Job;
            if (!j) return;
            context.job = undefined;
            own.push(performance.now() - (context.t0 as number));
            if (status >= 200 && status < 300) {
              ok += 1;
              m.totals.ok += 1;
              const ev = eventOf[j.pool];
              const kind = ev === 'APPROVE' ? `APPROVE ${j.pool}` : ev;
              byKind[kind] = (byKind[kind] ?? 0) + 1;
              const etag = Number(String(headers.etag ?? '').replaceAll('"', ''));
              const next: Job = { ...j, version: Number.isFinite(etag) && etag > 0 ? etag : j.version + 1, pool: nextPool[j.pool] };
              m.queues.get(`${next.pool}:${next.county}`)!.push(next);
            } else {
              m.totals.failed += 1;
              let code = '';
              try {
                code = JSON.parse(body).code ?? '';
              } catch {
                // not JSON
              }
              const k = `${status} ${code} (${eventOf[j.pool]})`;
              failures[k] = (failures[k] ?? 0) + 1;
            }
          },
        },
      ],
    } as autocannon.Options);
  };
  const share = urls.map((_, i) => Math.floor(connections / urls.length) + (i < connections % urls.length ? 1 : 0));
  const results = await Promise.all(urls.map((u, i) => (share[i] > 0 ? run(u, share[i]) : null)).filter((x) => x !== null));
  // autocannon stops without waiting for the requests in flight; let them finish before anything else runs.
  await new Promise((r) => setTimeout(r, 2000));
  const duration = Math.max(...results.map((r) => r.duration));
  let latency: HttpStep['latency'];
  if (results.length === 1) {
    const lat = results[0].latency as unknown as Record<string, number>;
    latency = { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max, mean: lat.average };
  } else {
    own.sort((a, b) => a - b);
    const r0 = (x: number) => Math.round(x);
    latency = { p50: r0(percentile(own, 50)), p90: r0(percentile(own, 90)), p99: r0(percentile(own, 99)), max: r0(own.at(-1) ?? NaN), mean: own.reduce((a, b) => a + b, 0) / Math.max(1, own.length) };
  }
  return {
    connections,
    seconds: duration,
    ok,
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    timeouts: results.reduce((a, r) => a + r.timeouts, 0),
    rps: ok / duration,
    latency,
    byKind,
    failures,
  };
}

/** After the mix, in the database: the writes match the acknowledged commands, one audit record each. */
export async function checkMixDb(db: Db, m: MixState) {
  const ids = [...m.touched.keys()];
  let commits = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    const part = ids.slice(i, i + 5000);
    const rows = await query<{ id: string; row_version: number }>(db, `select id, row_version from cases where id in (${part.map((x) => `'${x}'`).join(',')})`);
    for (const r of rows) commits += r.row_version - (m.initialVersions.get(r.id) ?? r.row_version);
  }
  const audit = await one<{ n: number }>(db, `select count(*)::int as n from audit_records where request_id is distinct from 'bench-seed'
    and event_type in ('APPROVE', 'RECORD_REVISIT', 'FILE_OBJECTION') and actor_id like 'd0d1%' and at >= '${m.startedAt.toISOString()}'
    and case_id in (select case_id from bench_plan where pool in ('village', 'township', 'county', 'publicity', 'active'))`);
  return {
    acknowledged: m.totals.ok,
    refused: m.totals.failed,
    inFlightAtStop: m.totals.issued - m.totals.ok - m.totals.failed,
    serverCommits: commits,
    auditRecords: audit.n,
  };
}

/** A sample of the touched cases' audit chains, verified through the API (GET /cases/:id/audit/verify). */
export async function verifyChains(m: MixState, baseUrl: string, sampleSize = 200) {
  const sample = [...m.touched.entries()].sort(() => Math.random() - 0.5).slice(0, sampleSize);
  let verified = 0;
  let broken = 0;
  for (const [id, county] of sample) {
    const r = await fetch(`${baseUrl}/cases/${id}/audit/verify`, { headers: { authorization: `Bearer ${signTokenFor(m, `${county}-supervisor`)}` } });
    const body = (await r.json()) as { ok?: boolean };
    if (r.ok && body.ok) verified += 1;
    else broken += 1;
  }
  return { chainsVerified: verified, chainsBroken: broken };
}

function signTokenFor(m: MixState, username: string): string {
  const t = m.tokens.get(`__${username}`);
  if (t) return t;
  throw new Error(`no token for ${username}`);
}


// ---------------------------------------------------------------------------------------------------------
// The ceiling: the command's essential SQL without the service — lock the case row, write the snapshot and
// the mirrored columns, read the last audit hash, append the audit record — on the ceiling's cases.

export interface CeilingStep {
  tool: 'pgbench' | 'postgres.js';
  clients: number;
  seconds: number;
  tps: number;
  latencyMs: { mean: number; p50?: number; p99?: number };
  transactions: number;
  failed: number;
  /** CPU of the client (postgres.js: the harness process) over the step. */
  clientCpuSeconds?: number;
  /** CPU of the PostgreSQL backends over the step. */
  pgCpuSeconds?: number;
}

export function pgbenchScript(machineVersion: number): string {
  const id = CEILING_ID_SQL(':n::int');
  // A space after each colon: pgbench would read `:false` as a variable.
  const payload = JSON.stringify({ date: '2025-01-01', health: '身体状况稳定，按时服药', problems: '', livingConditions: '住房安全，饮水、取暖有保障', reassessmentNeeded: false }).replaceAll('":', '": ');
  return [
    '\\set n random(1, :nids)',
    'BEGIN;',
    `SELECT * FROM cases WHERE id = ${id} FOR UPDATE;`,
    `UPDATE cases SET snapshot = jsonb_set(snapshot, '{context,revisits,count}', to_jsonb(row_version)), deadline_at = deadline_at + interval '1 minute', updated_at = now(), row_version = row_version + 1 WHERE id = ${id};`,
    `SELECT seq AS last_seq, hash AS last_hash FROM audit_records WHERE case_id = ${id} ORDER BY seq DESC LIMIT 1 \\gset`,
    `INSERT INTO audit_records (case_id, seq, event_type, payload, actor_id, actor_role, state_before, state_after, machine_version, request_id, at, prev_hash, hash) VALUES (${id}, :last_seq::int + 1, 'RECORD_REVISIT', '${payload}'::jsonb, 'd0d10000-0000-4000-8000-000000000107', 'visitor', 'active.monitoring', 'active.monitoring', ${machineVersion}, 'pgbench', now(), :last_hash, encode(sha256(convert_to(:last_hash || :n::text || clock_timestamp()::text, 'UTF8')), 'hex'));`,
    'COMMIT;',
    '',
  ].join('\n');
}

export async function runPgbench(o: { server: string; database: string; clients: number; seconds: number; nids: number; machineVersion: number; warmup?: boolean }): Promise<CeilingStep> {
  const script = join(tmpdir(), `doudi-bench-${process.pid}.sql`);
  writeFileSync(script, pgbenchScript(o.machineVersion));
  const u = new URL(o.server);
  const args = [
    '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'),
    '-n', '-M', 'prepared', '-c', String(o.clients), '-j', String(Math.min(2, o.clients)), '-T', String(o.seconds),
    '-D', `nids=${o.nids}`, '-f', script, o.database,
  ];
  const { stdout } = await execFileP(PGBENCH, args, { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password || '') } });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
  const lat = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  const tx = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
  if (!Number.isFinite(tps) && !o.warmup) throw new Error(`pgbench output not understood:\n${stdout}`);
  return { tool: 'pgbench', clients: o.clients, seconds: o.seconds, tps, latencyMs: { mean: lat }, transactions: tx, failed };
}

export const PGBENCH = process.env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench';

/** The same transaction from Node through postgres.js, the driver the service uses: snapshot parsed and re-sent. */
export async function runPostgresJs(o: { url: string; clients: number; seconds: number; nids: number; machineVersion: number }): Promise<CeilingStep> {
  const sqlc = postgres(`${o.url}?application_name=bench-ceiling`, { max: o.clients, onnotice: () => {} });
  const cpu0 = process.cpuUsage();
  const lat: number[] = [];
  let failed = 0;
  const end = performance.now() + o.seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const id = ceilingId(1 + Math.floor(Math.random() * o.nids));
      const t = performance.now();
      try {
        await sqlc.begin(async (tx) => {
          const [row] = await tx`select * from cases where id = ${id} for update`;
          const snapshot = row.snapshot as { context: { revisits: { count: number } } };
          snapshot.context.revisits.count += 1;
          await tx`update cases set snapshot = ${tx.json(snapshot as never)}, deadline_at = deadline_at + interval '1 minute',
            updated_at = now(), row_version = row_version + 1 where id = ${id}`;
          const [last] = await tx`select seq, hash from audit_records where case_id = ${id} order by seq desc limit 1`;
          const content = {
            caseId: id,
            seq: (last?.seq ?? 0) + 1,
            eventType: 'RECORD_REVISIT',
            payload: { date: '2025-01-01', health: '身体状况稳定，按时服药', problems: '', livingConditions: '住房安全，饮水、取暖有保障', reassessmentNeeded: false },
            actorId: 'd0d10000-0000-4000-8000-000000000107',
            actorRole: 'visitor',
            stateBefore: 'active.monitoring',
            stateAfter: 'active.monitoring',
            machineVersion: o.machineVersion,
            requestId: 'postgres.js',
            at: new Date(),
            prevHash: (last?.hash as string | undefined) ?? null,
          };
          await tx`insert into audit_records (case_id, seq, event_type, payload, actor_id, actor_role, state_before, state_after,
            machine_version, request_id, at, prev_hash, hash) values (${id}, ${content.seq}, ${content.eventType}, ${tx.json(content.payload)},
            ${content.actorId}, ${content.actorRole}, ${content.stateBefore}, ${content.stateAfter}, ${content.machineVersion},
            ${content.requestId}, ${content.at}, ${content.prevHash}, ${auditHash(content)})`;
        });
        lat.push(performance.now() - t);
      } catch {
        failed += 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: o.clients }, worker));
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await sqlc.end({ timeout: 5 });
  lat.sort((a, b) => a - b);
  return {
    tool: 'postgres.js',
    clients: o.clients,
    seconds: secs,
    tps: lat.length / secs,
    latencyMs: { mean: lat.reduce((s, x) => s + x, 0) / Math.max(1, lat.length), p50: percentile(lat, 50), p99: percentile(lat, 99) },
    transactions: lat.length,
    failed,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export async function checkpoint(db: Db): Promise<void> {
  await exec(db, 'checkpoint');
}
