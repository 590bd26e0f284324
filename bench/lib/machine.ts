// What the benchmark ran on: machine, PostgreSQL and its settings, Node, the commit, the load at the start.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Db } from '../../src/db/index.js';
import { one, query } from './db.js';
import { execFileP, loadAverage } from './util.js';

export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  pgSettings: Record<string, string>;
  commit: string;
  loadAtStart: string;
  otherDatabaseBackends: number;
}

const SETTINGS = ['shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'commit_delay', 'max_connections', 'work_mem', 'max_wal_size', 'checkpoint_timeout', 'jit'];

export async function machineInfo(db: Db | null, database: string): Promise<MachineInfo> {
  let os = 'Linux';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // keep the default
  }
  let commit = 'unknown';
  try {
    const head = (await execFileP('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim();
    const dirty = (await execFileP('git', ['status', '--porcelain', '--untracked-files=no'])).stdout.trim() ? ' (with uncommitted changes)' : '';
    commit = `${head}${dirty}`;
  } catch {
    // not a git checkout
  }
  let postgres = 'n/a';
  const pgSettings: Record<string, string> = {};
  let otherDatabaseBackends = 0;
  if (db) {
    postgres = (await one<{ v: string }>(db, 'select version() as v')).v.replace(/ on x86_64.*/, '');
    for (const r of await query<{ name: string; setting: string; unit: string | null }>(db, `select name, setting, unit from pg_settings where name in (${SETTINGS.map((s) => `'${s}'`).join(',')})`)) {
      pgSettings[r.name] = humanSetting(r.setting, r.unit);
    }
    otherDatabaseBackends = (await one<{ n: number }>(db, `select count(*)::int as n from pg_stat_activity where datname is not null and datname <> '${database}' and state <> 'idle'`)).n;
  }
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os,
    node: process.version,
    postgres,
    pgSettings,
    commit,
    loadAtStart: loadAverage(),
    otherDatabaseBackends,
  };
}

function humanSetting(setting: string, unit: string | null): string {
  if (unit === '8kB') return `${Math.round((Number(setting) * 8) / 1024)}MB`;
  if (unit === 'kB') return `${Math.round(Number(setting) / 1024)}MB`;
  if (unit === 'MB') return `${setting}MB`;
  if (unit) return `${setting}${unit}`;
  return setting;
}
