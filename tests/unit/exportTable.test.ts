// exportReport: any ReportTable — built here, with array rows and with streamed rows — written as XLSX (read back
// with ExcelJS) and as CSV: typed cells, dates in China time, the frozen header, formula escaping, quoting.
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { escapeText } from '../../src/exports/cells.js';
import { exportFileName, exportReport, HEADER_ROW, type ExportFormat } from '../../src/exports/index.js';
import type { ReportRow, ReportTable } from '../../src/reports/table.js';

type Row = { county: string; households: number; share: number; wage: number; ratio: number; asOf: string; readAt: Date | string; note: string | null };

function table(rows: Row[] | AsyncIterable<Row>): ReportTable<Row> {
  return {
    id: 'funding-by-county',
    title: '护理人员经费测算',
    scope: '4112',
    generatedAt: new Date('2026-03-01T16:30:00Z'), // 2026-03-02 00:30 in China
    columns: [
      { key: 'county', label: '县（市、区）', type: 'text' },
      { key: 'households', label: '户数', type: 'integer' },
      { key: 'share', label: '占比', type: 'percent' },
      { key: 'wage', label: '县级负担（元）', type: 'money' },
      { key: 'ratio', label: '比值', type: 'decimal' },
      { key: 'asOf', label: '统计日期', type: 'date' },
      { key: 'readAt', label: '读取时间', type: 'dateTime' },
      { key: 'note', label: '备注', type: 'text' },
    ],
    rows,
  };
}

const ROWS: Row[] = [
  { county: '灵宝市', households: 3360, share: 0.28, wage: 24_192_000, ratio: 1.5, asOf: '2026-03-01', readAt: new Date('2026-03-01T16:30:00Z'), note: null },
  { county: '=1+2', households: -12, share: -0.125, wage: -4000.5, ratio: 0, asOf: '2026-12-31', readAt: '2026-12-31T17:59:00.000Z', note: '-5 户, "待核"' },
  { county: '@SUM(A1)', households: 0, share: 1, wage: 0.1, ratio: 2.25, asOf: '2026-01-01', readAt: new Date('2026-01-01T00:00:00Z'), note: '\tTAB\r\nCR' },
];

async function* slowly(rows: Row[]): AsyncGenerator<Row> {
  for (const r of rows) {
    await new Promise((resolve) => setImmediate(resolve));
    yield r;
  }
}

async function run<R extends ReportRow>(t: ReportTable<R>, format: ExportFormat) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => out.on('end', resolve));
  const { rowCount } = await exportReport(t, format, out, { scopeLabel: '三门峡市（4112）' });
  await ended;
  return { rowCount, bytes: Buffer.concat(chunks) };
}

describe('exportReport as XLSX', () => {
  for (const [name, rows] of [['array rows', () => ROWS], ['async-iterable rows', () => slowly(ROWS)]] as const) {
    it(`writes typed cells, China-time dates, a frozen header and escaped formulas (${name})`, async () => {
      const { rowCount, bytes } = await run(table(rows()), 'xlsx');
      expect(rowCount).toBe(3);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(bytes as unknown as ArrayBuffer);
      const ws = wb.worksheets[0];
      expect(ws.name).toBe('护理人员经费测算');
      expect(ws.getCell('A1').value).toBe('护理人员经费测算');
      expect(ws.getCell('A2').value).toBe('范围：三门峡市（4112）　生成时间：2026-03-02 00:30');
      expect(HEADER_ROW).toBe(3);
      expect((ws.getRow(3).values as unknown[]).slice(1)).toEqual(['县（市、区）', '户数', '占比', '县级负担（元）', '比值', '统计日期', '读取时间', '备注']);
      expect(ws.getRow(3).getCell(1).font?.bold).toBe(true);
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3, topLeftCell: 'A4' });
      expect(ws.autoFilter).toBe('A3:H3');
      expect(ws.rowCount).toBe(6);

      const r4 = ws.getRow(4);
      expect(r4.getCell(1).value).toBe('灵宝市');
      expect(r4.getCell(2).value).toBe(3360);
      expect(r4.getCell(3).value).toBe(0.28);
      expect(r4.getCell(3).numFmt).toBe('0.0%');
      expect(r4.getCell(4).value).toBe(24_192_000);
      expect(r4.getCell(4).numFmt).toBe('#,##0.00');
      expect(r4.getCell(5).value).toBe(1.5);
      // A date is that calendar date; an instant its China wall-clock time (Excel dates carry no zone).
      expect(r4.getCell(6).value).toEqual(new Date('2026-03-01T00:00:00Z'));
      expect(r4.getCell(6).numFmt).toBe('yyyy-mm-dd');
      expect(r4.getCell(7).value).toEqual(new Date('2026-03-02T00:30:00Z'));
      expect(r4.getCell(7).numFmt).toBe('yyyy-mm-dd hh:mm');
      expect(r4.getCell(8).value).toBeNull();

      const r5 = ws.getRow(5);
      // Text that a spreadsheet would run is escaped; negative numbers stay numbers.
      expect(r5.getCell(1).value).toBe("'=1+2");
      expect(r5.getCell(2).value).toBe(-12);
      expect(r5.getCell(3).value).toBe(-0.125);
      expect(r5.getCell(4).value).toBe(-4000.5);
      expect(r5.getCell(7).value).toEqual(new Date('2027-01-01T01:59:00Z'));
      expect(r5.getCell(8).value).toBe('\'-5 户, "待核"');
      expect(ws.getRow(6).getCell(1).value).toBe("'@SUM(A1)");
      // (XML turns CR LF inside a cell into LF on reading.)
      expect(ws.getRow(6).getCell(8).value).toMatch(/^'\tTAB\r?\nCR$/);
      // No cell is a formula.
      ws.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula)));
      // Widths from the labels and values, CJK counted double.
      expect(ws.getColumn(1).width).toBeGreaterThanOrEqual(14);
      expect(ws.getColumn(6).width).toBe(12);
    });
  }

  it('writes an empty table as its header alone', async () => {
    const { rowCount, bytes } = await run(table([]), 'xlsx');
    expect(rowCount).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(wb.worksheets[0].getRow(3).getCell(2).value).toBe('户数');
    expect(wb.worksheets[0].rowCount).toBe(3);
  });
});

describe('exportReport as CSV', () => {
  it('is UTF-8 with a BOM, CRLF, RFC 4180 quoting, escaped formulas and plain numbers', async () => {
    const { rowCount, bytes } = await run(table(slowly(ROWS)), 'csv');
    expect(rowCount).toBe(3);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toBe(
      '\uFEFF' +
        [
          '县（市、区）,户数,占比,县级负担（元）,比值,统计日期,读取时间,备注',
          '灵宝市,3360,28%,24192000.00,1.5,2026-03-01,2026-03-02 00:30:00,',
          `'=1+2,-12,-12.5%,-4000.50,0,2026-12-31,2027-01-01 01:59:00,"'-5 户, ""待核"""`,
          `'@SUM(A1),0,100%,0.10,2.25,2026-01-01,2026-01-01 08:00:00,"'\tTAB\r\nCR"`,
        ].join('\r\n') +
        '\r\n',
    );
  });
});

describe('escaping and names', () => {
  it('escapes text starting with = + - @, tab, CR and their full-width forms, and nothing else', () => {
    for (const s of ['=A1', '+1', '-1', '@x', '\tx', '\rx', '＝A1', '＋1', '－1', '＠x']) expect(escapeText(s)).toBe(`'${s}`);
    for (const s of ['孙某', '411282**********12', 'a=b', ' =1', '', '1-2']) expect(escapeText(s)).toBe(s);
  });

  it('names the file by table, scope and China date', () => {
    expect(exportFileName(table([]), 'xlsx')).toBe('funding-by-county-4112-20260302.xlsx');
  });
});
