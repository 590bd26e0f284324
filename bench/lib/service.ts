// The service under test, as users run it: a separate Node process running the production build (dist/main.js,
// built by scripts/build.mjs exactly as `npm start` does), no demo seed, no in-process worker. Its RSS and CPU
// are read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileP, log, sleep } from './util.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceOptions {
  port: number;
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl?: string;
  dataDir?: string;
  jwtSecret: string;
  logLevel?: string;
  /** Called with every stdout line (pino JSON). */
  onLine?: (line: string) => void;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Run this JavaScript file instead of the production build dist/main.js. */
  script?: string;
}

export interface RunningService {
  pid: number;
  proc: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

export function serviceEnv(o: Pick<ServiceOptions, 'databaseUrl' | 'dataDir' | 'jwtSecret' | 'logLevel'> & { port?: number }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: o.logLevel ?? 'warn',
    JWT_SECRET: o.jwtSecret,
    SEED_DEMO: 'off',
    WORKER: 'off',
    // The benchmark's users are the demo users, and its load comes from one address.
    ALLOW_DEMO_USERS: 'on',
    RATE_LIMIT: '0',
    RATE_LIMIT_PUBLIC: '0',
  };
  if (o.port !== undefined) env.PORT = String(o.port);
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  if (o.dataDir) env.DOUDI_DATA_DIR = o.dataDir;
  return env;
}

/** `npm start` without npm around it: build, then `node --enable-source-maps dist/main.js` as one process. */
export async function startService(o: ServiceOptions): Promise<RunningService> {
  if (!o.script) await execFileP(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  const entry = o.script ? [o.script] : ['--enable-source-maps', 'dist/main.js'];
  const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), ...entry], {
    cwd: ROOT,
    env: serviceEnv(o),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (o.onLine) o.onLine(line);
      else if (out.length < 200_000) out += `${line}\n`;
    }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    if (out.length < 200_000) out += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the service exited with ${proc.exitCode} while starting:\n${out.slice(-4000)}`);
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`the service did not become ready in 60 s:\n${out.slice(-4000)}`);
    }
    await sleep(200);
  }
  log(`service up: pid ${proc.pid}, ${o.databaseUrl ? 'PostgreSQL' : 'PGlite'}, ${baseUrl}`);
  return {
    pid: proc.pid!,
    proc,
    baseUrl,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** N service processes on ports port..port+N-1 (each with its own database pool), started one after another. */
export interface ServiceGroup {
  pids: number[];
  baseUrls: string[];
  services: RunningService[];
  stop: () => Promise<void>;
}

export async function startServices(n: number, o: ServiceOptions): Promise<ServiceGroup> {
  const services: RunningService[] = [];
  try {
    for (let i = 0; i < n; i++) services.push(await startService({ ...o, port: o.port + i }));
  } catch (e) {
    await Promise.all(services.map((s) => s.stop()));
    throw e;
  }
  return {
    pids: services.map((s) => s.pid),
    baseUrls: services.map((s) => s.baseUrl),
    services,
    stop: async () => {
      await Promise.all(services.map((s) => s.stop()));
    },
  };
}

/**
 * The service bundled to one JavaScript file with esbuild (dependencies left as imports), to compare its
 * memory with the tsx way of running it. Written to bench/.build/, two levels below the repository root like
 * src/main.ts, so that its `new URL('../../migrations', import.meta.url)` still finds the migrations.
 */
export async function bundleService(): Promise<{ file: string; remove: () => void } | null> {
  const esbuild = join(ROOT, 'node_modules/.bin/esbuild');
  if (!existsSync(esbuild)) return null;
  const dir = join(ROOT, 'bench/.build');
  const file = join(dir, 'main.mjs');
  await execFileP(esbuild, ['src/main.ts', '--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', `--outfile=${file}`, '--log-level=warning'], { cwd: ROOT });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
