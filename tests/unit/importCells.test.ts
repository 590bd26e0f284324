// The shared cell readers and file intake of bulk import (src/imports/cells.ts, intake.ts): pure, no database.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { ID_AS_NUMBER_ZH, readDate, readEnum, readIdNumber } from '../../src/imports/cells.js';
import { csvRows, decodeCsv, defaultIntakeLimits, fileRows, mapHeader, sniffFile } from '../../src/imports/intake.js';
import { surveyColumns, labourValues } from '../../src/engine/imports/surveyColumns.js';
import { encryptedWorkbook, xlsmFile, xlsxOf, zipBomb } from '../helpers/importFiles.js';

const id17 = '41128219440315001';
const ID = id17 + residentIdCheckChar(id17); // a man born 1944-03-15
const limits = defaultIntakeLimits(1 << 20);
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'none';
};

describe('ID numbers in cells', () => {
  it('accepts a valid number as text, matching birth date and sex', () => {
    expect(readIdNumber(ID, { birthDate: '1944-03-15', sex: 'male' })).toEqual({ ok: true, value: ID });
    expect(readIdNumber(` ${ID.toLowerCase()} `)).toEqual({ ok: true, value: ID });
  });
  it('refuses an ID Excel stored as a number, or shows in scientific notation, explaining how to re-enter the column', () => {
    expect(readIdNumber(4.11282e17)).toEqual({ ok: false, message: ID_AS_NUMBER_ZH });
    expect(readIdNumber('4.11282E+17')).toEqual({ ok: false, message: ID_AS_NUMBER_ZH });
    expect(readIdNumber('4.11282e17')).toEqual({ ok: false, message: ID_AS_NUMBER_ZH });
    // A number cell saved as text after Excel rounded it to 15 significant digits.
    const r = readIdNumber('411282194403150000');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('文本');
    expect(ID_AS_NUMBER_ZH).toContain('文本');
  });
  it('refuses a wrong check character, a birth date or sex that differs from the columns', () => {
    const wrong = id17 + (residentIdCheckChar(id17) === '1' ? '2' : '1');
    expect(readIdNumber(wrong)).toEqual({ ok: false, message: '身份证号码校验位不符，可能输入有误，请核对' });
    expect(readIdNumber(ID, { birthDate: '1944-03-16' })).toEqual({ ok: false, message: '身份证号码中的出生日期与填写的出生日期不一致' });
    expect(readIdNumber(ID, { sex: 'female' })).toEqual({ ok: false, message: '身份证号码显示为男性，与“性别”一栏不一致' });
    expect(readIdNumber(null)).toMatchObject({ ok: false });
  });
  it('never repeats the number in a message', () => {
    for (const v of [ID.slice(0, 17) + 'Y', ID, '4.11282E+17']) {
      const r = readIdNumber(v, { birthDate: '1990-01-01' });
      expect(!r.ok && r.message).not.toContain(ID.slice(0, 10));
    }
  });
});

describe('dates in cells', () => {
  it('reads Excel serial numbers, Date cells and the text forms people type', () => {
    expect(readDate(16146)).toEqual({ ok: true, value: '1944-03-15' });
    expect(readDate('16146')).toEqual({ ok: true, value: '1944-03-15' });
    expect(readDate(new Date(Date.UTC(1944, 2, 15)))).toEqual({ ok: true, value: '1944-03-15' });
    for (const t of ['1944-03-15', '1944/3/15', '1944年3月15日', '1944.3.15', '19440315', ' 1944 年 3 月 15 日 ']) expect(readDate(t), t).toEqual({ ok: true, value: '1944-03-15' });
  });
  it('refuses what is not a real date', () => {
    expect(readDate('1944-02-30').ok).toBe(false);
    expect(readDate('三月十五').ok).toBe(false);
    expect(readDate(12).ok).toBe(false);
  });
});

describe('enumerations', () => {
  it('takes the Chinese label or the code, and lists the labels when neither', () => {
    expect(readEnum('无劳动能力', labourValues)).toEqual({ ok: true, value: 'none' });
    expect(readEnum('Partial', labourValues)).toEqual({ ok: true, value: 'partial' });
    const r = readEnum('能干活', labourValues);
    expect(r).toEqual({ ok: false, message: '“能干活”不是可选值，可填：有劳动能力、部分丧失劳动能力、无劳动能力' });
  });
});

describe('file intake', () => {
  it('decodes GBK CSV (no BOM) and UTF-8 with or without BOM', () => {
    const text = '户编号,姓名\r\n1,"张,三"\r\n';
    expect(decodeCsv(iconv.encode(text, 'gbk'))).toEqual({ text, encoding: 'gb18030' });
    expect(decodeCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toEqual({ text, encoding: 'utf-8' });
    expect(decodeCsv(Buffer.from(text))).toEqual({ text, encoding: 'utf-8' });
    expect([...csvRows(text)]).toEqual([{ row: 1, cells: ['户编号', '姓名'] }, { row: 2, cells: ['1', '张,三'] }]);
  });
  it('refuses a file over the size, a zip bomb, a macro workbook, an encrypted workbook, a legacy or binary file', async () => {
    expect(codeOf(() => sniffFile(Buffer.alloc((1 << 20) + 1, 0x41), limits))).toBe('IMPORT_FILE_TOO_LARGE');
    expect(codeOf(() => sniffFile(zipBomb(4), limits))).toBe('IMPORT_ZIP_BOMB');
    expect(codeOf(() => sniffFile(xlsmFile(), limits))).toBe('IMPORT_MACRO_WORKBOOK');
    expect(codeOf(() => sniffFile(encryptedWorkbook(), limits))).toBe('IMPORT_WORKBOOK_ENCRYPTED');
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600)]);
    expect(codeOf(() => sniffFile(xls, limits))).toBe('IMPORT_FORMAT_UNKNOWN');
    expect(codeOf(() => sniffFile(Buffer.from([1, 0, 2, 3]), limits))).toBe('IMPORT_FORMAT_UNKNOWN');
    expect(sniffFile(await xlsxOf([]), limits)).toBe('xlsx');
    expect(sniffFile(Buffer.from('a,b\n'), limits)).toBe('csv');
  });
  it('reads Chinese text whole from a large XLSX: a character split between two inflated chunks (scripts/patch-exceljs.mjs)', async () => {
    const text = '无劳动能力，部分丧失劳动能力';
    const rows = Array.from({ length: 6000 }, (_, i) => [`${text}${i}`, i % 2 ? '男' : '女']);
    let seen = 0;
    const broken: string[] = [];
    for await (const r of fileRows(await xlsxOf(rows, ['说明', '性别']), 'xlsx')) {
      if (r.row === 1) continue;
      seen++;
      if (String(r.cells[0]).includes('\uFFFD') || String(r.cells[1]).includes('\uFFFD')) broken.push(String(r.cells[0]));
    }
    expect(seen).toBe(6000);
    expect(broken).toEqual([]);
  });
  it('maps headers (with marks people add), and names missing and unknown ones', () => {
    const headers = surveyColumns.map((c) => (c.required ? `${c.header}*` : c.header));
    expect(mapHeader(headers, surveyColumns)).toEqual(surveyColumns.map((c) => c.key));
    let err: { code?: string; details?: unknown; messageZh?: string } = {};
    try {
      mapHeader(['户编号', '名字', '身份证号码'], surveyColumns);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('IMPORT_HEADER_INVALID');
    expect(err.details).toMatchObject({ unknown: ['名字'], missing: expect.arrayContaining(['村代码', '姓名', '出生日期']) });
    expect(err.messageZh).toContain('缺少必填列');
  });
});
