/**
 * `npm run bench:exports`: 100,000 rows streamed from the database to an HTTP client as XLSX and as CSV — the
 * 花名册 roster of 50,000 placed two-person households (100,000 people) and the work list of those 50,000 cases —
 * with the time to the last byte and the process's peak RSS while it runs. The service is built as main.ts
 * builds it (demo seed included) and listens on a real port; the client reads the response and throws the bytes
 * away, so nothing but the export itself holds memory. The copies are made with SQL from the demo's placed Sun
 * household (tests/helpers/bulkCases.ts). PostgreSQL when DATABASE_URL names a server (a database of its own,
 * doudi_bench_exports, dropped and created), else embedded PGlite in a temporary directory.
 * Prints a table; with --write replaces the exports section of docs/benchmarks.md.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { rows as rowsOf } from '../src/db/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createService, loadTimeSettings } from '../src/service.js';
import { seedDemo, findDemoUser } from '../src/seed/index.js';
import { ManualClock } from '../src/time/clock.js';
import { cloneCases } from '../tests/helpers/bulkCases.js';
import { openPglite, openPostgres, recreateDatabase } from './lib/db.js';

const HOUSEHOLDS = Number(process.argv.find((a) => a.startsWith('--households='))?.slice(13) ?? 50_000);
const PORT = Number(process.argv.find((a) => a.startsWith('--port='))?.slice(7) ?? 3213);
const write = process.argv.includes('--write');

const server = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;
const dataDir = server ? null : mkdtempSync(join(tmpdir(), 'doudi-bench-exports-'));
let database;
if (server) {
  const base = `${server.protocol}//${server.username ? `${server.username}@` : ''}${server.host}`;
  await recreateDatabase(base, 'doudi_bench_exports');
  database = await openPostgres(base, 'doudi_bench_exports', 4);
} else {
  database = await openPglite(dataDir!);
}
const clock = new ManualClock('2026-03-02T01:00:00Z');
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-1', RATE_LIMIT: '0' });
const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
const service = createService({ config, logger, database, clock });
const { app, engine } = service;
await app.ready();
await loadTimeSettings(service);
await seedDemo({ db: database.db, engine, clock, logger });

// The demo's placed Sun household (two people) in 孙家沟村: the template of the copies.
const [template] = rowsOf<{ id: string; village_code: string; n: number }>(
  await database.db.execute(sql`select c.id, c.village_code, (select count(*)::int from members m where m.household_id = c.household_id) as n
    from cases c where c.state like 'active%' and c.county_code = '411282' order by 3 desc, c.case_number limit 1`),
);
const seedStart = performance.now();
const villages = rowsOf<{ code: string }>(await database.db.execute(sql`select code from regions where level = 'village' and code like '411282%' order by code`)).map((r) => r.code);
await cloneCases(database.db, { templateCaseId: template.id, n: HOUSEHOLDS, villages, tag: 'bench', firstSeq: 100_000 });
if (server) await database.db.execute(sql`analyze`);
const seedSeconds = (performance.now() - seedStart) / 1000;
console.log(`copied ${HOUSEHOLDS} households of ${template.n} people into ${villages.length} villages in ${seedSeconds.toFixed(1)} s`);

const demo = findDemoUser('lb-officer')!;
const user = (await engine.accounts.loadUser(demo.id))!;
const cookie = `doudi_session=${(await engine.accounts.startSession(user, { via: 'password' })).cookie}`;
await app.listen({ port: PORT, host: '127.0.0.1' });

/** GET url, read and drop the body; time to the last byte, bytes, and the peak RSS meanwhile (sampled every 20 ms). */
async function measure(path: string) {
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, headers: { cookie } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds, bytes, rssBeforeMb: rssBefore / 2 ** 20, rssPeakMb: peak / 2 ** 20 };
}

const runs = [
  { name: '花名册 roster', path: '/exports/roster.csv', rows: HOUSEHOLDS * template.n },
  { name: '花名册 roster', path: '/exports/roster.xlsx', rows: HOUSEHOLDS * template.n },
  { name: '案件查询 work list', path: '/exports/worklist.csv?view=all', rows: HOUSEHOLDS },
  { name: '案件查询 work list', path: '/exports/worklist.xlsx?view=all', rows: HOUSEHOLDS },
];
const lines: string[] = [];
for (const r of runs) {
  const m = await measure(r.path);
  const [logged] = rowsOf<{ row_count: number }>(await database.db.execute(sql`select row_count from export_log order by id desc limit 1`));
  const line = `| ${r.name} | \`${r.path}\` | ${logged.row_count.toLocaleString('en-US')} | ${m.seconds.toFixed(1)} | ${Math.round(logged.row_count / m.seconds).toLocaleString('en-US')} | ${(m.bytes / 2 ** 20).toFixed(1)} | ${m.rssBeforeMb.toFixed(0)} | ${m.rssPeakMb.toFixed(0)} |`;
  console.log(line);
  lines.push(line);
}
await app.close();
await database.close();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

const db = server ? 'PostgreSQL 15 (127.0.0.1)' : 'embedded PGlite';
const table = [
  `${HOUSEHOLDS.toLocaleString('en-US')} placed households of ${template.n} people (plus the demo data), ${db}, one service process on a 2-core machine, Node ${process.version}; the export as the officer lb-officer (full ID numbers), read over HTTP by a client that drops the bytes. RSS is the whole process (service, database driver${server ? '' : ', embedded database'} and client), sampled every 20 ms.`,
  `Command: \`${server ? 'DATABASE_URL=postgres://postgres@127.0.0.1:5432 ' : ''}node --expose-gc --import tsx bench/exports.ts --write\` (or \`npm run bench:exports\`).`,
  '',
  '| export | URL | rows | seconds to last byte | rows/s | MB sent | RSS before MB | RSS peak MB |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...lines,
].join('\n');
console.log(table);
if (write) {
  const file = new URL('../docs/benchmarks.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const begin = `<!-- exports:${db}:begin -->`;
  const end = `<!-- exports:${db}:end -->`;
  const block = `${begin}\n${table}\n${end}`;
  // Plain string positions: the markers hold regex characters ("(127.0.0.1)").
  const at = doc.indexOf(begin);
  const next = at >= 0 ? doc.slice(0, at) + block + doc.slice(doc.indexOf(end, at) + end.length) : `${doc.trimEnd()}\n\n${doc.includes('## Exports') ? '' : '## Exports\n\n'}${block}\n`;
  writeFileSync(file, next);
}
