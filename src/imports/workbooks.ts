/**
 * The two workbooks an import hands out: the template (Chinese headers with notes, an example row, drop-down
 * lists for enumerations, the ID-number column formatted as text so Excel cannot turn it into 4.11282E+17) and
 * the dry-run report (the file's rows again, each faulty cell filled red with a note saying what is wrong, and a
 * sheet listing every issue). Written with ExcelJS (the report with its streaming writer: memory stays flat).
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { CellValue, ImportIssue, ImportKind } from './kind.js';
import type { SheetRow } from './intake.js';

const TEMPLATE_ROWS = 2000;
const RED: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } };
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };

const colLetter = (n: number) => {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
};

export async function templateWorkbook(kind: ImportKind<unknown, unknown, unknown>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Doudi';
  const ws = wb.addWorksheet(kind.label, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = kind.columns.map((c) => ({ key: c.key, width: c.width ?? 12, style: c.type === 'idNumber' || c.type === 'regionCode' || c.type === 'text' || c.type === 'phone' ? { numFmt: '@' } : {} }));
  const header = ws.getRow(1);
  kind.columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.header;
    cell.font = { bold: true, color: c.required ? { argb: 'FFC00000' } : undefined };
    cell.fill = HEADER_FILL;
    const note = [c.required ? '必填' : '选填', c.note, c.values ? `可选：${c.values.map((v) => v.label).join('、')}` : null].filter(Boolean).join('；');
    cell.note = note;
  });
  const example = ws.getRow(2);
  kind.columns.forEach((c, i) => {
    if (c.example !== null) example.getCell(i + 1).value = c.example;
  });
  kind.columns.forEach((c, i) => {
    if (!c.values) return;
    const list = `"${c.values.map((v) => v.label).join(',')}"`;
    for (let r = 2; r <= TEMPLATE_ROWS; r++) {
      ws.getCell(`${colLetter(i + 1)}${r}`).dataValidation = { type: 'list', allowBlank: !c.required, formulae: [list], showErrorMessage: true, errorTitle: '不是可选值', error: `请从下拉列表中选择：${c.values.map((v) => v.label).join('、')}` };
    }
  });
  const help = wb.addWorksheet('填写说明');
  help.columns = [{ header: '列名', width: 16 }, { header: '是否必填', width: 10 }, { header: '说明', width: 70 }];
  for (const c of kind.columns) help.addRow([c.header, c.required ? '必填' : '选填', [c.note, c.values ? `可选：${c.values.map((v) => v.label).join('、')}` : null].filter(Boolean).join('；')]);
  help.addRow([]);
  help.addRow(['提示', '', '第2行是示例，导入前请删除。身份证号码列已设为文本格式；若从其他表格粘贴，请用“选择性粘贴 → 数值”，并确认号码没有变成 4.11282E+17 这样的形式。']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The dry-run report: `rows` are the file's rows as read (the header first), `issues` every issue found. */
export async function reportWorkbook(kind: ImportKind<unknown, unknown, unknown>, rows: AsyncIterable<SheetRow>, issues: readonly ImportIssue[], keys: (header: readonly CellValue[]) => (string | null)[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('试导入结果', { views: [{ state: 'frozen', ySplit: 1 }] });
  const byRow = new Map<number, ImportIssue[]>();
  for (const i of issues) if (i.row !== null) byRow.set(i.row, [...(byRow.get(i.row) ?? []), i]);
  let columnKeys: (string | null)[] = [];
  let width = 0;
  for await (const r of rows) {
    if (r.row === 1) {
      columnKeys = keys(r.cells);
      width = r.cells.length;
      const h = ws.getRow(1);
      r.cells.forEach((v, i) => {
        const cell = h.getCell(i + 1);
        cell.value = v as ExcelJS.CellValue;
        cell.font = { bold: true };
        cell.fill = HEADER_FILL;
      });
      h.getCell(width + 1).value = '错误说明';
      h.getCell(width + 1).font = { bold: true, color: { argb: 'FFC00000' } };
      h.commit();
      continue;
    }
    const row = ws.getRow(r.row);
    r.cells.forEach((v, i) => {
      const cell = row.getCell(i + 1);
      cell.value = v as ExcelJS.CellValue;
      if (columnKeys[i] === 'idNumber' || typeof v === 'string') cell.numFmt = '@';
    });
    const found = byRow.get(r.row);
    if (found) {
      for (const i of found) {
        const at = i.column === null ? -1 : columnKeys.indexOf(i.column);
        if (at < 0) continue;
        const cell = row.getCell(at + 1);
        cell.fill = RED;
        const before = typeof cell.note === 'string' ? `${cell.note}\n` : '';
        cell.note = `${before}${i.message}`;
      }
      const summary = row.getCell(width + 1);
      summary.value = found.map((i) => `${i.column ? `【${kind.columns.find((c) => c.key === i.column)?.header ?? i.column}】` : ''}${i.message}`).join('；');
      summary.font = { color: { argb: 'FFC00000' } };
    }
    row.commit();
  }
  ws.commit();
  const list = wb.addWorksheet('错误清单');
  list.columns = [{ header: '行号', width: 8 }, { header: '列', width: 16 }, { header: '错误说明', width: 90 }];
  for (const i of issues) list.addRow([i.row ?? '', i.column ? (kind.columns.find((c) => c.key === i.column)?.header ?? i.column) : '（整行/整户）', i.message]).commit();
  if (issues.length === 0) list.addRow(['', '', '没有发现错误，可以提交导入']).commit();
  list.commit();
  await wb.commit();
  await done;
  return Buffer.concat(chunks);
}
