// Small helpers for the benchmark: flags, logging, timing, process and /proc sampling.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

export const execFileP = promisify(execFile);

export const PHASES = ['seed', 'commands', 'overdue', 'timers', 'roundtrips', 'rss', 'pglite'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchArgs {
  cases: number;
  only: Set<Phase>;
  /** Seconds per measured load step. */
  duration: number;
  /** Seconds of unmeasured load before each step. */
  warmup: number;
  connections: number[];
  /** Service processes for the HTTP steps (one run of the steps per count; ports port..port+N-1). */
  processes: number[];
  reuse: boolean;
  timers: number;
  pgliteCases: number;
  /** Requests of each kind measured by the round-trip phase (after a few unmeasured ones). */
  roundTripSamples: number;
  /** Server URL without a database name, e.g. postgres://postgres@127.0.0.1:5432 */
  server: string;
  database: string;
  port: number;
  /** Where the report goes; null = print only. */
  out: string | null;
  /** The flags as given, for the "exact command" line. */
  argv: string[];
  /** Re-render the report from a raw results file of an earlier run instead of running. */
  render: string | null;
}

const USAGE = `npm run bench -- [flags]

  --cases N            cases to seed (default 100000; 1000000 supported)
  --only LIST          comma-separated phases: ${PHASES.join(',')} (default: all)
  --duration S         seconds per measured load step (default 15)
  --warmup S           unmeasured seconds before each load step (default 3)
  --connections LIST   concurrent HTTP connections / SQL clients per step (default 16,64)
  --processes LIST     service processes for the HTTP steps, on ports port..port+N-1, the connections spread
                       over them (default 1; e.g. 1,2 runs the steps once per count)
  --timers N           due timers for the two-worker drain (default 100000)
  --pglite-cases N     cases for the embedded PGlite run (default 10000)
  --roundtrip-samples N  requests of each kind measured for statements and round trips (default 10)
  --reuse              keep the doudi_bench database and its data if it already holds --cases cases
  --server URL         PostgreSQL server (default postgres://postgres@127.0.0.1:5432, or $BENCH_SERVER)
  --database NAME      database to create and drop (default doudi_bench)
  --port N             HTTP port of the service under test (default 3900)
  --out FILE           report file (default docs/benchmarks.md for a full run; none with --only)
  --no-out             print the summary only
  --render FILE        write the report again from the raw results (JSON) of an earlier run, without running`;

export function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    cases: 100_000,
    only: new Set(PHASES),
    duration: 15,
    warmup: 3,
    connections: [16, 64],
    processes: [1],
    reuse: false,
    timers: 100_000,
    pgliteCases: 10_000,
    roundTripSamples: 10,
    server: process.env.BENCH_SERVER ?? 'postgres://postgres@127.0.0.1:5432',
    database: 'doudi_bench',
    port: 3900,
    out: 'docs/benchmarks.md',
    argv,
    render: null,
  };
  let outGiven = false;
  let onlyGiven = false;
  const num = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected a whole number >= ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    switch (flag) {
      case '--cases': a.cases = num(flag, next(), 1000); break;
      case '--duration': a.duration = num(flag, next(), 1); break;
      case '--warmup': a.warmup = num(flag, next(), 0); break;
      case '--timers': a.timers = num(flag, next(), 100); break;
      case '--pglite-cases': a.pgliteCases = num(flag, next(), 1000); break;
      case '--roundtrip-samples': a.roundTripSamples = num(flag, next(), 1); break;
      case '--port': a.port = num(flag, next(), 1); break;
      case '--reuse': a.reuse = true; break;
      case '--server': a.server = next().replace(/\/+$/, ''); break;
      case '--database': a.database = next(); break;
      case '--out': a.out = next(); outGiven = true; break;
      case '--no-out': a.out = null; outGiven = true; break;
      case '--render': a.render = next(); break;
      case '--connections':
        a.connections = next().split(',').map((s) => num(flag, s, 1));
        break;
      case '--processes':
        a.processes = next().split(',').map((s) => num(flag, s, 1));
        break;
      case '--only': {
        onlyGiven = true;
        const list = next().split(',').map((s) => s.trim()).filter(Boolean);
        for (const p of list) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase ${p} (phases: ${PHASES.join(', ')})`);
        a.only = new Set(list as Phase[]);
        break;
      }
      case '-h':
      case '--help':
        console.log(USAGE);
        return process.exit(0);
      default:
        throw new Error(`unknown flag ${flag}\n\n${USAGE}`);
    }
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(a.database)) throw new Error('--database: lower-case letters, digits and _ only');
  // A partial run must not overwrite the report of a full run unless asked to.
  if (onlyGiven && !outGiven) a.out = null;
  return a;
}

const t0 = Date.now();
export function log(msg: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(7);
  console.log(`[bench ${s}s] ${msg}`);
}

export async function timed<T>(what: string, fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  const ms = performance.now() - start;
  log(`${what}: ${(ms / 1000).toFixed(1)} s`);
  return { value, ms };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

/** Resident set size of a process in bytes (VmRSS), or null when it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const CLK_TCK = 100;
/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Machine-wide CPU jiffies: busy and total, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * CPU use over an interval: the service process (in % of one core) and the whole machine (in % of all cores).
 * Start it before a load step, call stop() after.
 */
export function cpuMeter(pid: number | number[] | null) {
  const pids = pid === null ? [] : Array.isArray(pid) ? pid : [pid];
  // The sum over the processes (several service processes: 100% = one core's worth in all).
  const cpuOf = () => {
    if (pids.length === 0) return null;
    let sum = 0;
    for (const p of pids) {
      const c = cpuSecondsOf(p);
      if (c === null) return null;
      sum += c;
    }
    return sum;
  };
  const m0 = machineCpu();
  const p0 = cpuOf();
  const start = performance.now();
  return () => {
    const m1 = machineCpu();
    const p1 = cpuOf();
    const secs = (performance.now() - start) / 1000;
    return {
      serviceCorePct: p0 !== null && p1 !== null ? (100 * (p1 - p0)) / secs : null,
      serviceCpuSeconds: p0 !== null && p1 !== null ? p1 - p0 : null,
      machinePct: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
    };
  };
}

/**
 * Samples the RSS of one or more processes every `everyMs` until stopped; returns the peak of the largest
 * process (`peak`), each process's peak, and the peak of their sum.
 */
export function rssSampler(pid: number | number[], everyMs = 200) {
  const pids = Array.isArray(pid) ? pid : [pid];
  const peaks = pids.map(() => 0);
  let totalPeak = 0;
  let last = 0;
  let samples = 0;
  const sample = () => {
    let total = 0;
    pids.forEach((p, i) => {
      const r = rssOf(p);
      if (r === null) return;
      peaks[i] = Math.max(peaks[i], r);
      total += r;
    });
    if (total > 0) {
      totalPeak = Math.max(totalPeak, total);
      last = total;
      samples += 1;
    }
  };
  const t = setInterval(sample, everyMs);
  return () => {
    clearInterval(t);
    sample();
    return { peak: Math.max(0, ...peaks), perProcess: peaks, totalPeak, last, samples };
  };
}

export const MB = 1024 * 1024;
