/**
 * A table as an XLSX workbook, written with ExcelJS's streaming writer (rows are committed and flushed into the
 * zip as they arrive; nothing holds the whole sheet): one sheet named after the table, a title line and a
 * scope / generated-at line, then the header row of zh-CN column labels, frozen (it stays in view while
 * scrolling) and with an auto-filter; typed cells (cells.ts): numbers as numbers, money as #,##0.00, percent as
 * 0.0%, dates and instants as real Excel dates in China time. Column widths come from the labels and the first
 * rows (CJK characters count double). Shared strings are off: they would keep every distinct string in memory.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { ReportColumn, ReportRow, ReportTable } from '../reports/table.js';
import { csvText, displayWidth, NUM_FMT, xlsxValue } from './cells.js';
import { drained, peek, rowsOf } from './rows.js';

/** Rows before the header: the title and the scope line. The header is row HEADER_ROW, frozen. */
export const HEADER_ROW = 3;
/** Rows read ahead to size the columns. */
const SIZE_SAMPLE = 200;
/** Rows between checks of the reader's pace. */
const ROWS_PER_YIELD = 500;

export interface SheetMeta {
  /** The scope as people name it (灵宝市 苏村乡); the table's region code when absent. */
  scopeLabel?: string;
  /** Shown in the scope line, e.g. the filters in words. */
  note?: string;
}

const FIXED_WIDTH: Partial<Record<ReportColumn['type'], number>> = { date: 12, dateTime: 17, money: 14, percent: 9 };

function columnWidth(col: ReportColumn, sample: ReportRow[]): number {
  const fixed = FIXED_WIDTH[col.type];
  let w = displayWidth(col.label);
  if (fixed) return Math.max(w + 2, fixed);
  for (const row of sample) w = Math.max(w, displayWidth(csvText(col, row[col.key])));
  return Math.min(Math.max(w + 2, 6), 60);
}

/** Excel forbids []:*?/\ in sheet names and more than 31 characters. */
export function sheetName(title: string): string {
  return title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet1';
}

function chinaTime(at: Date): string {
  const c = new Date(at.getTime() + 8 * 3600_000).toISOString();
  return `${c.slice(0, 10)} ${c.slice(11, 16)}`;
}

export async function writeXlsx(table: ReportTable, out: Writable, meta: SheetMeta = {}): Promise<{ rowCount: number }> {
  const cols = table.columns;
  const { head, all } = await peek(rowsOf(table)[Symbol.asyncIterator](), SIZE_SAMPLE);

  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Doudi 兜底';
  workbook.created = table.generatedAt;
  const sheet = workbook.addWorksheet(sheetName(table.title), {
    views: [{ state: 'frozen', xSplit: 0, ySplit: HEADER_ROW, topLeftCell: `A${HEADER_ROW + 1}`, activeCell: `A${HEADER_ROW + 1}` }],
  });
  sheet.columns = cols.map((c) => ({ key: c.key, width: columnWidth(c, head), style: { numFmt: NUM_FMT[c.type] } }));
  const lastCol = sheet.getColumn(cols.length).letter;
  sheet.autoFilter = `A${HEADER_ROW}:${lastCol}${HEADER_ROW}`;

  const title = sheet.getRow(1);
  title.getCell(1).value = table.title;
  title.getCell(1).font = { bold: true, size: 14 };
  title.commit();
  const scope = sheet.getRow(2);
  scope.getCell(1).value = [`范围：${meta.scopeLabel ?? table.scope}`, `生成时间：${chinaTime(table.generatedAt)}`, meta.note].filter(Boolean).join('　');
  scope.getCell(1).font = { color: { argb: 'FF555555' } };
  scope.commit();

  const header = sheet.getRow(HEADER_ROW);
  cols.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.label;
    cell.numFmt = '@';
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
    cell.border = { bottom: { style: 'thin', color: { argb: 'FF8899AA' } } };
    cell.alignment = { vertical: 'middle', horizontal: c.type === 'text' || c.type === 'date' || c.type === 'dateTime' ? 'left' : 'right' };
  });
  header.commit();

  let rowCount = 0;
  for await (const row of all) {
    const r = sheet.getRow(HEADER_ROW + 1 + rowCount);
    cols.forEach((c, i) => {
      const v = xlsxValue(c, (row as ReportRow)[c.key]);
      if (v === null) return;
      const cell = r.getCell(i + 1);
      cell.value = v;
      // A numeric column's cell that is not a number (e.g. '—') stays text and says so.
      if (typeof v === 'string' && c.type !== 'text') cell.numFmt = '@';
    });
    r.commit();
    rowCount++;
    if (rowCount % ROWS_PER_YIELD === 0) {
      // Let the zip stream compress and pass on what is committed, and wait for a slow reader.
      await new Promise((resolve) => setImmediate(resolve));
      await drained(out);
    }
  }
  sheet.commit();
  await workbook.commit();
  return { rowCount };
}
