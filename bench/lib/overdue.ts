// GET /overdue latency: county pages of 50 rows (first pages and keyset pages after them), read one at a time
// so that nothing queues. Server time is Fastify's own `responseTime` (from the request's arrival to the end
// of the response), read from the service's pino log by request id; client time is measured on loopback.
import type { Db } from '../../src/db/index.js';
import { listOverdue } from '../../src/db/overdue.js';
import { signToken } from '../../src/http/auth.js';
import { demoUser, principalOf } from '../../src/seed/index.js';
import { percentile } from './util.js';

const COUNTIES = ['411202', '411203', '411221', '411224', '411281', '411282'];

export interface LatencySummary {
  n: number;
  serverP50: number;
  serverP95: number;
  serverP99: number;
  clientP50: number;
  clientP95: number;
  rowsPerPage: number;
}

export interface OverdueResult {
  countyPages: LatencySummary;
  firstPages: LatencySummary;
  keysetPages: LatencySummary;
  cityPages: LatencySummary;
  townshipPages: LatencySummary;
  summary: LatencySummary;
  overdueTotal: number;
  perCounty: Record<string, number>;
  /** The page's query alone (src/db/overdue.ts listOverdue, first and keyset pages), from the harness. */
  queryOnly: { n: number; p50: number; p95: number };
}

/** Collects Fastify's responseTime by request id from the service's log lines. */
export function responseTimes() {
  const times = new Map<string, number>();
  return {
    onLine(line: string) {
      if (!line.includes('"request completed"')) return;
      try {
        // The request id is the service's own; the bench's X-Request-Id comes back as clientRequestId.
        const o = JSON.parse(line) as { clientRequestId?: string; responseTime?: number };
        if (o.clientRequestId?.startsWith('ovd-') && typeof o.responseTime === 'number') times.set(o.clientRequestId, o.responseTime);
      } catch {
        // not JSON
      }
    },
    times,
  };
}

/** The same county pages through the db layer's own function, without HTTP: the database's share. */
async function queryOnly(db: Db, rounds: number, pagesDeep: number) {
  const times: number[] = [];
  for (let round = 0; round < rounds + 3; round++) {
    for (const c of COUNTIES) {
      let after: { deadlineAt: Date; id: string } | undefined;
      for (let p = 0; p < pagesDeep; p++) {
        const t = performance.now();
        const page = await listOverdue(db, { regionPrefix: c, now: new Date(), limit: 50, after });
        if (round >= 3) times.push(performance.now() - t);
        if (!page.next) break;
        after = page.next;
      }
    }
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 50), p95: percentile(times, 95) };
}

export async function runOverdue(db: Db, baseUrl: string, jwt: { jwtSecret: string; jwtIssuer: string }, times: Map<string, number>, rounds = 50, pagesDeep = 5): Promise<OverdueResult> {
  const token = signToken(jwt, principalOf(demoUser('city-supervisor')), '12h');
  let serial = 0;
  const samples: Record<string, { id: string; client: number; rows: number }[]> = { first: [], keyset: [], city: [], township: [], summary: [] };
  const get = async (path: string, kind: keyof typeof samples) => {
    const id = `ovd-${++serial}`;
    const t = performance.now();
    const r = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': id } });
    const body = (await r.json()) as { items?: unknown[]; nextAfter?: string | null; total?: number; counties?: { countyCode: string; total: number }[] };
    const client = performance.now() - t;
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(body)}`);
    samples[kind].push({ id, client, rows: body.items?.length ?? 0 });
    return body;
  };
  const round = async () => {
    for (const c of COUNTIES) {
      let page = await get(`/overdue?county=${c}&limit=50`, 'first');
      for (let p = 1; p < pagesDeep && page.nextAfter; p++) {
        page = await get(`/overdue?county=${c}&limit=50&after=${encodeURIComponent(page.nextAfter)}`, 'keyset');
      }
    }
    await get('/overdue?limit=50', 'city');
    await get('/overdue?township=411282108&limit=50', 'township');
    await get('/overdue/summary', 'summary');
  };
  // Warm-up: the whole pattern a few times (plans, caches), not counted.
  for (let i = 0; i < 3; i++) await round();
  for (const k of Object.keys(samples)) samples[k] = [];

  for (let i = 0; i < rounds; i++) await round();
  const last = (await get('/overdue/summary', 'summary')) as { total?: number; counties?: { countyCode: string; total: number }[] };
  // Give the log a moment to flush the last lines.
  await new Promise((r) => setTimeout(r, 300));

  const summarize = (list: { id: string; client: number; rows: number }[]): LatencySummary => {
    const server = list.map((s) => times.get(s.id)).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    const client = list.map((s) => s.client).sort((a, b) => a - b);
    return {
      n: list.length,
      serverP50: percentile(server, 50),
      serverP95: percentile(server, 95),
      serverP99: percentile(server, 99),
      clientP50: percentile(client, 50),
      clientP95: percentile(client, 95),
      rowsPerPage: list.reduce((s, x) => s + x.rows, 0) / Math.max(1, list.length),
    };
  };
  return {
    countyPages: summarize([...samples.first, ...samples.keyset]),
    firstPages: summarize(samples.first),
    keysetPages: summarize(samples.keyset),
    cityPages: summarize(samples.city),
    townshipPages: summarize(samples.township),
    summary: summarize(samples.summary),
    overdueTotal: last.total ?? NaN,
    perCounty: Object.fromEntries((last.counties ?? []).map((c) => [c.countyCode, c.total])),
    queryOnly: await queryOnly(db, rounds, pagesDeep),
  };
}
