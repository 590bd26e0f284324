/**
 * `npm run bench:console`: how long the console's pages take on the server with the demo data (the issue's
 * target: under 200 ms server time). The service is built as main.ts builds it (migrations, time settings,
 * demo seed) on embedded PGlite, or on PostgreSQL when DATABASE_URL is set; each page is requested by the
 * person who works it, in their own session, 5 times to warm up and then N times (default 50); the time is
 * Fastify's own, from the request's arrival to the reply's end (reply.elapsedTime), so the transport is
 * left out. Prints a table and, with --write, replaces the console section of docs/benchmarks.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createService, loadTimeSettings } from '../src/service.js';
import { seedDemo, findDemoUser } from '../src/seed/index.js';
import { ManualClock } from '../src/time/clock.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite, openPostgres, recreateDatabase } from './lib/db.js';

const N = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 50);
const write = process.argv.includes('--write');

// PostgreSQL: a database of its own on the server DATABASE_URL names (its path is replaced); else PGlite in a temporary directory.
const server = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;
const dataDir = server ? null : mkdtempSync(join(tmpdir(), 'doudi-bench-console-'));
let database;
if (server) {
  const base = `${server.protocol}//${server.username ? `${server.username}@` : ''}${server.host}`;
  await recreateDatabase(base, 'doudi_bench_console');
  database = await openPostgres(base, 'doudi_bench_console', 8);
} else {
  database = await openPglite(dataDir!);
}
const clock = new ManualClock('2026-03-02T01:00:00Z');
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-1' });
const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
const service = createService({ config, logger, database, clock });
const { app, engine } = service;
const elapsed: number[] = [];
app.addHook('onResponse', async (_request, reply) => {
  elapsed.push(reply.elapsedTime);
});
await app.ready();
await loadTimeSettings(service);
const seeded = await seedDemo({ db: database.db, engine, clock, logger });

async function session(username: string) {
  const demo = findDemoUser(username)!;
  const user = (await engine.accounts.loadUser(demo.id))!;
  return `doudi_session=${(await engine.accounts.startSession(user, { via: 'password' })).cookie}`;
}

const officer = await session('lb-officer');
const list = await engine.worklist((await engine.accounts.authenticateUser(findDemoUser('lb-officer')!.id)).principal, { view: 'all', page: 1, pageSize: 100, includeClosed: true });
const caseNumber = list.items.find((c) => c.state.startsWith('active'))?.caseNumber ?? list.items[0].caseNumber;

const pages: { name: string; user: string; url: string }[] = [
  { name: '待办 inbox (officer)', user: 'lb-officer', url: '/console/' },
  { name: '待办 inbox (village reviewer)', user: 'lb-reviewer-village', url: '/console/' },
  { name: '案件查询 search by name', user: 'lb-officer', url: '/console/cases?q=%E7%8E%8B' },
  { name: '案件查询 overdue filter', user: 'lb-supervisor', url: '/console/cases?overdue=1' },
  { name: '案件 case page (officer)', user: 'lb-officer', url: `/console/c/${caseNumber}` },
  { name: '入户普查 survey form', user: 'lb-enumerator', url: '/console/survey' },
  { name: '回访 due list', user: 'lb-visitor', url: '/console/revisits' },
  { name: '督办 dashboard', user: 'lb-supervisor', url: '/console/supervise' },
  { name: '通知 notifications', user: 'lb-officer', url: '/console/notifications' },
  { name: '管理 users', user: 'lb-admin', url: '/console/admin/users' },
];

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const rows: string[] = [];
for (const p of pages) {
  const cookie = p.user === 'lb-officer' ? officer : await session(p.user);
  for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: p.url, headers: { cookie } });
  elapsed.length = 0;
  for (let i = 0; i < N; i++) {
    const res = await app.inject({ method: 'GET', url: p.url, headers: { cookie } });
    if (res.statusCode !== 200) throw new Error(`${p.url}: ${res.statusCode}`);
  }
  rows.push(`| ${p.name} | \`${p.url.replace(caseNumber, '<number>')}\` | ${pct(elapsed, 50).toFixed(1)} | ${pct(elapsed, 95).toFixed(1)} | ${Math.max(...elapsed).toFixed(1)} |`);
}
await app.close();
await database.close();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

const db = process.env.DATABASE_URL ? 'PostgreSQL 15 (127.0.0.1)' : 'embedded PGlite';
const table = [
  `Server time of the console's pages with the demo data (${seeded.cases.total} demo cases; ${db}; ${N} requests each after 5 to warm up; Node ${process.version}).`,
  `Command: \`${process.env.DATABASE_URL ? 'DATABASE_URL=… ' : ''}npm run bench:console\`. Target: under 200 ms.`,
  '',
  '| page | URL | median ms | p95 ms | max ms |',
  '|---|---|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(table);
if (write) {
  const file = new URL('../docs/benchmarks.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const begin = `<!-- console:${db}:begin -->`;
  const end = `<!-- console:${db}:end -->`;
  const block = `${begin}\n${table}\n${end}`;
  const next = doc.includes(begin) ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block) : `${doc.trimEnd()}\n\n## Console pages\n\n${block}\n`;
  writeFileSync(file, next.replace(/(## Console pages\n\n[\s\S]*?)\n\n## Console pages\n\n/, '$1\n\n'));
}
