/**
 * Exports (导出): any ReportTable (src/reports/table.ts) as XLSX or CSV, written to a stream as its rows
 * arrive. Pure of the database and of HTTP: the engine builds the tables (with masking and jurisdiction),
 * src/http/sendTable.ts sends them and records the export.
 */
import type { Writable } from 'node:stream';
import type { ReportRow, ReportTable } from '../reports/table.js';
import { writeCsv } from './csv.js';
import { writeXlsx, type SheetMeta } from './xlsx.js';

export const EXPORT_FORMATS = ['xlsx', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

export type { SheetMeta };
export { escapeText } from './cells.js';
export { HEADER_ROW } from './xlsx.js';

/** Write `table` to `out` in `format`; resolves with the number of data rows once the last byte is handed on. */
export async function exportReport<Row extends ReportRow>(table: ReportTable<Row>, format: ExportFormat, out: Writable, meta: SheetMeta = {}): Promise<{ rowCount: number }> {
  const t = table as unknown as ReportTable;
  const result = format === 'xlsx' ? await writeXlsx(t, out, meta) : await writeCsv(t, out);
  if (format === 'csv') out.end();
  return result;
}

/** The download's file name: the table id, the scope and the China date, e.g. roster-411282108-20260302.xlsx. */
export function exportFileName(table: { id: string; scope: string; generatedAt: Date }, format: ExportFormat): string {
  const day = new Date(table.generatedAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(table.id)}-${safe(table.scope)}-${day}.${format}`;
}
