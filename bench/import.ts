/**
 * `npm run bench:import`: a survey import of 100,000 member rows (40,000 households of 2 or 3 people, in 50
 * villages of one township) from an XLSX file — the dry run (parse + validate, rows/s), then the commit (one
 * transaction, rows/s), and the process's peak RSS over both. The engine is built as main.ts builds it; the
 * file is written by ExcelJS beforehand (not timed). PostgreSQL when DATABASE_URL names a server (database
 * doudi_bench_import, dropped and created), else embedded PGlite in a temporary directory.
 *   node --expose-gc --import tsx bench/import.ts [--households=40000]
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { loadConfig } from '../src/config.js';
import { insertRegions, insertUser, rows as rowsOf } from '../src/db/index.js';
import { residentIdCheckChar } from '../src/domain/residentId.js';
import { surveyColumns } from '../src/engine/imports/surveyColumns.js';
import { createLogger } from '../src/logger.js';
import { createService, loadTimeSettings } from '../src/service.js';
import { ManualClock } from '../src/time/clock.js';
import { openPglite, openPostgres, recreateDatabase } from './lib/db.js';

const HOUSEHOLDS = Number(process.argv.find((a) => a.startsWith('--households='))?.slice(13) ?? 40_000);
const VILLAGES = 50;

const server = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;
let database;
if (server) {
  const base = `${server.protocol}//${server.username ? `${server.username}@` : ''}${server.host}`;
  await recreateDatabase(base, 'doudi_bench_import');
  database = await openPostgres(base, 'doudi_bench_import', 4);
} else {
  database = await openPglite(mkdtempSync(join(tmpdir(), 'doudi-bench-import-')));
}
const clock = new ManualClock('2026-03-02T01:00:00Z');
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-1', RATE_LIMIT: '0', IMPORT_MAX_BYTES: String(64 << 20) });
const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
const service = createService({ config, logger, database, clock });
const { app, engine } = service;
await app.ready();
await loadTimeSettings(service);

const township = '411282108';
const villages = Array.from({ length: VILLAGES }, (_, i) => `${township}${String(201 + i).padStart(3, '0')}`);
await insertRegions(database.db, [
  { code: '410000000000', level: 'province', parentCode: null, name: '河南省' },
  { code: '411200000000', level: 'prefecture', parentCode: '410000000000', name: '三门峡市' },
  { code: '411282000000', level: 'county', parentCode: '411200000000', name: '灵宝市' },
  { code: `${township}000`, level: 'township', parentCode: '411282000000', name: '苏村乡' },
  ...villages.map((code, i) => ({ code, level: 'village' as const, parentCode: `${township}000`, name: `示例村${i + 1}` })),
]);
const user = await insertUser(database.db, { username: 'bench.enumerator', displayName: '普查员', roles: ['enumerator'], jurisdiction: township });
const principal = { id: user.id, username: user.username, roles: user.roles, level: null, region: township };

/** Member k: a distinct, valid ID number (birth date from 1930 on, sequence by k), sex from the sequence. */
function member(k: number) {
  const day = new Date(Date.UTC(1930, 0, 1) + (k % 20_000) * 86_400_000).toISOString().slice(0, 10);
  const seq = Math.floor(k / 20_000) + 1;
  const first17 = `411282${day.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return { id: first17 + residentIdCheckChar(first17), birth: day, sex: seq % 2 === 1 ? '男' : '女' };
}

const genStart = performance.now();
const out = new PassThrough();
const chunks: Buffer[] = [];
out.on('data', (c: Buffer) => chunks.push(c));
const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
const ws = wb.addWorksheet('普查');
ws.addRow(surveyColumns.map((c) => c.header)).commit();
let k = 0;
let memberRows = 0;
for (let h = 1; h <= HOUSEHOLDS; h++) {
  const size = h % 2 === 0 ? 3 : 2; // 2.5 people a household: 100,000 rows for 40,000
  for (let j = 0; j < size; j++) {
    const m = member(k++);
    const byKey: Record<string, string | number | null> = {
      householdKey: `H${h}`, villageCode: j === 0 ? villages[h % VILLAGES] : null, address: j === 0 ? `示例村${(h % VILLAGES) + 1}${h}号` : null,
      name: `成员${k}`, idNumber: m.id, birthDate: j === 1 ? m.birth.replaceAll('-', '/') : m.birth, sex: m.sex, relation: j === 0 ? '户主' : '家属',
      labourCapacity: '无劳动能力', disabilityType: j === 2 ? '智力' : null, disabilityGrade: j === 2 ? 2 : null,
    };
    ws.addRow(surveyColumns.map((c) => byKey[c.key] ?? null)).commit();
    memberRows++;
  }
}
ws.commit();
await wb.commit();
const file = Buffer.concat(chunks);
console.log(`wrote ${memberRows} member rows (${HOUSEHOLDS} households) as XLSX: ${(file.length / 1048576).toFixed(1)} MB in ${((performance.now() - genStart) / 1000).toFixed(1)} s`);
chunks.length = 0;

(globalThis as { gc?: () => void }).gc?.();
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

const t0 = performance.now();
const job = await engine.imports.upload(principal, { kind: 'survey', fileName: 'bench.xlsx', bytes: file, dryRun: true, options: {} });
await engine.imports.settled(job.id);
const validated = await engine.imports.get(principal, job.id);
const validateSeconds = (performance.now() - t0) / 1000;
if (validated.status !== 'validated' || validated.issuesTotal > 0) throw new Error(`dry run: ${validated.status}, ${JSON.stringify(validated.issues.slice(0, 3))} ${JSON.stringify(validated.error)}`);

const t1 = performance.now();
await engine.imports.commit(principal, job.id);
await engine.imports.settled(job.id);
const committed = await engine.imports.get(principal, job.id);
const commitSeconds = (performance.now() - t1) / 1000;
clearInterval(sampler);
if (committed.status !== 'committed') throw new Error(`commit: ${committed.status} ${JSON.stringify(committed.error)}`);
const [n] = rowsOf<{ cases: number; members: number }>(await database.db.execute(sql`select (select count(*)::int from cases) as cases, (select count(*)::int from members) as members`));

const rate = (rowsDone: number, s: number) => Math.round(rowsDone / s).toLocaleString('en-US');
console.log(`database: ${server ? 'PostgreSQL' : 'PGlite'}; load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| step | rows | seconds | rows/s |');
console.log('|---|---:|---:|---:|');
console.log(`| dry run (parse + validate) | ${validated.rowsRead.toLocaleString('en-US')} | ${validateSeconds.toFixed(1)} | ${rate(validated.rowsRead, validateSeconds)} |`);
console.log(`| commit (one transaction; includes parsing the file again) | ${committed.rowsCommitted.toLocaleString('en-US')} | ${commitSeconds.toFixed(1)} | ${rate(committed.rowsCommitted, commitSeconds)} |`);
console.log(`cases ${n.cases.toLocaleString('en-US')}, members ${n.members.toLocaleString('en-US')}; peak RSS ${(peak / 1048576).toFixed(0)} MB (before the import ${(rssBefore / 1048576).toFixed(0)} MB)`);
await app.close();
await database.close();
