// Statements and round trips per command, measured outside the service: the service (and a timer worker) talk to
// PostgreSQL through the wire-protocol proxy of wireCount.ts, one request at a time, and the proxy's counters are
// read around each request. BEGIN and COMMIT are statements like any other here (each a Query or an Execute), and
// every wait for the server is a round trip, whoever's code sends it (engine, route, driver).
import type { Db } from '../../src/db/index.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { signToken } from '../../src/http/auth.js';
import { demoUser, PLACES, principalOf } from '../../src/seed/index.js';
import { loadMixState, takeJob } from './commands.js';
import { databaseUrl, one } from './db.js';
import { startService } from './service.js';
import { insertDueTimers, prepareTimerCases, startWorker, waitFor } from './timers.js';
import { log, percentile, sleep } from './util.js';
import { startWireCounter, type WireCounter, type WireUnit } from './wireCount.js';

/** The target: at most this many round trips for the three commands of the HTTP mix, BEGIN and COMMIT included. */
export const ROUND_TRIP_TARGET = 3;
export const TARGETED = new Set(['APPROVE (village)', 'APPROVE (township)', 'APPROVE (county)', 'RECORD_REVISIT', 'FILE_OBJECTION']);

export interface RoundTripRow {
  event: string;
  /** What was sent (route and event). */
  request: string;
  samples: number;
  statements: { median: number; max: number; min: number };
  roundTrips: { median: number; max: number; min: number };
  /** Transactions the server saw per request (median). */
  transactions: number;
  /** Most database connections one request used. */
  connectionsMax: number;
  target: number | null;
}

export interface RoundTripResult {
  rows: RoundTripRow[];
  warmup: number;
  /** Connections the service opened through the proxy from its start (migrations included) to its stop. */
  connectionsOpened: number;
  /** The idle polls of the timer worker, left out of the timer row: their (statements, round trips) shapes. */
  idlePollShapes: string[];
  timerNote: string | null;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: percentile(s, 50), max: s.at(-1) ?? NaN, min: s[0] ?? NaN };
};

function row(event: string, request: string, samples: { statements: number; roundTrips: number; transactions: number; connections: number }[]): RoundTripRow {
  return {
    event,
    request,
    samples: samples.length,
    statements: stats(samples.map((x) => x.statements)),
    roundTrips: stats(samples.map((x) => x.roundTrips)),
    transactions: stats(samples.map((x) => x.transactions)).median,
    connectionsMax: Math.max(0, ...samples.map((x) => x.connections)),
    target: TARGETED.has(event) ? ROUND_TRIP_TARGET : null,
  };
}

/** One request with the proxy's counters zeroed before and read once every connection is idle again. */
async function measured(proxy: WireCounter, send: () => Promise<void>) {
  await proxy.settled();
  proxy.reset();
  await send();
  await proxy.settled(100);
  const c = proxy.counts();
  return { statements: c.statements, roundTrips: c.roundTrips, transactions: c.transactions, connections: c.connectionsUsed };
}

let idSerial = 0;
/** A one-person household in 孙家沟村 with a valid resident ID number no other case uses. */
function surveyBody(runTag: number) {
  idSerial += 1;
  const birth = new Date(Date.UTC(1935, 0, 1) + ((runTag * 37 + idSerial * 101) % 3650) * 86_400_000).toISOString().slice(0, 10);
  const first17 = `411282${birth.replaceAll('-', '')}${String(500 + ((runTag + idSerial * 2) % 449)).padStart(3, '0')}`;
  const idNumber = first17 + residentIdCheckChar(first17);
  return {
    villageCode: PLACES.sunjiagou,
    address: `孙家沟村${idSerial}组${idSerial}号`,
    poorId: null,
    legalSupporter: null,
    members: [{ name: '测试老人', idNumber, birthDate: birth, sex: Number(first17[16]) % 2 ? 'male' : 'female', relation: '户主', labourCapacity: 'none' }],
  };
}

export async function runRoundTrips(db: Db, o: { server: string; database: string; port: number; jwtSecret: string; samples: number; warmup?: number; timers?: boolean }): Promise<RoundTripResult> {
  const warmup = o.warmup ?? 3;
  const server = new URL(o.server);
  const proxy = await startWireCounter({ host: server.hostname, port: Number(server.port || 5432) });
  const through = new URL(databaseUrl(o.server, o.database));
  through.hostname = '127.0.0.1';
  through.port = String(proxy.port);
  const proxyUrl = through.toString();
  const jwt = { jwtSecret: o.jwtSecret, jwtIssuer: 'doudi' };
  const m = await loadMixState(db, jwt);
  const token = (u: string) => signToken(jwt, principalOf(demoUser(u)), '1h');
  const rows: RoundTripRow[] = [];
  let connectionsOpened = 0;
  let idlePollShapes: string[] = [];
  let timerNote: string | null = null;
  try {
    const svc = await startService({ port: o.port, databaseUrl: proxyUrl, jwtSecret: o.jwtSecret });
    try {
      const post = async (user: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
        const r = await fetch(`${svc.baseUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token(user)}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        const text = await r.text();
        if (!r.ok) throw new Error(`round trips: POST ${path} answered ${r.status} ${text.slice(0, 300)}`);
      };
      const runTag = Date.now() % 1000;
      const kinds: { event: string; request: string; send: () => Promise<void> }[] = [
        { event: 'survey (POST /households)', request: 'POST /households, one member', send: () => post('lb-enumerator', '/households', surveyBody(runTag)) },
      ];
      const eventKinds = [
        { event: 'APPROVE (village)', pool: 'village', user: 'reviewer-village', body: () => ({ type: 'APPROVE', comment: '经审核，同意' }) },
        { event: 'APPROVE (township)', pool: 'township', user: 'reviewer-township', body: () => ({ type: 'APPROVE', comment: '经审核，同意' }) },
        { event: 'APPROVE (county)', pool: 'county', user: 'reviewer-county', body: () => ({ type: 'APPROVE', comment: '经审核，同意' }) },
        {
          event: 'RECORD_REVISIT', pool: 'active', user: 'visitor',
          body: () => ({ type: 'RECORD_REVISIT', date: m.today, livingConditions: '住房安全，饮水、取暖有保障', health: '身体状况稳定，按时服药', problems: '', reassessmentNeeded: false }),
        },
        {
          event: 'FILE_OBJECTION', pool: 'publicity', user: 'officer',
          body: () => ({ type: 'FILE_OBJECTION', objectionId: `RT-${runTag}-${++m.objectionSerial}`, lodgedBy: '村民（电话反映）', channel: 'phone', content: '反映该户有子女在外务工，请核实赡养能力' }),
        },
      ] as const;
      for (const k of eventKinds) {
        kinds.push({
          event: k.event,
          request: `POST /cases/:id/events ${k.body().type} with If-Match`,
          send: async () => {
            const county = (['lb', 'mc'] as const).find((c) => (m.queues.get(`${k.pool}:${c}`)?.length ?? 0) > 0);
            const job = county && takeJob(m, k.pool, county);
            if (!job || !county) throw new Error(`round trips: no case left in pool ${k.pool}`);
            await post(`${county}-${k.user}`, `/cases/${job.id}/events`, k.body(), { 'if-match': `"${job.version}"` });
          },
        });
      }
      for (const k of kinds) {
        for (let i = 0; i < warmup; i++) await measured(proxy, k.send);
        const samples = [];
        for (let i = 0; i < o.samples; i++) samples.push(await measured(proxy, k.send));
        const r = row(k.event, k.request, samples);
        rows.push(r);
        log(`round trips: ${r.event}: statements ${r.statements.median} (max ${r.statements.max}), round trips ${r.roundTrips.median} (max ${r.roundTrips.max}), ${r.transactions} transaction(s), ${r.connectionsMax} connection(s)`);
      }
      connectionsOpened = proxy.openedTotal();
    } finally {
      await svc.stop();
    }

    if (o.timers !== false) {
      const t = await timerFirings(db, proxy, proxyUrl, o.jwtSecret, warmup, o.samples);
      if (t.row) rows.push(t.row);
      idlePollShapes = t.idlePollShapes;
      timerNote = t.note;
    }
  } finally {
    await proxy.close();
  }
  return { rows, warmup, connectionsOpened, idlePollShapes, timerNote };
}

/**
 * Timer firings by one `npm run worker` process through the proxy (WORKER_BATCH=1, WORKER_IDLE_MS=200): the
 * worker's idle polls are recorded first; then one due notice_end timer at a time is inserted (not through the
 * proxy) and the work the worker did until the timer was done and it went back to polling is summed, its idle
 * polls left out (units of work with the shape of an idle poll).
 */
async function timerFirings(db: Db, proxy: WireCounter, proxyUrl: string, jwtSecret: string, warmup: number, samples: number) {
  const n = warmup + samples;
  const { from } = await prepareTimerCases(db, n);
  const idleMs = 200;
  const worker = startWorker(proxyUrl, jwtSecret, { WORKER_BATCH: '1', WORKER_IDLE_MS: String(idleMs), LOG_LEVEL: 'info' });
  try {
    await waitFor('the worker to start', 60_000, () => worker.output().includes('scheduler started') || worker.proc.exitCode !== null);
    if (worker.proc.exitCode !== null) throw new Error(`the worker exited (${worker.proc.exitCode}):\n${worker.output().slice(-3000)}`);
    // Idle polls: what the worker does with nothing due, over a few of its idle periods.
    await sleep(3 * idleMs);
    proxy.reset();
    proxy.recordUnits(true);
    await sleep(10 * idleMs);
    const shape = (u: Pick<WireUnit, 'statements' | 'roundTrips'>) => `${u.statements}/${u.roundTrips}`;
    const idle = new Set(proxy.units().map(shape));
    const measuredSamples: { statements: number; roundTrips: number; transactions: number; connections: number }[] = [];
    for (let i = 0; i < n; i++) {
      proxy.reset();
      const t0 = performance.now();
      const ids = await insertDueTimers(db, from + i, from + i);
      await waitFor('the timer to fire', 30_000, async () => (await one<{ s: string }>(db, `select status as s from timers where id = ${ids.lo}`)).s !== 'pending');
      // Let the worker finish the round (commit, the next claim finding nothing) and go idle.
      await sleep(2 * idleMs);
      await proxy.settled(20);
      const units = proxy.units().filter((u) => u.endedAt >= t0 && !idle.has(shape(u)));
      if (i >= warmup) {
        measuredSamples.push({
          statements: units.reduce((a, u) => a + u.statements, 0),
          roundTrips: units.reduce((a, u) => a + u.roundTrips, 0),
          transactions: units.filter((u) => u.transaction).length,
          connections: new Set(units.map((u) => u.connection)).size,
        });
      }
    }
    proxy.recordUnits(false);
    const r = row('timer firing (NOTICE_PERIOD_ENDED)', 'a due notice_end timer, claimed and fired by `npm run worker`', measuredSamples);
    log(`round trips: ${r.event}: statements ${r.statements.median} (max ${r.statements.max}), round trips ${r.roundTrips.median} (max ${r.roundTrips.max}); idle poll shapes (statements/round trips) ${[...idle].join(', ')}`);
    return { row: r, idlePollShapes: [...idle], note: null };
  } catch (e) {
    log(`round trips: timer firing not measured: ${e instanceof Error ? e.message : e}`);
    return { row: null, idlePollShapes: [], note: `not measured: ${e instanceof Error ? e.message.split('\n')[0] : e}` };
  } finally {
    proxy.recordUnits(false);
    if (worker.proc.exitCode === null) worker.proc.kill('SIGTERM');
    await Promise.race([worker.exit, sleep(20_000)]);
    if (worker.proc.exitCode === null) worker.proc.kill('SIGKILL');
  }
}
