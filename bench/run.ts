/**
 * `npm run bench`: seeds a PostgreSQL database with N cases and measures (1) the seed, (2) command throughput
 * over HTTP against its SQL ceiling, (3) GET /overdue latency, (4) the two-worker timer drain, (5) the
 * service's RSS under load, (6) the command mix on embedded PGlite, (7) statements and round trips per command,
 * counted on the wire by a proxy between the service and PostgreSQL. Writes docs/benchmarks.md (full runs).
 * See bench/README.md. Never part of `npm test` or CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASE_MACHINE_VERSION } from '../machines/index.js';
import type { DbHandle } from '../src/db/index.js';
import {
  checkMixDb,
  checkpoint,
  loadMixState,
  queueSizes,
  runMix,
  runPgbench,
  runPostgresJs,
  takeJob,
  verifyChains,
  type CeilingStep,
  type HttpStep,
  type MixState,
} from './lib/commands.js';
import { databaseExists, databaseUrl, one, openPglite, openPostgres, pgCpuSampler, readMeta, recreateDatabase, writeMeta } from './lib/db.js';
import { machineInfo } from './lib/machine.js';
import { responseTimes, runOverdue, type OverdueResult } from './lib/overdue.js';
import { analyzeProfile, mainProfile, removeDir, type ProfileBreakdown } from './lib/profile.js';
import { renderReport, renderSummary } from './lib/report.js';
import { runRoundTrips, type RoundTripResult } from './lib/roundtrips.js';
import { seedBench, type SeedResult } from './lib/seed.js';
import { bundleService, startService, startServices, type ServiceGroup } from './lib/service.js';
import { runTimers, type TimerResult } from './lib/timers.js';
import { cpuMeter, loadAverage, log, MB, parseArgs, rssOf, rssSampler, type BenchArgs } from './lib/util.js';

export interface StepResult {
  connections: number;
  /** Service processes sharing the connections (absent in results of runs before --processes: 1). */
  processes?: number;
  http: HttpStep;
  /** Service CPU: the sum over the service processes. */
  cpu: { serviceCorePct: number | null; serviceCpuSeconds: number | null; machinePct: number; pgCpuSeconds: number | null };
  /** Peak RSS of the largest service process. */
  rssPeakMb: number;
  /** Peak RSS of each service process, and of their sum. */
  rssPerProcessMb?: number[];
  rssTotalPeakMb?: number;
  /** Load average (1, 5, 15 min) just before the step. */
  loadBefore: string;
  pgbench?: CeilingStep;
  postgresJs?: CeilingStep;
}

export interface Results {
  args: BenchArgs;
  command: string;
  machine: Awaited<ReturnType<typeof machineInfo>>;
  seed?: SeedResult & { reused: boolean };
  commands?: {
    steps: StepResult[];
    check: Awaited<ReturnType<typeof checkMixDb>> & Awaited<ReturnType<typeof verifyChains>>;
    statementsPerCommand: Record<string, number>;
    profile: ProfileBreakdown | null;
    pools: Record<string, number>;
    ceilingCases: number;
  };
  rss?: {
    idleMb: number;
    peakMb: number;
    peakStep: string;
    overduePeakMb?: number;
    /** The same service bundled to plain JavaScript (no tsx loader), under the same load. */
    bundled?: { idleMb: number; peakMb: number; rps: number } | null;
  };
  overdue?: OverdueResult & { cases: number };
  timers?: TimerResult;
  roundTrips?: RoundTripResult;
  pglite?: {
    cases: number;
    seedSeconds: number;
    steps: StepResult[];
    check: Awaited<ReturnType<typeof checkMixDb>> & Awaited<ReturnType<typeof verifyChains>>;
    idleMb: number;
  };
  wallSeconds: number;
  /** Wall time of each phase, in seconds. */
  phaseSeconds: Record<string, number>;
}

const JWT_ISSUER = 'doudi';

let phaseStart = performance.now();
function endPhase(results: Results, name: string) {
  const now = performance.now();
  results.phaseSeconds[name] = (results.phaseSeconds[name] ?? 0) + (now - phaseStart) / 1000;
  phaseStart = now;
}

async function commandSteps(m: MixState, svc: ServiceGroup, args: BenchArgs, db: DbHandle | null, ceiling: { nids: number; url?: string } | null, earlier: StepResult[] = []): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  const n = svc.pids.length;
  for (const c of args.connections) {
    if (db) await checkpoint(db.db);
    if (args.warmup > 0) await runMix(m, svc.baseUrls, c, args.warmup);
    const load = loadAverage();
    const meter = cpuMeter(svc.pids);
    const rss = rssSampler(svc.pids);
    const pgCpu = db ? pgCpuSampler(args.server, args.database) : null;
    const http = await runMix(m, svc.baseUrls, c, args.duration);
    const cpu = { ...meter(), pgCpuSeconds: pgCpu ? (await pgCpu()).cpuSeconds : null };
    const r = rss();
    log(`commands over HTTP, ${c} connections, ${n} service process${n === 1 ? '' : 'es'}: ${http.rps.toFixed(0)} commands/s, p50 ${http.latency.p50} ms, p99 ${http.latency.p99} ms, non-2xx ${http.non2xx}, errors ${http.errors}; service ${cpu.serviceCorePct?.toFixed(0)}% of a core, machine ${cpu.machinePct.toFixed(0)}%, RSS peak ${r.perProcess.map((x) => (x / MB).toFixed(0)).join(' + ')} MB`);
    const step: StepResult = { connections: c, processes: n, http, cpu, rssPeakMb: r.peak / MB, rssPerProcessMb: r.perProcess.map((x) => x / MB), rssTotalPeakMb: r.totalPeak / MB, loadBefore: load };
    // The ceiling does not depend on the service: measured once per connection count, at the first process count.
    const same = earlier.find((x) => x.connections === c && x.pgbench);
    if (same) {
      step.pgbench = same.pgbench;
      step.postgresJs = same.postgresJs;
    } else if (db && ceiling && args.server) {
      await checkpoint(db.db);
      // Warm-up (connections, plans, cache); at least 3 s, or 64 clients may not finish connecting.
      if (args.warmup > 0) await runPgbench({ server: args.server, database: args.database, clients: c, seconds: Math.max(3, args.warmup), nids: ceiling.nids, machineVersion: CASE_MACHINE_VERSION, warmup: true });
      let pgCpu1 = pgCpuSampler(args.server, args.database);
      step.pgbench = await runPgbench({ server: args.server, database: args.database, clients: c, seconds: args.duration, nids: ceiling.nids, machineVersion: CASE_MACHINE_VERSION });
      step.pgbench.pgCpuSeconds = (await pgCpu1()).cpuSeconds;
      log(`ceiling, pgbench, ${c} clients: ${step.pgbench.tps.toFixed(0)} tx/s, mean ${step.pgbench.latencyMs.mean} ms`);
      await checkpoint(db.db);
      pgCpu1 = pgCpuSampler(args.server, args.database);
      step.postgresJs = await runPostgresJs({ url: ceiling.url!, clients: c, seconds: args.duration, nids: ceiling.nids, machineVersion: CASE_MACHINE_VERSION });
      step.postgresJs.pgCpuSeconds = (await pgCpu1()).cpuSeconds;
      log(`ceiling, postgres.js, ${c} clients: ${step.postgresJs.tps.toFixed(0)} tx/s, mean ${step.postgresJs.latencyMs.mean.toFixed(1)} ms`);
    }
    steps.push(step);
  }
  return steps;
}

/** SQL statements per command, from the service's debug log (drizzle logs each query at debug level). */
async function statementsPerCommand(m: MixState, args: BenchArgs, url: string, jwtSecret: string): Promise<Record<string, number>> {
  let lines = 0;
  const svc = await startService({ port: args.port + 1, databaseUrl: url, jwtSecret, logLevel: 'debug', onLine: (l) => { if (l.includes('"msg":"db query"')) lines += 1; } });
  const out: Record<string, number> = {};
  try {
    for (const pool of ['village', 'publicity', 'active'] as const) {
      for (let i = 0; i < 2; i++) {
        const job = takeJob(m, pool, 'lb');
        if (!job) continue;
        const before = lines;
        const step = await runOne(svc.baseUrl, m, pool, job);
        await new Promise((r) => setTimeout(r, 200));
        if (i === 1) out[step] = lines - before; // the second: no first-use effects
      }
    }
  } finally {
    await svc.stop();
  }
  return out;
}

/** RSS of the service bundled with esbuild and run by plain node, under the mix at `connections`. */
async function bundledRss(m: MixState, args: BenchArgs, url: string, jwtSecret: string, connections: number) {
  const bundle = await bundleService();
  if (!bundle) return null;
  try {
    const svc = await startService({ port: args.port + 3, databaseUrl: url, jwtSecret, script: bundle.file });
    try {
      const idle = rssOf(svc.pid) ?? 0;
      if (args.warmup > 0) await runMix(m, svc.baseUrl, connections, args.warmup);
      const rss = rssSampler(svc.pid);
      const step = await runMix(m, svc.baseUrl, connections, args.duration);
      const r = rss();
      log(`RSS of the bundled service: idle ${(idle / MB).toFixed(0)} MB, peak ${(r.peak / MB).toFixed(0)} MB at ${connections} connections (${step.rps.toFixed(0)} commands/s)`);
      return { idleMb: idle / MB, peakMb: r.peak / MB, rps: step.rps };
    } finally {
      await svc.stop();
    }
  } finally {
    bundle.remove();
  }
}

/** A CPU profile of the service (node --cpu-prof) during the mix at the first step's concurrency. */
async function profileService(m: MixState, args: BenchArgs, url: string, jwtSecret: string): Promise<ProfileBreakdown | null> {
  const dir = mkdtempSync(join(tmpdir(), 'doudi-bench-prof-'));
  try {
    const svc = await startService({ port: args.port + 2, databaseUrl: url, jwtSecret, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    try {
      await runMix(m, svc.baseUrl, args.connections[0], args.duration);
    } finally {
      await svc.stop();
    }
    const file = mainProfile(dir);
    const profile = file ? analyzeProfile(file) : null;
    if (profile) log(`profile: ${profile.shares.slice(0, 4).map((x) => `${x.category} ${x.pct.toFixed(0)}%`).join(', ')}`);
    return profile;
  } finally {
    removeDir(dir);
  }
}

async function runOne(baseUrl: string, m: MixState, pool: 'village' | 'publicity' | 'active', job: { id: string; version: number }) {
  const user = { village: 'lb-reviewer-village', publicity: 'lb-officer', active: 'lb-visitor' }[pool];
  const body = {
    village: { type: 'APPROVE', comment: '同意' },
    publicity: { type: 'FILE_OBJECTION', objectionId: `STMT-${job.id.slice(0, 8)}`, lodgedBy: '村民', channel: 'phone', content: '请核实' },
    active: { type: 'RECORD_REVISIT', date: m.today, livingConditions: '良好', health: '稳定', problems: '', reassessmentNeeded: false },
  }[pool];
  const r = await fetch(`${baseUrl}/cases/${job.id}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.tokens.get(user)}`, 'content-type': 'application/json', 'if-match': `"${job.version}"` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`statement count: ${body.type} answered ${r.status} ${await r.text()}`);
  return body.type;
}

async function postgresPhases(args: BenchArgs, results: Results, jwtSecret: string): Promise<void> {
  const url = databaseUrl(args.server, args.database);
  let handle: DbHandle;
  const meta = args.reuse && (await databaseExists(args.server, args.database)) ? await (async () => {
    const h = await openPostgres(args.server, args.database);
    const m = await readMeta(h.db);
    await h.close();
    return m;
  })() : null;
  if (meta && meta.cases === args.cases && !args.only.has('seed')) {
    log(`reusing ${args.database} (${meta.cases} cases seeded ${meta.seededAt})`);
    handle = await openPostgres(args.server, args.database);
    results.seed = { ...(meta.seed as SeedResult), reused: true };
  } else {
    log(`creating ${args.database} on ${args.server} and seeding ${args.cases} cases`);
    await recreateDatabase(args.server, args.database);
    handle = await openPostgres(args.server, args.database);
    let next = 0;
    const seed = await seedBench(handle.db, {
      total: args.cases,
      onProgress: (done, total) => {
        if (done / total >= next - 1e-9) {
          log(`seed: ${done} of ${total} cases`);
          next += 0.1;
        }
      },
    });
    await writeMeta(handle.db, { cases: args.cases, seededAt: new Date().toISOString(), seed });
    results.seed = { ...seed, reused: false };
    log(`seed: ${seed.sizes.total} cases in ${(seed.ms.total / 1000).toFixed(0)} s (${seed.overdue.overdue} overdue of ${seed.overdue.open} open)`);
  }
  results.machine = { ...(await machineInfo(handle.db, args.database)), date: results.machine.date, loadAtStart: results.machine.loadAtStart };
  endPhase(results, 'seed');

  try {
    const jwt = { jwtSecret, jwtIssuer: JWT_ISSUER };
    if (args.only.has('commands') || args.only.has('rss')) {
      const m = await loadMixState(handle.db, jwt);
      const pools = queueSizes(m);
      const ceilingCases = (await one<{ n: number }>(handle.db, `select count(*)::int as n from bench_plan where pool = 'ceiling'`)).n;
      const measureCeiling = args.only.has('commands');
      const stepArgs = measureCeiling ? args : { ...args, connections: [Math.max(...args.connections)] };
      const steps: StepResult[] = [];
      let idle = 0;
      let chains: Awaited<ReturnType<typeof verifyChains>> = { chainsVerified: 0, chainsBroken: 0 };
      for (const [i, n] of args.processes.entries()) {
        const group = await startServices(n, { port: args.port, databaseUrl: url, jwtSecret });
        try {
          if (i === 0) idle = rssOf(group.pids[0]) ?? 0;
          steps.push(...(await commandSteps(m, group, stepArgs, handle, measureCeiling ? { nids: ceilingCases, url } : null, steps)));
          if (i === args.processes.length - 1) chains = await verifyChains(m, group.baseUrls[0]);
        } finally {
          await group.stop();
        }
      }
      const check = { ...(await checkMixDb(handle.db, m)), ...chains };
      log(`commands: ${check.acknowledged} acknowledged, ${check.refused} refused, ${check.serverCommits} committed, ${check.auditRecords} audit records, ${check.chainsVerified} chains verified, ${check.chainsBroken} broken`);
      const statements = measureCeiling ? await statementsPerCommand(m, args, url, jwtSecret) : {};
      const profile = measureCeiling ? await profileService(m, args, url, jwtSecret) : null;
      if (measureCeiling) results.commands = { steps, check, statementsPerCommand: statements, profile, pools, ceilingCases };
      const peak = steps.reduce((a, s) => (s.rssPeakMb > a.rssPeakMb ? s : a), steps[0]);
      results.rss = { idleMb: idle / MB, peakMb: peak.rssPeakMb, peakStep: `commands at ${peak.connections} connections${(peak.processes ?? 1) > 1 ? ` (the largest of ${peak.processes} service processes)` : ''}` };
      if (args.only.has('rss')) results.rss.bundled = await bundledRss(m, args, url, jwtSecret, peak.connections);
      endPhase(results, 'commands and RSS');
    }

    if (args.only.has('overdue')) {
      const rt = responseTimes();
      const svc = await startService({ port: args.port, databaseUrl: url, jwtSecret, logLevel: 'info', onLine: rt.onLine });
      try {
        const rss = rssSampler(svc.pid);
        const cases = (await one<{ n: number }>(handle.db, 'select count(*)::int as n from cases')).n;
        results.overdue = { ...(await runOverdue(handle.db, svc.baseUrl, jwt, rt.times)), cases };
        const r = rss();
        if (results.rss) results.rss.overduePeakMb = r.peak / MB;
        const o = results.overdue.countyPages;
        log(`overdue: county pages at ${cases} cases: server p50 ${o.serverP50.toFixed(2)} ms, p95 ${o.serverP95.toFixed(2)} ms (client p95 ${o.clientP95.toFixed(2)} ms)`);
      } finally {
        await svc.stop();
      }
      endPhase(results, 'overdue');
    }

    if (args.only.has('timers')) {
      results.timers = await runTimers(handle.db, { databaseUrl: url, jwtSecret, timers: args.timers });
      const t = results.timers;
      log(`timers: ${t.timers} drained in ${t.drainSeconds.toFixed(1)} s, ${t.transitionsPerSecond.toFixed(0)} transitions/s, duplicates ${t.duplicates}, lost ${t.lost}`);
      endPhase(results, 'timers');
    }

    if (args.only.has('roundtrips')) {
      results.roundTrips = await runRoundTrips(handle.db, { server: args.server, database: args.database, port: args.port + 4, jwtSecret, samples: args.roundTripSamples ?? 10 });
      endPhase(results, 'round trips');
    }
  } finally {
    await handle.close();
  }
}

async function pglitePhase(args: BenchArgs, results: Results, jwtSecret: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'doudi-bench-pglite-'));
  try {
    const start = performance.now();
    let handle = await openPglite(dir);
    log(`PGlite: seeding ${args.pgliteCases} cases in ${dir}`);
    await seedBench(handle.db, { total: args.pgliteCases, chunk: 10_000 });
    const m = await loadMixState(handle.db, { jwtSecret, jwtIssuer: JWT_ISSUER });
    await handle.close();
    const seedSeconds = (performance.now() - start) / 1000;
    // PGlite admits one process: always one service process here.
    const svc = await startServices(1, { port: args.port, dataDir: dir, jwtSecret });
    const idle = rssOf(svc.pids[0]) ?? 0;
    let steps: StepResult[];
    let chains;
    try {
      steps = await commandSteps(m, svc, args, null, null);
      chains = await verifyChains(m, svc.baseUrls[0]);
    } finally {
      await svc.stop();
    }
    handle = await openPglite(dir);
    const check = { ...(await checkMixDb(handle.db, m)), ...chains };
    await handle.close();
    results.pglite = { cases: args.pgliteCases, seedSeconds, steps, check, idleMb: idle / MB };
    endPhase(results, 'pglite');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The report, keeping the sections other bench scripts own (from "## Console pages" on: `npm run bench:console`),
 * which this run did not measure.
 */
function writeReport(out: string, results: Results) {
  let kept = '';
  try {
    const old = readFileSync(out, 'utf8');
    const at = old.indexOf('\n## Console pages');
    if (at >= 0) kept = old.slice(at);
  } catch {
    // no earlier report
  }
  writeFileSync(out, renderReport(results).trimEnd() + '\n' + kept);
}

/** --render: the report of an earlier run, from its raw results, with the current wording of the report. */
function renderOnly(args: BenchArgs) {
  const results = JSON.parse(readFileSync(args.render!, 'utf8')) as Results;
  results.args = { ...results.args, only: new Set(results.args.only as unknown as string[]) as BenchArgs['only'] };
  console.log(renderSummary(results));
  const out = args.out ?? 'docs/benchmarks.md';
  writeReport(out, results);
  log(`report of the run of ${results.machine.date} (${results.command}) written to ${out}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.render) return renderOnly(args);
  const started = performance.now();
  const command = `npm run bench${args.argv.length ? ` -- ${args.argv.join(' ')}` : ''}`;
  const jwtSecret = randomBytes(32).toString('base64url');
  const results: Results = { args, command, machine: await machineInfo(null, args.database), wallSeconds: 0, phaseSeconds: {} };
  phaseStart = performance.now();
  log(`${command}: phases ${[...args.only].join(', ')}; ${args.cases} cases; ${args.duration} s per step at ${args.connections.join(' and ')} connections`);

  const pgPhases = ['seed', 'commands', 'overdue', 'timers', 'roundtrips', 'rss'].some((p) => args.only.has(p as never));
  if (pgPhases) await postgresPhases(args, results, jwtSecret);
  if (args.only.has('pglite')) await pglitePhase(args, results, jwtSecret);

  results.wallSeconds = (performance.now() - started) / 1000;
  console.log(`\n${renderSummary(results)}`);
  const json = join(tmpdir(), 'doudi-bench-last.json');
  writeFileSync(json, JSON.stringify(results, (k, v) => (v instanceof Set ? [...v] : v), 2));
  log(`raw results: ${json}`);
  if (args.out) {
    writeReport(args.out, results);
    log(`report written to ${args.out}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
