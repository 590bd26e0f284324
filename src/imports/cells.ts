/**
 * The shared cell readers of every import kind: text, ID numbers, dates, enumerations, integers, yes/no.
 * Each returns `{ ok: true, value }` or `{ ok: false, message }` with the message in Chinese for the person
 * fixing the spreadsheet — and never repeating an ID number (personal data; the report names the cell instead).
 * Pure.
 */
import { validateResidentId } from '../domain/residentId.js';
import type { CellValue, EnumValue } from './kind.js';

export type Read<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const bad = (message: string): Read<never> => ({ ok: false, message });

/** Text as the person sees it: trimmed, full-width spaces too; empty → null. Numbers as written (no 1e+21). */
export function cellText(v: CellValue): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const t = v.replace(/^[\s\u3000]+|[\s\u3000]+$/g, '');
    return t === '' ? null : t;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return v ? '是' : '否';
  return v.toISOString().slice(0, 10);
}

export function readText(v: CellValue, maxLength: number): Read<string | null> {
  const t = cellText(v);
  if (t !== null && t.length > maxLength) return bad(`内容过长，最多 ${maxLength} 个字`);
  return ok(t);
}

/** What to tell someone whose ID column Excel turned into numbers: the digits are gone, re-enter as text. */
export const ID_AS_NUMBER_ZH =
  '身份证号码被 Excel 存成了数字（常显示为 4.11282E+17 这样的科学计数法），Excel 只保留15位有效数字，后几位已丢失，无法恢复。' +
  '请把“身份证号码”整列的单元格格式设为“文本”（或在号码前加英文单引号 \'），再按原始证件重新录入这一列后导入。';

/** A value that looks like Excel's scientific notation of a long number: 4.11282E+17, 4.11282e17. */
const SCIENTIFIC = /^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$/;

/**
 * An 18-character resident ID number (GB 11643): its check character, and — when the row gives them — the birth
 * date and sex inside it against the row's. A number cell, or text in scientific notation, is refused with how
 * to re-enter the column: Excel has already lost its last digits.
 */
export function readIdNumber(v: CellValue, row?: { birthDate?: string | null; sex?: 'male' | 'female' | null }): Read<string> {
  if (typeof v === 'number') return bad(ID_AS_NUMBER_ZH);
  const t = cellText(v)?.replace(/[\s\u3000]/g, '') ?? null;
  if (t === null) return bad('必填：请填写身份证号码');
  if (SCIENTIFIC.test(t)) return bad(ID_AS_NUMBER_ZH);
  // 18 digits whose last three are 000 and whose 16th onwards are zeros: a number cell Excel rounded, saved as text.
  if (/^\d{15}000$/.test(t) && validateResidentId(t).ok === false) {
    return bad(`${ID_AS_NUMBER_ZH}（该号码末尾为000，校验位不符，像是被 Excel 截断过）`);
  }
  if (/^\d{15}$/.test(t)) return bad('这是15位的旧身份证号码，请填写18位的居民身份证号码');
  const id = t.toUpperCase();
  const r = validateResidentId(id, row?.birthDate ?? undefined);
  if (!r.ok) return bad(r.reasonZh);
  if (row?.sex && r.sex !== row.sex) return bad(`身份证号码显示为${r.sex === 'male' ? '男性' : '女性'}，与“性别”一栏不一致`);
  return ok(id);
}

/** Excel's 1900 date system: serial 1 = 1900-01-01, with its phantom 1900-02-29 (serial 60); from 61 on, day 0 = 1899-12-30. */
export function excelSerialToIso(serial: number): string | null {
  if (!Number.isFinite(serial) || serial < 61 || serial > 2958465) return null;
  const ms = Date.UTC(1899, 11, 30) + Math.floor(serial) * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

const isRealDate = (y: number, m: number, d: number) => {
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
};
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A date: an Excel serial number (a date cell read without its format), a Date (ExcelJS, midnight UTC), or
 * text — 1944-03-15, 1944/3/15, 1944.3.15, 1944年3月15日, 19440315. Always YYYY-MM-DD out.
 */
export function readDate(v: CellValue): Read<string | null> {
  if (v === null) return ok(null);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return bad('不是有效日期');
    // ExcelJS gives a date cell as that day's midnight UTC; round to the nearest day against float noise.
    return ok(new Date(Math.round(v.getTime() / 86_400_000) * 86_400_000).toISOString().slice(0, 10));
  }
  if (typeof v === 'number') {
    const iso = excelSerialToIso(v);
    return iso ? ok(iso) : bad('不是有效日期（数字不像 Excel 日期）');
  }
  const t = cellText(v);
  if (t === null) return ok(null);
  if (/^\d{5}(\.\d+)?$/.test(t)) {
    const iso = excelSerialToIso(Number(t));
    if (iso) return ok(iso);
  }
  const m = /^(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))$/.exec(t);
  if (!m) return bad('日期格式不对，请写成 1944-03-15、1944/3/15 或 1944年3月15日');
  const y = Number(m[1]);
  const mo = Number(m[2] ?? m[4] ?? m[6]);
  const d = Number(m[3] ?? m[5] ?? m[7]);
  if (!isRealDate(y, mo, d)) return bad('不是有效日期');
  return ok(`${y}-${pad(mo)}-${pad(d)}`);
}

/** A value of an enumeration by its Chinese label or its code (case-insensitive); the message lists the labels. */
export function readEnum(v: CellValue, values: readonly EnumValue[]): Read<string | null> {
  const t = cellText(v);
  if (t === null) return ok(null);
  const lower = t.toLowerCase();
  const found = values.find((e) => e.label === t || e.code.toLowerCase() === lower);
  return found ? ok(found.code) : bad(`“${t.slice(0, 20)}”不是可选值，可填：${values.map((e) => e.label).join('、')}`);
}

export function readInteger(v: CellValue, min: number, max: number): Read<number | null> {
  const t = cellText(v);
  if (t === null) return ok(null);
  if (!/^[0-9]+$/.test(t)) return bad(`应为 ${min} 到 ${max} 的整数`);
  const n = Number(t);
  return n >= min && n <= max ? ok(n) : bad(`应为 ${min} 到 ${max} 的整数`);
}

export const yesNo: readonly EnumValue[] = [
  { code: 'true', label: '是' },
  { code: 'false', label: '否' },
];

/** 是/否 (or Y/N, true/false, 1/0); empty → null. */
export function readBoolean(v: CellValue): Read<boolean | null> {
  if (typeof v === 'boolean') return ok(v);
  const t = cellText(v)?.toLowerCase() ?? null;
  if (t === null) return ok(null);
  if (['是', 'y', 'yes', 'true', '1', '有'].includes(t)) return ok(true);
  if (['否', 'n', 'no', 'false', '0', '无'].includes(t)) return ok(false);
  return bad('请填“是”或“否”');
}

/** A 12-digit region code; Excel may have kept it as a number, which is fine (12 digits fit in 15). */
export function readRegionCode(v: CellValue): Read<string | null> {
  const t = typeof v === 'number' ? String(Math.trunc(v)) : cellText(v);
  if (t === null) return ok(null);
  return /^\d{12}$/.test(t) ? ok(t) : bad('应为12位行政区划代码（村级），例如 411282100201');
}
