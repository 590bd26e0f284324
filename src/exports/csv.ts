/**
 * A table as CSV for Chinese Excel: UTF-8 with a byte-order mark (without it Excel reads the file as GBK and
 * the Chinese turns to mojibake), CRLF line ends, RFC 4180 quoting, the zh-CN column labels as the header, and
 * every text cell escaped against formula injection (cells.ts). Rows are written as they arrive.
 *
 * Excel shows a long run of digits in a CSV as a number (an 18-digit ID number becomes 4.11282E+17): full ID
 * numbers belong in the XLSX export, where they are text cells. Masked numbers (411282**********12) are text anyway.
 */
import type { Writable } from 'node:stream';
import type { ReportRow, ReportTable } from '../reports/table.js';
import { csvQuote, csvText, escapeText } from './cells.js';
import { rowsOf, write } from './rows.js';

const BOM = '\uFEFF';
const CRLF = '\r\n';
/** Rows per write: one write per row costs more than the formatting. */
const ROWS_PER_CHUNK = 200;

export async function writeCsv(table: ReportTable, out: Writable): Promise<{ rowCount: number }> {
  const cols = table.columns;
  await write(out, BOM + cols.map((c) => csvQuote(escapeText(c.label))).join(',') + CRLF);
  let rowCount = 0;
  let chunk = '';
  let inChunk = 0;
  for await (const row of rowsOf(table)) {
    chunk += cols.map((c) => csvQuote(csvText(c, (row as ReportRow)[c.key]))).join(',') + CRLF;
    rowCount++;
    if (++inChunk === ROWS_PER_CHUNK) {
      await write(out, chunk);
      chunk = '';
      inChunk = 0;
    }
  }
  if (chunk) await write(out, chunk);
  return { rowCount };
}
