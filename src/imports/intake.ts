/**
 * File intake: what a file is, whether it is safe to open, and its rows. The file is held whole in memory (it
 * is size-limited and kept in the job's row), so the checks look at its bytes before anything parses it:
 *
 * - OOXML (XLSX) is a zip: its central directory is read first — the declared uncompressed sizes and ratios
 *   (a zip bomb is refused before anything inflates it), a VBA project (a macro-enabled .xlsm), a workbook part.
 * - An encrypted (password-protected) OOXML workbook is not a zip but an OLE compound file (D0 CF 11 E0 …)
 *   holding EncryptionInfo / EncryptedPackage streams; a legacy .xls is an OLE file too. Both are refused, with
 *   what to do.
 * - Anything else must be text: CSV in UTF-8 (with or without BOM), else GB18030 (GBK's superset: what Chinese
 *   Excel writes), decoded with iconv-lite.
 *
 * Rows are then streamed: XLSX through ExcelJS's streaming reader (the first worksheet), CSV by a small RFC 4180
 * reader. Row numbers are the spreadsheet's (the header is row 1).
 */
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { AppError } from '../errors.js';
import type { CellValue, ImportColumn } from './kind.js';

export type FileFormat = 'xlsx' | 'csv';

export interface IntakeLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Largest total declared uncompressed size of a workbook's parts. */
  maxUncompressedBytes: number;
  /** Largest compression ratio of one part (a sheet of repeated rows compresses ~10–30×; a bomb ~1000×). */
  maxRatio: number;
}

export const defaultIntakeLimits = (maxBytes: number): IntakeLimits => ({ maxBytes, maxUncompressedBytes: Math.max(maxBytes * 40, 64 << 20), maxRatio: 200 });

const importError = (code: ConstructorParameters<typeof AppError>[0], message: string, messageZh: string, details?: unknown) =>
  new AppError(code, { message, messageZh, details: details as never });

/** Checks a file and says what it is; throws the catalogue's IMPORT_* errors. Reads no cell. */
export function sniffFile(bytes: Buffer, limits: IntakeLimits): FileFormat {
  if (bytes.length > limits.maxBytes) {
    throw importError('IMPORT_FILE_TOO_LARGE', `The file is over ${limits.maxBytes} bytes`, `文件超过 ${formatBytes(limits.maxBytes)} 的上限，请按村或乡镇拆分后分别导入`, { limitBytes: limits.maxBytes });
  }
  if (bytes.length === 0) throw importError('IMPORT_FORMAT_UNKNOWN', 'The file is empty', '文件是空的', { reason: 'empty' });
  if (bytes.readUInt32BE(0) === 0xd0cf11e0 && bytes.length >= 8 && bytes.readUInt32BE(4) === 0xa1b11ae1) {
    if (hasUtf16(bytes, 'EncryptionInfo') || hasUtf16(bytes, 'EncryptedPackage')) {
      throw importError('IMPORT_WORKBOOK_ENCRYPTED', 'The workbook is password-protected', '工作簿设置了打开密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存为 .xlsx 再导入');
    }
    throw importError('IMPORT_FORMAT_UNKNOWN', 'A legacy .xls workbook: save it as .xlsx', '这是旧版 Excel 97-2003（.xls）文件，请在 Excel 中另存为“Excel 工作簿（.xlsx）”后再导入', { reason: 'xls' });
  }
  if (bytes.readUInt32BE(0) === 0x504b0304) {
    checkZip(bytes, limits);
    return 'xlsx';
  }
  if (looksBinary(bytes)) throw importError('IMPORT_FORMAT_UNKNOWN', 'Not an XLSX or CSV file', '无法识别的文件格式，请上传 Excel 工作簿（.xlsx）或 CSV 文件', { reason: 'binary' });
  return 'csv';
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MB` : `${Math.round(n / 1024)} KB`;
}

function hasUtf16(bytes: Buffer, name: string): boolean {
  return bytes.includes(Buffer.from(name, 'utf16le'));
}

/** NUL bytes in the first 8 KB: not text (UTF-16 CSV is not accepted either). */
function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

/** The zip's central directory (names and declared sizes), read without inflating anything. */
export function zipEntries(bytes: Buffer): ZipEntry[] {
  // The end-of-central-directory record is in the last 22 + 65,535 bytes (its comment is at most 64 KB).
  const from = Math.max(0, bytes.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= from; i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw importError('IMPORT_FORMAT_UNKNOWN', 'A damaged zip file', '文件已损坏（不是完整的 .xlsx），请重新保存后再导入', { reason: 'zip' });
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) {
      throw importError('IMPORT_FORMAT_UNKNOWN', 'A damaged zip file', '文件已损坏（不是完整的 .xlsx），请重新保存后再导入', { reason: 'zip' });
    }
    const compressedSize = bytes.readUInt32LE(at + 20);
    const uncompressedSize = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    out.push({ name: bytes.toString('utf8', at + 46, at + 46 + nameLength), compressedSize, uncompressedSize });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

function checkZip(bytes: Buffer, limits: IntakeLimits): void {
  const entries = zipEntries(bytes);
  const bomb = () =>
    importError('IMPORT_ZIP_BOMB', 'The workbook expands to far more than its size: refused unopened', '文件解压后的体积异常巨大（疑似“压缩炸弹”），已拒绝，未打开。请上传正常保存的 Excel 文件', {
      limitBytes: limits.maxUncompressedBytes,
    });
  let total = 0;
  for (const e of entries) {
    // 0xFFFFFFFF: the real size is in a ZIP64 extra field — far over any limit of ours anyway.
    if (e.uncompressedSize === 0xffffffff || e.compressedSize === 0xffffffff) throw bomb();
    total += e.uncompressedSize;
    if (e.uncompressedSize > 1 << 20 && e.uncompressedSize > Math.max(1, e.compressedSize) * limits.maxRatio) throw bomb();
  }
  if (total > limits.maxUncompressedBytes) throw bomb();
  if (entries.some((e) => /(^|\/)vbaProject\.bin$/i.test(e.name) || /macroEnabled/i.test(e.name))) {
    throw importError('IMPORT_MACRO_WORKBOOK', 'A macro-enabled workbook (.xlsm) is not accepted', '文件含有宏（.xlsm），为安全起见不予读取。请在 Excel 中另存为“Excel 工作簿（.xlsx）”后再导入');
  }
  if (!entries.some((e) => e.name === 'xl/workbook.xml')) {
    throw importError('IMPORT_FORMAT_UNKNOWN', 'A zip file that is not an Excel workbook', '这不是 Excel 工作簿（.xlsx），请上传 .xlsx 或 CSV 文件', { reason: 'notWorkbook' });
  }
}

/** A CSV file's text: UTF-8 when its bytes are valid UTF-8 (BOM dropped), else GB18030 (covers GBK and GB2312). */
export function decodeCsv(bytes: Buffer): { text: string; encoding: 'utf-8' | 'gb18030' } {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    return { text: iconv.decode(body, 'gb18030'), encoding: 'gb18030' };
  }
}

/** Rows of RFC 4180 CSV (quotes, doubled quotes, CR LF or LF); blank lines skipped but counted. */
export function* csvRows(text: string): Generator<{ row: number; cells: string[] }> {
  let row = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    const startRow = row;
    for (; i < n; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i++;
          } else quoted = false;
        } else {
          if (c === '\n') row++;
          cell += c;
        }
      } else if (c === '"' && cell === '') quoted = true;
      else if (c === ',') {
        cells.push(cell);
        cell = '';
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        i++;
        break;
      } else cell += c;
    }
    cells.push(cell);
    row++;
    if (cells.length === 1 && cells[0].trim() === '') continue;
    yield { row: startRow, cells };
  }
}

/** One cell of ExcelJS to ours: rich text joined, a formula's cached result, a hyperlink's text, an error as null. */
export function excelCell(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: unknown };
    if (Array.isArray(o.richText)) return o.richText.map((r) => r.text).join('');
    if ('result' in o) return excelCell(o.result);
    if ('error' in o) return null;
    if (typeof o.text === 'string') return o.text;
  }
  return null;
}

export interface SheetRow {
  row: number;
  cells: CellValue[];
}

/** The rows of a file, the header row first; XLSX streamed (first worksheet), CSV decoded then split. */
export async function* fileRows(bytes: Buffer, format: FileFormat): AsyncGenerator<SheetRow> {
  if (format === 'csv') {
    for (const r of csvRows(decodeCsv(bytes).text)) yield r;
    return;
  }
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'emit',
  });
  for await (const sheet of reader) {
    for await (const r of sheet as AsyncIterable<ExcelJS.Row>) {
      const values = r.values as unknown[];
      // values is 1-based (index 0 unused) and sparse.
      const cells: CellValue[] = [];
      for (let c = 1; c < values.length; c++) cells.push(excelCell(values[c]));
      yield { row: r.number, cells };
    }
    return; // the first worksheet only
  }
}

/** A header as written, without marks people add: spaces, a trailing * or （必填）. */
const normalHeader = (h: CellValue) =>
  String(h ?? '')
    .replace(/[\s\u3000]/g, '')
    .replace(/[*＊]$/, '')
    .replace(/[（(]必填[)）]$/, '');

/**
 * The header row against the kind's columns: each file column's key (null: an empty header over an empty
 * column is ignored). Unknown or missing-required headers are one IMPORT_HEADER_INVALID listing all of them.
 */
export function mapHeader(header: readonly CellValue[], columns: readonly ImportColumn[]): (string | null)[] {
  const byHeader = new Map(columns.map((c) => [normalHeader(c.header), c]));
  const keys: (string | null)[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  const duplicate: string[] = [];
  for (const h of header) {
    const name = normalHeader(h);
    if (name === '') {
      keys.push(null);
      continue;
    }
    const col = byHeader.get(name);
    if (!col) unknown.push(name.slice(0, 30));
    else if (seen.has(col.key)) duplicate.push(col.header);
    else seen.add(col.key);
    keys.push(col && !duplicate.includes(col.header) ? col.key : null);
  }
  const missing = columns.filter((c) => c.required && !seen.has(c.key)).map((c) => c.header);
  if (unknown.length || missing.length || duplicate.length) {
    const parts = [
      missing.length ? `缺少必填列：${missing.join('、')}` : '',
      unknown.length ? `无法识别的列：${unknown.join('、')}` : '',
      duplicate.length ? `重复的列：${duplicate.join('、')}` : '',
    ].filter(Boolean);
    throw importError('IMPORT_HEADER_INVALID', 'The header row does not match the template', `第1行表头与模板不符：${parts.join('；')}。请下载模板，按模板的列名填写`, { missing, unknown, duplicate });
  }
  return keys;
}
