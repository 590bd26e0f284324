/**
 * A report or list as a table: the one shape that the report pages, the report API and the exports (XLSX, CSV)
 * share, so that every report can be exported and every export has Chinese headers and typed cells.
 *
 * - `label` is the zh-CN column header users see; `key` is the English field name API clients see.
 * - `type` decides how a cell is written: 'integer' and 'decimal' as numbers, 'money' as yuan with two decimals,
 *   'percent' as a fraction (0.25 shows as 25%), 'date' as a China-time calendar date (YYYY-MM-DD strings),
 *   'dateTime' as an instant (Date or ISO string, shown in China time), 'text' as text.
 * - `rows` may be an array (a report) or an async iterable (a long list streamed from the database).
 *
 * Masking happens before a row reaches a table: a table never holds a value its reader may not see.
 */
export type ColumnType = 'text' | 'integer' | 'decimal' | 'money' | 'percent' | 'date' | 'dateTime';

export interface ReportColumn<K extends string = string> {
  key: K;
  label: string;
  type: ColumnType;
}

export type ReportRow = Record<string, string | number | Date | null | undefined>;

export interface ReportTable<Row extends ReportRow = ReportRow> {
  /** Stable identifier, e.g. 'cases-by-placement-mode'; also the export's file-name stem. */
  id: string;
  /** zh-CN title, e.g. '按安置方式统计'. */
  title: string;
  columns: ReportColumn<Extract<keyof Row, string>>[];
  rows: Row[] | AsyncIterable<Row>;
  /** The region-code prefix the figures cover (the reader's jurisdiction or a narrower filter). */
  scope: string;
  /** When the figures were read. */
  generatedAt: Date;
}
