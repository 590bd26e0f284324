// Bulk seed: N cases spread over the six counties of Sanmenxia and every state, built by copying real template
// cases (templates.ts) with SQL — INSERT … SELECT over a plan table made with generate_series, in chunks —
// with fresh ids rewritten into each snapshot (context.caseId, member ids, village code).
//
// Which cases exist:
//   bulk      N − mix − ceiling cases, weighted over the templates of every state (bulkMix), villages weighted
//             by county; no audit rows (see the report's notes).
//   mix pools cases in 苏村乡 (灵宝市) and 洪阳镇 (渑池县), where the demo users work, that the HTTP mix acts on:
//             review at each level, publicity.open, active; each with a genesis audit record.
//   ceiling   copies of the revisit template with predictable ids (c0000000-…-<n in hex>) for the pgbench ceiling.
//   timers    added by the timer phase, not here (timers.ts).
import { sql } from 'drizzle-orm';
import { auditHash } from '../../src/audit/hash.js';
import { loadConfig } from '../../src/config.js';
import { auditRecords, insertRegions, type Db, type NewRegion } from '../../src/db/index.js';
import { createEngine } from '../../src/engine/index.js';
import { createLogger } from '../../src/logger.js';
import { PLACES, seedDemo } from '../../src/seed/index.js';
import { createService } from '../../src/service.js';
import { ManualClock } from '../../src/time/clock.js';
import { exec, one, query } from './db.js';
import { ceilingTemplate, poolTemplates, templateKey, templateSpecs, tellTemplates, timersTemplate, type Pool, type Template } from './templates.js';
import { log } from './util.js';

const COUNTIES = [
  { code: '411202', name: '湖滨区', weight: 8 },
  { code: '411203', name: '陕州区', weight: 16 },
  { code: '411221', name: '渑池县', weight: 15 },
  { code: '411224', name: '卢氏县', weight: 17 },
  { code: '411281', name: '义马市', weight: 6 },
  { code: '411282', name: '灵宝市', weight: 28 },
] as const;
const TOWNSHIPS_PER_COUNTY = 8;
const VILLAGES_PER_TOWNSHIP = 15;
/** Extra villages in the two demo townships, for the mix pools. */
const EXTRA_POOL_VILLAGES = 20;
export const POOL_TOWNSHIPS = { lb: PLACES.sucun.slice(0, 9), mc: PLACES.hongyang.slice(0, 9) } as const;

/** Generated townships and villages (illustrative codes: townships 120–127 of each county, villages 201–215). */
export function benchRegions(): NewRegion[] {
  const out: NewRegion[] = [];
  const cn = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
  const num = (n: number) => (n <= 10 ? cn[n - 1] : n < 20 ? `十${cn[n - 11]}` : `二十${n > 20 ? cn[n - 21] : ''}`);
  for (const c of COUNTIES) {
    for (let t = 0; t < TOWNSHIPS_PER_COUNTY; t++) {
      const township = `${c.code}${120 + t}`;
      out.push({ code: `${township}000`, level: 'township', parentCode: `${c.code}000000`, name: `${c.name}基准${num(t + 1)}乡` });
      for (let v = 1; v <= VILLAGES_PER_TOWNSHIP; v++) {
        out.push({ code: `${township}${200 + v}`, level: 'village', parentCode: `${township}000`, name: `基准${num(t + 1)}乡${num(v)}村` });
      }
    }
  }
  for (const [county, township] of Object.entries(POOL_TOWNSHIPS)) {
    for (let v = 1; v <= EXTRA_POOL_VILLAGES; v++) {
      out.push({ code: `${township}${210 + v}`, level: 'village', parentCode: `${township}000`, name: `${county === 'lb' ? '苏村乡' : '洪阳镇'}基准${num(v)}村` });
    }
  }
  return out;
}

export interface SeedSizes {
  total: number;
  bulk: number;
  mix: number;
  ceiling: number;
}

export function seedSizes(total: number): SeedSizes {
  const mix = Math.min(Math.round(total * 0.4), 60_000);
  const ceiling = Math.min(Math.round(total * 0.1), 20_000);
  return { total, mix, ceiling, bulk: total - mix - ceiling };
}

/** Share of the mix pool per pool. */
const POOL_SHARE: Record<Exclude<Pool, 'ceiling' | 'timers'>, number> = { village: 0.3, township: 0.1, county: 0.1, publicity: 0.15, active: 0.35 };

export const ceilingId = (n: number) => `c0000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
export const CEILING_ID_SQL = (nExpr: string) => `('c0000000-0000-4000-8000-' || lpad(to_hex(${nExpr}), 12, '0'))::uuid`;

export interface SeedResult {
  sizes: SeedSizes;
  templates: number;
  templateCommands: number;
  ms: { reference: number; templates: number; plan: number; rows: number; indexes: number; audit: number; finish: number; total: number };
  counts: Record<string, number>;
  states: { state: string; n: number }[];
  overdue: { open: number; overdue: number };
  sizesMb: Record<string, number>;
}

const PRELUDE = [
  `create table if not exists bench_templates (t int primary key, key text not null, pool text, county text not null,
     case_id uuid not null, household_id uuid not null, state text not null, weight float8 not null, rewrite_from text[] not null)`,
  `create table if not exists bench_plan (n bigint primary key, t int not null, pool text, county text,
     case_id uuid not null, household_id uuid not null, village_code varchar(12) not null, member_ids uuid[] not null)`,
  `create table if not exists bench_tcum (hi float8 primary key, t int not null)`,
  `create table if not exists bench_vcum (hi float8 primary key, code varchar(12) not null)`,
  `create or replace function bench_rewrite(s text, f text[], r text[]) returns text language plpgsql immutable as $$
   declare i int;
   begin
     for i in 1 .. coalesce(array_length(f, 1), 0) loop
       if f[i] is not null and r[i] is not null then s := replace(s, f[i], r[i]); end if;
     end loop;
     return s;
   end $$`,
];

/** Rows of the plan in [a, b] become households, members, cases and timers. */
export async function materialize(db: Db, a: number, b: number): Promise<void> {
  const range = `p.n between ${a} and ${b}`;
  await exec(db, `insert into households (id, village_code, address, poor_id, legal_supporter, created_by, created_at)
    select p.household_id, p.village_code, h.address, null, h.legal_supporter, h.created_by, h.created_at
    from bench_plan p join bench_templates bt on bt.t = p.t join households h on h.id = bt.household_id where ${range}`);
  // ID numbers of bulk people: '99' + 16 digits, well-formed in length only and never a real number; unique.
  await exec(db, `insert into members (id, household_id, position, name, id_number, birth_date, sex, relation, labour_capacity,
      disabilities, serious_illness, severe_mental_disorder, self_care, categories, created_at)
    select p.member_ids[m.position], p.household_id, m.position, m.name, '99' || lpad((p.n * 4 + m.position)::text, 16, '0'),
      m.birth_date, m.sex, m.relation, m.labour_capacity, m.disabilities, m.serious_illness, m.severe_mental_disorder,
      m.self_care, m.categories, m.created_at
    from bench_plan p join bench_templates bt on bt.t = p.t join members m on m.household_id = bt.household_id where ${range}`);
  // Case numbers as the command path gives them: the next ones of each county's counter for the year of opening
  // (China time), the counters moved past them in the same statement.
  await exec(db, `with src as (
      select p.n, p.case_id, p.household_id, p.village_code, p.member_ids, bt.rewrite_from, c.machine_id, c.machine_version,
        c.snapshot, c.state, c.review_level, c.row_version, c.deadline_key, c.deadline_at, c.application_deadline_at,
        c.opened_at, c.updated_at, c.closed, c.placement_mode, c.facility_id, c.guardian_id,
        left(p.village_code, 6) as county, extract(year from c.opened_at at time zone 'Asia/Shanghai')::int as yr
      from bench_plan p join bench_templates bt on bt.t = p.t join cases c on c.id = bt.case_id where ${range}
    ), numbered as (
      select src.*, coalesce(k.last, 0) + row_number() over (partition by src.county, src.yr order by src.n) as seq
      from src left join case_number_counters k on k.county_code = src.county and k.year = src.yr
    ), ins as (
      insert into cases (id, household_id, machine_id, machine_version, snapshot, state, review_level, row_version,
        village_code, township_code, county_code, deadline_key, deadline_at, application_deadline_at, opened_at, updated_at,
        closed, placement_mode, facility_id, guardian_id, case_number)
      select s.case_id, s.household_id, s.machine_id, s.machine_version,
        bench_rewrite(s.snapshot::text, s.rewrite_from,
          array[s.case_id::text, '"' || s.village_code || '"', s.member_ids[1]::text, s.member_ids[2]::text])::jsonb,
        s.state, s.review_level, s.row_version, s.village_code, left(s.village_code, 9), s.county,
        s.deadline_key, s.deadline_at, s.application_deadline_at, s.opened_at, s.updated_at,
        s.closed, s.placement_mode, s.facility_id, s.guardian_id,
        s.county || '-' || s.yr || '-' || lpad(s.seq::text, greatest(6, length(s.seq::text)), '0')
      from numbered s
      returning county_code
    )
    insert into case_number_counters as k (county_code, year, last)
    select county, yr, max(seq) from numbered where exists (select 1 from ins) group by county, yr
    on conflict (county_code, year) do update set last = greatest(k.last, excluded.last)`);
  // The one-open-case-per-person guarantee: the bulk people of cases that hold their residents are enrolled.
  await exec(db, `insert into resident_enrolments (id_number, case_id, member_id)
    select m.id_number, c.id, m.id from bench_plan p join cases c on c.id = p.case_id join members m on m.household_id = c.household_id
    where ${range} and not c.closed and c.state <> 'exited' and c.state <> 'screenedOut' and c.state not like 'rejected%'`);
  // The template's timers; those due before the seed count as fired already (a worker would have fired them).
  await exec(db, `insert into timers (case_id, kind, key, due_at, payload, status, attempts, outcome, created_at, fired_at)
    select p.case_id, tm.kind, tm.key, tm.due_at, tm.payload,
      case when tm.status = 'pending' and tm.due_at <= now() and p.pool is distinct from 'timers' then 'done' else tm.status end,
      tm.attempts,
      case when tm.status = 'pending' and tm.due_at <= now() and p.pool is distinct from 'timers' then 'bench: fired before the run' else tm.outcome end,
      tm.created_at,
      case when tm.status = 'pending' and tm.due_at <= now() and p.pool is distinct from 'timers' then tm.due_at else tm.fired_at end
    from bench_plan p join bench_templates bt on bt.t = p.t join timers tm on tm.case_id = bt.case_id
    where ${range} and tm.status in ('pending', 'done')`);
}

/** Plan rows [from, from + count) from one template, villages taken round-robin from `villagesSql` (an array expression). */
async function planFixed(db: Db, from: number, count: number, t: number, pool: string, county: string, villagesSql: string, caseIdSql = 'gen_random_uuid()'): Promise<void> {
  if (count <= 0) return;
  await exec(db, `insert into bench_plan (n, t, pool, county, case_id, household_id, village_code, member_ids)
    select g, ${t}, '${pool}', '${county}', ${caseIdSql.replace('$K', `(g - ${from - 1})::int`)}, gen_random_uuid(),
      v.arr[1 + (g % array_length(v.arr, 1))], array[gen_random_uuid(), gen_random_uuid()]
    from generate_series(${from}, ${from + count - 1}) g, (select ${villagesSql} as arr) v`);
}

export interface SeedOptions {
  total: number;
  /** Rows per chunk of the bulk insert. */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function seedBench(db: Db, opts: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const ms = { reference: 0, templates: 0, plan: 0, rows: 0, indexes: 0, audit: 0, finish: 0, total: 0 };
  const lap = (() => {
    let last = performance.now();
    return () => {
      const now = performance.now();
      const d = now - last;
      last = now;
      return d;
    };
  })();
  const sizes = seedSizes(opts.total);
  const end = new Date();

  // Reference data and the demo cases, exactly as `npm run seed` does; then the generated regions.
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', SEED_DEMO: 'off' });
  const logger = createLogger(config);
  const { engine } = createService({ config, logger, database: { db, kind: 'postgres', close: async () => {}, ping: async () => {} }, clock: new ManualClock(end) });
  await seedDemo({ db, engine, clock: new ManualClock(end), logger });
  await insertRegions(db, benchRegions());
  for (const s of PRELUDE) await exec(db, s);
  ms.reference = lap();
  log(`seed: reference data and demo cases (${ms.reference.toFixed(0)} ms)`);

  // One real case per (state, age), told through the engine.
  const storyClock = new ManualClock(end);
  const storyEngine = createEngine({ ...engine.deps, db, clock: storyClock });
  const auditBefore = await one<{ n: number }>(db, 'select count(*)::int as n from audit_records');
  const templates = await tellTemplates({ db, engine: storyEngine, clock: storyClock, end }, templateSpecs());
  const auditAfter = await one<{ n: number }>(db, 'select count(*)::int as n from audit_records');
  ms.templates = lap();
  log(`seed: ${templates.length} template cases told through the engine, ${auditAfter.n - auditBefore.n} commands (${ms.templates.toFixed(0)} ms)`);

  // The plan: which template, ids and village each new case gets.
  const byKey = new Map(templates.map((tp, i) => [tp.key, { ...tp, t: i + 1 }]));
  const tIndex = (county: 'lb' | 'mc', flow: Template['flow'], age: number) => {
    const tp = byKey.get(templateKey(county, flow, age));
    if (!tp) throw new Error(`no template ${templateKey(county, flow, age)}`);
    return tp.t;
  };
  for (const tp of byKey.values()) {
    const from = [tp.caseId, `"${tp.villageCode}"`, tp.memberIds[0] ?? null, tp.memberIds[1] ?? null];
    await db.execute(sql`insert into bench_templates (t, key, county, case_id, household_id, state, weight, rewrite_from)
      values (${tp.t}, ${tp.key}, ${tp.county}, ${tp.caseId}, ${tp.householdId}, ${tp.state}, ${tp.weight},
        ${sql.raw(`array[${from.map((f) => (f === null ? 'null' : `'${f.replaceAll("'", "''")}'`)).join(', ')}]::text[]`)})`);
  }
  await exec(db, `insert into bench_tcum (hi, t)
    select sum(weight) over (order by t) / sum(weight) over (), t from bench_templates where weight > 0`);
  // Villages of the bulk: every generated village, weighted by county, uniform within a county.
  const countyWeights = `(values ${COUNTIES.map((c) => `('${c.code}', ${c.weight})`).join(', ')}) as cw(county, w)`;
  await exec(db, `insert into bench_vcum (hi, code)
    select sum(x.w) over (order by x.code) / sum(x.w) over (), x.code from (
      select r.code, cw.w::float8 / count(*) over (partition by cw.county) as w
      from regions r join ${countyWeights} on left(r.code, 6) = cw.county
      where r.level = 'village' and substr(r.code, 7, 3) between '120' and '127') x`);

  let n = 1;
  // Bulk rows, chunked so that progress shows.
  await exec(db, `insert into bench_plan (n, t, pool, county, case_id, household_id, village_code, member_ids)
    select g, (select c.t from bench_tcum c where c.hi >= s.x order by c.hi limit 1), null, null, gen_random_uuid(), gen_random_uuid(),
      (select v.code from bench_vcum v where v.hi >= s.y order by v.hi limit 1), array[gen_random_uuid(), gen_random_uuid()]
    from (select g, random() * 0.999999 as x, random() * 0.999999 as y from generate_series(1, ${sizes.bulk}) g) s`);
  n += sizes.bulk;
  // Mix pools, half in each demo township.
  for (const [pool, share] of Object.entries(POOL_SHARE) as [keyof typeof POOL_SHARE, number][]) {
    const count = Math.round(sizes.mix * share);
    for (const county of ['lb', 'mc'] as const) {
      const part = county === 'lb' ? Math.ceil(count / 2) : Math.floor(count / 2);
      const { flow, age } = poolTemplates[pool];
      const villages = `array(select code from regions where level = 'village' and code like '${POOL_TOWNSHIPS[county]}%' order by code)`;
      await planFixed(db, n, part, tIndex(county, flow, age), pool, county, villages);
      n += part;
    }
  }
  sizes.mix = n - 1 - sizes.bulk;
  // The ceiling's cases: predictable ids, any village of 灵宝市.
  await planFixed(db, n, sizes.ceiling, tIndex(ceilingTemplate.county, ceilingTemplate.flow, ceilingTemplate.age), 'ceiling', 'lb',
    `array(select code from regions where level = 'village' and code like '411282%' order by code)`, CEILING_ID_SQL('$K'));
  n += sizes.ceiling;
  sizes.total = n - 1;
  ms.plan = lap();
  log(`seed: plan of ${sizes.total} cases (${ms.plan.toFixed(0)} ms)`);

  // Bulk loading: the secondary indexes of the four tables are dropped and rebuilt afterwards with their exact
  // definitions from the migrations, and the rows go in with triggers off (session_replication_role = replica:
  // no per-row foreign-key checks; every reference points at a row of the same plan, by construction).
  const indexes = await query<{ indexname: string; indexdef: string }>(db, `select i.indexname, i.indexdef from pg_indexes i
    where i.schemaname = current_schema() and i.tablename in ('cases', 'timers', 'members', 'households')
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname) order by i.indexname`);
  for (const i of indexes) await exec(db, `drop index ${i.indexname}`);
  const chunk = opts.chunk ?? 50_000;
  for (let a = 1; a <= sizes.total; a += chunk) {
    const b = Math.min(sizes.total, a + chunk - 1);
    await db.transaction(async (tx) => {
      await exec(tx, 'set local session_replication_role = replica');
      await materialize(tx, a, b);
    });
    opts.onProgress?.(b, sizes.total);
  }
  ms.rows = lap();
  log(`seed: ${sizes.total} households, members, cases and timers inserted (${(ms.rows / 1000).toFixed(1)} s)`);
  await db.transaction(async (tx) => {
    await exec(tx, `set local maintenance_work_mem = '256MB'`);
    for (const i of indexes) await exec(tx, i.indexdef);
  });
  ms.indexes = lap();
  log(`seed: ${indexes.length} indexes rebuilt (${(ms.indexes / 1000).toFixed(1)} s)`);

  // Genesis audit records of the cases commands touch (mix pools, ceiling), hashed like appendAudit does.
  await writeGenesis(db, `p.pool is not null and p.pool <> 'timers'`, end);
  ms.audit = lap();

  // Timers of templates and demo cases that fell due before the run: as if a worker had fired them.
  await exec(db, `update timers set status = 'done', fired_at = due_at, outcome = 'bench: fired before the run'
    where status = 'pending' and due_at <= now()`);
  // VACUUM as autovacuum would have by the time anyone reads them: sets the visibility map (index-only scans)
  // and the hint bits, so the first readers do not pay for a fresh bulk load.
  for (const t of ['regions', 'households', 'members', 'cases', 'timers', 'audit_records', 'bench_plan', 'bench_templates']) await exec(db, `vacuum (analyze) ${t}`);
  ms.finish = lap();
  ms.total = performance.now() - t0;

  const counts: Record<string, number> = {};
  for (const t of ['regions', 'users', 'households', 'members', 'cases', 'timers', 'audit_records', 'revisits']) {
    counts[t] = (await one<{ n: number }>(db, `select count(*)::int as n from ${t}`)).n;
  }
  const states = await query<{ state: string; n: number }>(db, `select state, count(*)::int as n from cases group by state order by n desc`);
  const overdue = await one<{ open: number; overdue: number }>(db, `select count(*) filter (where not closed)::int as open,
    count(*) filter (where not closed and deadline_at < now())::int as overdue from cases`);
  return { sizes, templates: templates.length, templateCommands: auditAfter.n - auditBefore.n, ms, counts, states, overdue, sizesMb: await tableSizes(db) };
}

export async function tableSizes(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['cases', 'households', 'members', 'timers', 'audit_records']) {
    const r = await one<{ b: string }>(db, `select pg_total_relation_size('${t}')::text as b`);
    out[t] = Math.round(Number(r.b) / 1024 / 1024);
  }
  return out;
}

/** A genesis audit record ('BENCH_IMPORT', seq 1) for each planned case matching `where`, in batches. */
export async function writeGenesis(db: Db, where: string, at: Date): Promise<number> {
  let written = 0;
  let after = 0;
  for (;;) {
    const batch = await query<{ n: number; case_id: string; state: string; machine_version: number; template: string }>(
      db,
      `select p.n::int as n, p.case_id, c.state, c.machine_version, bt.case_id as template
       from bench_plan p join cases c on c.id = p.case_id join bench_templates bt on bt.t = p.t
       where ${where} and p.n > ${after} and not exists (select 1 from audit_records a where a.case_id = p.case_id)
       order by p.n limit 2000`,
    );
    if (batch.length === 0) return written;
    after = batch.at(-1)!.n;
    const values = batch.map((r) => {
      const content = {
        caseId: r.case_id,
        seq: 1,
        eventType: 'BENCH_IMPORT',
        payload: { template: r.template, note: 'copied from a template case by npm run bench' },
        actorId: 'bench',
        actorRole: 'system',
        stateBefore: null,
        stateAfter: r.state,
        machineVersion: r.machine_version,
        requestId: 'bench-seed',
        at,
        prevHash: null,
      };
      return { ...content, hash: auditHash(content) };
    });
    await db.insert(auditRecords).values(values);
    // The chain's head is kept on the case row (the command path appends without reading the trail).
    await exec(db, `update cases c set audit_seq = 1, audit_head = a.hash from audit_records a
      where a.case_id = c.id and a.seq = 1 and c.audit_seq = 0 and c.id in (${batch.map((r) => `'${r.case_id}'`).join(',')})`);
    written += values.length;
  }
}

export { timersTemplate };
