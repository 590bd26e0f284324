/**
 * Real import files for tests: XLSX written by ExcelJS, CSV encoded to GBK by iconv-lite, and zips built byte by
 * byte (a zip bomb, a macro-enabled workbook) with node:zlib.
 */
import { deflateRawSync, crc32 } from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { surveyColumns } from '../../src/engine/imports/surveyColumns.js';
import { idNumber, V } from './service.js';

export type Cell = string | number | Date | null;

export const SURVEY_HEADERS = surveyColumns.map((c) => c.header);

export interface MemberSpec {
  key: string;
  village?: string | null;
  address?: string | null;
  name: string;
  id?: string | number;
  birth: string | number | Date;
  sex?: string;
  relation?: string;
  labour?: string;
  disabilityType?: string | null;
  disabilityGrade?: number | null;
}

/** One row in template column order. */
export function surveyRow(m: MemberSpec): Cell[] {
  const birthIso = typeof m.birth === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(m.birth) ? m.birth : '1950-01-01';
  const byKey: Record<string, Cell> = {
    householdKey: m.key,
    villageCode: m.village === undefined ? V.sunjiagou : m.village,
    address: m.address === undefined ? `孙家沟村${m.key}号` : m.address,
    poorId: null,
    name: m.name,
    idNumber: m.id ?? idNumber(birthIso, m.sex === '女' ? 'female' : 'male'),
    birthDate: m.birth,
    sex: m.sex ?? '男',
    relation: m.relation ?? '户主',
    labourCapacity: m.labour ?? '无劳动能力',
    disabilityType: m.disabilityType ?? null,
    disabilityGrade: m.disabilityGrade ?? null,
    seriousIllness: null,
    severeMentalDisorder: null,
    supporterName: null,
    supporterRelation: null,
    supporterPhone: null,
    supporterAddress: null,
  };
  return surveyColumns.map((c) => byKey[c.key] ?? null);
}

/** `n` households of two members each (head aged ~76, spouse), all valid, in one village. */
export function households(n: number, prefix = 'h', village: string = V.sunjiagou): Cell[][] {
  const rows: Cell[][] = [];
  for (let i = 1; i <= n; i++) {
    rows.push(surveyRow({ key: `${prefix}${i}`, village, name: `户主${i}`, birth: '1950-03-15' }));
    rows.push(surveyRow({ key: `${prefix}${i}`, village: null, address: null, name: `配偶${i}`, birth: '1952-07-01', sex: '女', relation: '配偶' }));
  }
  return rows;
}

export async function xlsxOf(rows: Cell[][], headers: string[] = SURVEY_HEADERS): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('普查');
  ws.addRow(headers);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const csvCell = (v: Cell) => {
  const s = v === null ? '' : v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function csvText(rows: Cell[][], headers: string[] = SURVEY_HEADERS): string {
  return [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** CSV as Chinese Excel saves it: GBK bytes, no BOM. */
export const gbkCsvOf = (rows: Cell[][], headers?: string[]) => iconv.encode(csvText(rows, headers), 'gbk');

/** A zip of the given entries (deflated), as a real zip tool writes it. */
export function zipOf(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const tiny = (s: string) => Buffer.from(s, 'utf8');

/** A workbook-shaped zip whose sheet inflates to `mb` MB of zeros: a zip bomb (about 1000 to 1). */
export const zipBomb = (mb: number) =>
  zipOf([
    { name: '[Content_Types].xml', data: tiny('<Types/>') },
    { name: 'xl/workbook.xml', data: tiny('<workbook/>') },
    { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(mb << 20) },
  ]);

/** A macro-enabled workbook's parts (.xlsm): a VBA project inside. */
export const xlsmFile = () =>
  zipOf([
    { name: '[Content_Types].xml', data: tiny('<Types><Default ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>') },
    { name: 'xl/workbook.xml', data: tiny('<workbook/>') },
    { name: 'xl/vbaProject.bin', data: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2, 3]) },
  ]);

/**
 * What Excel writes for a workbook saved with a password: an OLE compound file (header D0 CF 11 E0 A1 B1 1A E1)
 * whose directory names the EncryptionInfo and EncryptedPackage streams (UTF-16LE). Only the parts intake reads.
 */
export function encryptedWorkbook(): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  const dir = Buffer.alloc(512);
  Buffer.from('EncryptionInfo', 'utf16le').copy(dir, 0);
  Buffer.from('EncryptedPackage', 'utf16le').copy(dir, 128);
  return Buffer.concat([header, dir, Buffer.alloc(1024, 0x5a)]);
}
