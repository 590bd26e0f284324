/**
 * `npm run bench:reports`: server time of every report at city scope (三门峡市, 4112) over N cases (default
 * 1,000,000) on PostgreSQL. The world is made with set-based SQL (INSERT … SELECT over generate_series, in
 * chunks): households, ~1.8 members each with categories, cases over every state and placement mode in 720
 * villages of the six counties, revisits of the placed cases, and the audit-derived rollups (monthly flows,
 * approvals) at the cardinality a city's three years would give. The row triggers are off during the load
 * (session_replication_role = replica) and the rollups are rebuilt from their definitions once, set-based
 * (src/db/reportRollup.ts rebuildRollups) — that rebuild is timed too. Then the service is built in-process
 * (as bench/console.ts does) and each report is requested by a city supervisor, 3 times to warm up and N times
 * (default 20); the time is Fastify's own (reply.elapsedTime). Prints a table; --write replaces the
 * "## Reports" section of docs/benchmarks.md. The database (doudi_bench_reports) is left for --reuse.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.js';
import { insertRegions, insertUser, rebuildRollups, type Db } from '../src/db/index.js';
import { createLogger } from '../src/logger.js';
import { REPORT_NAMES } from '../src/reports/catalogue.js';
import { signToken } from '../src/http/auth.js';
import { createService } from '../src/service.js';
import { ManualClock } from '../src/time/clock.js';
import { benchRegions } from './lib/seed.js';
import { databaseExists, one, openPostgres, recreateDatabase } from './lib/db.js';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const CASES = Number(arg('cases', '1000000'));
const N = Number(arg('n', '20'));
const write = process.argv.includes('--write');
const reuse = process.argv.includes('--reuse');
const server = arg('server', process.env.BENCH_SERVER ?? 'postgres://postgres@127.0.0.1:5432');
const DB = 'doudi_bench_reports';
const CHUNK = 100_000;
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const seconds = async (what: string, fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  const s = (performance.now() - t) / 1000;
  log(`${what}: ${s.toFixed(1)} s`);
  return s;
};

/** The world: regions, households, members, cases, revisits, flows and approvals. Returns load timings. */
async function load(db: Db): Promise<Record<string, number>> {
  const t: Record<string, number> = {};
  await insertRegions(db, [
    { code: '410000000000', level: 'province', parentCode: null, name: '河南省' },
    { code: '411200000000', level: 'prefecture', parentCode: '410000000000', name: '三门峡市' },
    ...['411202 湖滨区', '411203 陕州区', '411221 渑池县', '411224 卢氏县', '411281 义马市', '411282 灵宝市'].map((x) => ({
      code: `${x.slice(0, 6)}000000`, level: 'county' as const, parentCode: '411200000000', name: x.slice(7),
    })),
    ...benchRegions().filter((r) => r.code.slice(6, 9) >= '120' && r.code.slice(6, 9) <= '127'),
  ]);
  await db.execute(sql`create table bench_villages as
    select row_number() over (order by code) - 1 as i, code from regions where level = 'village' and substr(code, 7, 3) between '120' and '127'`);
  const villages = (await one<{ n: number }>(db, 'select count(*)::int as n from bench_villages')).n;
  log(`${villages} villages`);
  // States and placement modes by the case's number k (deterministic): about 45% in care, the rest along the path.
  const stateOf = sql.raw(`case
      when k % 100 < 20 then 'active.monitoring' when k % 100 < 38 then 'active.monitoring' when k % 100 < 44 then 'active.reassessmentDue'
      when k % 100 < 46 then 'exitNotice' when k % 100 < 56 then 'exited' when k % 100 < 61 then 'survey' when k % 100 < 64 then 'preliminary'
      when k % 100 < 70 then 'evaluation' when k % 100 < 78 then 'review' when k % 100 < 82 then 'publicity.open' when k % 100 < 86 then 'awaitingPlacement'
      when k % 100 < 92 then 'screenedOut' else 'rejected.noticeServed' end`);
  const modeOf = sql.raw(`case when k % 100 < 46 or (k % 100 >= 46 and k % 100 < 56) then
      (case when k % 7 < 1 then 'centralized_support' when k % 7 < 2 then 'centralized_treatment' else 'dispersed_care' end) end`);
  t.householdsMembersCases = await seconds(`households, members and cases (${CASES})`, async () => {
    await db.execute(sql`set session_replication_role = replica`);
    for (let from = 0; from < CASES; from += CHUNK) {
      const to = Math.min(CASES, from + CHUNK) - 1;
      await db.execute(sql`insert into households (id, village_code, address, created_by, created_at)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(k), 12, '0'))::uuid, v.code, '基准', '00000000-0000-4000-8000-000000000000', '2024-01-01T00:00:00Z'
        from generate_series(${from}::int, ${to}::int) k join bench_villages v on v.i = k % ${villages}`);
      // 1, 2 or 3 members (mean 1.8); categories by member.
      await db.execute(sql`insert into members (household_id, position, name, id_number, birth_date, sex, relation, labour_capacity, categories)
        select ('00000000-0000-4000-8000-' || lpad(to_hex(k), 12, '0'))::uuid, p, '基准', lpad((k::bigint * 4 + p)::text, 18, '0'), '1950-01-01', 'male', '户主', 'none',
          case (k + p) % 5 when 0 then '{elderly}'::text[] when 1 then '{severe_disability}' when 2 then '{elderly,serious_illness}' when 3 then '{severe_intellectual}' else '{mental_illness}' end
        from generate_series(${from}::int, ${to}::int) k cross join generate_series(1, 3) p where p <= case k % 5 when 0 then 2 when 1 then 2 when 2 then 3 else 1 end`);
      await db.execute(sql`insert into cases (id, household_id, machine_id, machine_version, snapshot, state, village_code, township_code, county_code,
          placement_mode, opened_at, case_number, closed, deadline_key, deadline_at)
        select ('00000000-0000-4000-9000-' || lpad(to_hex(k), 12, '0'))::uuid, h.id, 'case', 1,
          jsonb_build_object('context', jsonb_build_object('placement', jsonb_build_object('startDate', '2025-01-15'))),
          ${stateOf}, h.village_code, left(h.village_code, 9), left(h.village_code, 6), ${modeOf},
          '2024-01-01T00:00:00Z', left(h.village_code, 6) || '-2024-' || lpad(k::text, 7, '0'), (${stateOf}) = 'exited',
          case when (${stateOf}) like 'active%' then 'revisit' when (${stateOf}) = 'review' then 'review.township' end,
          case when (${stateOf}) like 'active%' or (${stateOf}) = 'review' then '2026-02-01T00:00:00Z'::timestamptz + (k % 60) * interval '1 day' end
        from generate_series(${from}::int, ${to}::int) k join households h on h.id = ('00000000-0000-4000-8000-' || lpad(to_hex(k), 12, '0'))::uuid`);
      log(`  ${to + 1} cases`);
    }
  });
  t.revisits = await seconds('revisits (one per placed case in the last year)', async () => {
    // Before the rollup rebuild: on time or late against a deadline up to 20 days either side of the visit.
    await db.execute(sql`insert into revisits (case_id, date, visitor_id, living_conditions, health, problems, reassessment_needed, placement_mode, recorded_at, due_at)
      select c.id, date '2025-02-01' + (abs(hashtext(c.id::text)) % 330), 'bench', '良好', '稳定', '', false, c.placement_mode, now(),
        (date '2025-02-01' + (abs(hashtext(c.id::text)) % 330) + (abs(hashtext(c.household_id::text)) % 40 - 10))::timestamp at time zone 'Asia/Shanghai'
      from cases c where c.state like 'active%'`);
  });
  t.rebuild = await seconds('rollups rebuilt from their definitions (set-based)', async () => {
    await db.execute(sql`set session_replication_role = origin`);
    await rebuildRollups(db);
  });
  // No audit trail in the bulk world (its hash chains are not the point here): the audit-derived rollups get the
  // rows three years of a city would give — every village, month and flow, and one approval per approved case
  // (dates spread over 2024-2026, 5 to 60 days from survey to approval).
  t.flows = await seconds('flows and approvals rollups (audit-derived, synthetic)', async () => {
    await db.execute(sql`insert into report_flows (village_code, month, flow, n)
      select v.code, to_char(date '2024-01-01' + m * interval '1 month', 'YYYY-MM'), f, 20 + (v.i + m) % 30
      from bench_villages v cross join generate_series(0, 35) m cross join unnest(array['survey', 'approval', 'placement', 'exit']) f`);
    await db.execute(sql`insert into report_approvals (village_code, submitted_on, approved_on, n)
      select village_code, s::text, (s + d)::text, count(*)::int from (
        select c.village_code, date '2024-01-01' + (abs(hashtext(c.id::text)) % 1060) as s, 5 + abs(hashtext(c.household_id::text)) % 56 as d
        from cases c where c.state like 'active%' or c.state in ('exitNotice', 'exited', 'awaitingPlacement')) x
      group by 1, 2, 3`);
  });
  await db.execute(sql`vacuum analyze`);
  return t;
}

async function main() {
  if (!(reuse && (await databaseExists(server, DB)))) {
    log(`creating ${DB} and loading ${CASES} cases`);
    await recreateDatabase(server, DB);
  }
  const database = await openPostgres(server, DB, 8);
  let timings: Record<string, number> = {};
  if ((await one<{ n: number }>(database.db, 'select count(*)::int as n from cases')).n === 0) timings = await load(database.db);
  const sizes = await one<Record<string, number>>(database.db, `select (select count(*) from cases)::int as cases, (select count(*) from members)::int as members,
      (select count(*) from revisits)::int as revisits, (select count(*) from report_case_counts)::int as case_counts,
      (select count(*) from report_category_counts)::int as category_counts, (select count(*) from report_flows)::int as flows,
      (select count(*) from report_approvals)::int as approvals`);
  log(`sizes: ${JSON.stringify(sizes)}`);

  const clock = new ManualClock('2026-03-02T01:00:00Z');
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-1' });
  const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
  const { app } = createService({ config, logger, database, clock });
  let elapsed = 0;
  app.addHook('onResponse', async (_request, reply) => {
    elapsed = reply.elapsedTime;
  });
  await app.ready();
  const user = await insertUser(database.db, { username: `bench-city-${Date.now()}`, displayName: '市级', roles: ['supervisor'], jurisdiction: '4112' });
  const who = { id: user.id, username: user.username, roles: ['supervisor' as const], level: null, region: '4112' };
  const token = signToken(config, who, '1h');
  const results: { name: string; query: string; rows: number; p50: number; p95: number; max: number }[] = [];
  const queries: Record<string, string> = { 'monthly-flows': '?from=2025-03&to=2026-02', 'approval-time': '?from=2025-03&to=2026-02', revisits: '?from=2025-03&to=2026-02' };
  for (const name of REPORT_NAMES) {
    const url = `/reports/${name}${queries[name] ?? ''}`;
    const times: number[] = [];
    let rowsN = 0;
    for (let i = 0; i < 3 + N; i++) {
      const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      if (i >= 3) times.push(elapsed);
      rowsN = JSON.parse(r.body).rows.length;
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];
    results.push({ name, query: queries[name] ?? '', rows: rowsN, p50: at(0.5), p95: at(0.95), max: times.at(-1)! });
    log(`${url}: ${rowsN} rows, server p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms`);
  }
  await app.close();
  await database.close();

  const pg = process.env.BENCH_PG_VERSION ?? '';
  const table = [
    '| report (`GET /reports/…`, city supervisor, 4112) | rows | server p50 | p95 | max | under 500 ms |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| \`${r.name}${r.query}\` | ${r.rows} | ${r.p50.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ${r.p95 < 500 ? 'yes' : '**no**'} |`),
  ].join('\n');
  const section = `## Reports

\`npm run bench:reports -- --cases=${CASES} --n=${N}${write ? ' --write' : ''}\` (bench/reports.ts), ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs${pg}, PostgreSQL at 127.0.0.1:5432
shared with the other work on the machine. The world: ${sizes.cases.toLocaleString('en')} cases, ${sizes.members.toLocaleString('en')} members, ${sizes.revisits.toLocaleString('en')} revisits in 720 villages;
rollup rows: ${sizes.case_counts.toLocaleString('en')} case counts, ${sizes.category_counts.toLocaleString('en')} category counts, ${sizes.flows.toLocaleString('en')} monthly flows, ${sizes.approvals.toLocaleString('en')} approval date pairs.
Each report requested ${N} times (after 3 warm-ups) in-process with \`app.inject\`; server time is Fastify's \`reply.elapsedTime\`.
${timings.rebuild ? `Loading took ${timings.householdsMembersCases.toFixed(0)} s (households, members, cases), ${timings.revisits.toFixed(0)} s (revisits); rebuilding every rollup from its definition ${timings.rebuild.toFixed(1)} s.\n` : ''}
${table}

The count reports read the rollups (\`report_case_counts\`, \`report_category_counts\`: one row per village, state and
placement mode or category), kept exact by triggers in each command's transaction (migration 0019), never the
million cases. \`overdue\` is the overdue machinery's index-only counts; \`revisits\` reads the revisits rollup
(\`report_revisits\`, by village and month) and the overdue index for the missed ones; \`facilities\` counts
occupancy from placements.
`;
  console.log(`\n${section}`);
  if (write) {
    const file = 'docs/benchmarks.md';
    const old = readFileSync(file, 'utf8');
    const at = old.indexOf('\n## Reports\n');
    let next = at >= 0 ? old.indexOf('\n## ', at + 5) : -1;
    const out = at >= 0 ? old.slice(0, at + 1) + section + (next >= 0 ? old.slice(next) : '') : `${old.trimEnd()}\n\n${section}`;
    writeFileSync(file, out);
    log(`written to ${file}`);
  }
}

await main();
