/**
 * `npx tsx scripts/export-picture.ts`: docs/exports-roster.png — a picture of a real export. The service is built
 * on an in-memory PGlite with the demo data; 灵宝市's supervisor (lb-supervisor, ID numbers masked) downloads the
 * 花名册 of 灵宝市 as XLSX; the file is read back with ExcelJS and drawn as a spreadsheet grid (column letters,
 * row numbers, the frozen rows above the line, numbers right-aligned, dates as the number format shows them) in
 * Chromium. No LibreOffice on this machine: the picture shows the file's cells as ExcelJS reads them, not Excel's
 * own rendering. Also leaves the file at /tmp/doudi-roster.xlsx.
 */
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { loadConfig } from '../src/config.js';
import { createDb, migrate } from '../src/db/index.js';
import { createLogger } from '../src/logger.js';
import { createService, loadTimeSettings } from '../src/service.js';
import { findDemoUser, seedDemo } from '../src/seed/index.js';
import { ManualClock } from '../src/time/clock.js';
import { launchChromium } from '../tests/helpers/browser.js';

const database = await createDb({ dataDir: 'memory://' });
await migrate(database);
const clock = new ManualClock('2026-03-02T01:00:00Z');
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'picture-secret-picture-secret-picture-1' });
const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
const service = createService({ config, logger, database, clock });
await service.app.ready();
await loadTimeSettings(service);
await seedDemo({ db: database.db, engine: service.engine, clock, logger });
const user = (await service.engine.accounts.loadUser(findDemoUser('lb-supervisor')!.id))!;
const cookie = `doudi_session=${(await service.engine.accounts.startSession(user, { via: 'password' })).cookie}`;
const res = await service.app.inject({ method: 'GET', url: '/exports/roster.xlsx', headers: { cookie } });
if (res.statusCode !== 200) throw new Error(`export: ${res.statusCode} ${res.body}`);
writeFileSync('/tmp/doudi-roster.xlsx', res.rawPayload);

const wb = new ExcelJS.Workbook();
await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
const ws = wb.worksheets[0];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const shown = (v: ExcelJS.CellValue, fmt: string | undefined) => {
  if (v instanceof Date) return fmt?.includes('hh') ? v.toISOString().slice(0, 16).replace('T', ' ') : v.toISOString().slice(0, 10);
  return v === null || v === undefined ? '' : String(v);
};
const cols = ws.columnCount;
const frozen = (ws.views[0] as { ySplit?: number }).ySplit ?? 0;
let html = `<table><tr><th></th>${Array.from({ length: cols }, (_, i) => `<th style="width:${Math.round((ws.getColumn(i + 1).width ?? 10) * 7.5)}px">${ws.getColumn(i + 1).letter}</th>`).join('')}</tr>`;
for (let r = 1; r <= ws.rowCount; r++) {
  const row = ws.getRow(r);
  html += `<tr class="${r === frozen ? 'frozen' : ''}"><th>${r}</th>`;
  for (let c = 1; c <= cols; c++) {
    const cell = row.getCell(c);
    const num = typeof cell.value === 'number' || cell.value instanceof Date;
    const style = [cell.font?.bold ? 'font-weight:bold' : '', cell.fill && 'fgColor' in cell.fill ? `background:#${cell.fill.fgColor?.argb?.slice(2)}` : '', num ? 'text-align:right' : '', r === 1 ? 'font-size:16px' : ''].join(';');
    html += r <= 2 && c > 1 ? '' : `<td${r <= 2 ? ` colspan="${cols}"` : ''} style="${style}">${esc(shown(cell.value, cell.numFmt))}</td>`;
  }
  html += '</tr>';
}
html += '</table>';
const page = `<!doctype html><meta charset="utf-8"><style>
body{margin:0;font:13px "Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;background:#fff}
table{border-collapse:collapse;table-layout:fixed} th{background:#f0f0f0;color:#555;font-weight:normal;border:1px solid #ccc;padding:2px 4px;min-width:28px}
td{border:1px solid #e0e0e0;padding:2px 4px;white-space:nowrap;overflow:hidden} tr.frozen td,tr.frozen th{border-bottom:2px solid #6b8fb3}
caption{caption-side:bottom;text-align:left;color:#666;padding:6px}</style>
<div id="sheet">${html}<p style="color:#666;margin:6px">工作表「${esc(ws.name)}」：第 1–${frozen} 行冻结，第 ${frozen} 行为表头（自动筛选 ${esc(String(ws.autoFilter ?? ''))}）。</p></div>`;
const browser = await launchChromium();
const tab = await browser.newPage({ viewport: { width: 1500, height: 400 }, deviceScaleFactor: 1 });
await tab.setContent(page);
await tab.locator('#sheet').screenshot({ path: new URL('../docs/exports-roster.png', import.meta.url).pathname });
await browser.close();
await service.app.close();
await database.close();
console.log('docs/exports-roster.png', ws.rowCount - frozen, 'rows');
