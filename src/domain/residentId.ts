// Resident identity numbers (公民身份号码, GB 11643-1999): 18 characters =
//   6-digit address code + 8-digit birth date (YYYYMMDD) + 3-digit sequence (odd = male) + check character.
// The check character is ISO 7064 MOD 11-2: weights below over the first 17 digits, sum mod 11 indexes
// CHECK_CHARS. ID numbers are personal data: validate them, mask them, never log them.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

export type ResidentIdResult =
  | { ok: true; birthDate: string; sex: 'male' | 'female' }
  | { ok: false; reason: string; reasonZh: string };

/** The check character for the first 17 digits of an ID number. */
export function residentIdCheckChar(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) throw new RangeError('expected exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/**
 * Validates an 18-character ID number; a lowercase 'x' check character is accepted as 'X'.
 * `birthDate` (YYYY-MM-DD), when given, must equal the date embedded in the number.
 * Reasons (in English, and in Chinese as `reasonZh`) are for the person typing the number, and never repeat it.
 */
export function validateResidentId(id: string, birthDate?: string): ResidentIdResult {
  if (typeof id !== 'string' || id.length !== 18) {
    return { ok: false, reason: 'an ID number has 18 characters', reasonZh: '身份证号码应为18位' };
  }
  const normalized = id.toUpperCase();
  if (!/^[0-9]{17}[0-9X]$/.test(normalized)) {
    return { ok: false, reason: 'an ID number is 17 digits followed by a digit or X', reasonZh: '身份证号码应为17位数字加1位数字或X' };
  }
  const embedded = `${normalized.slice(6, 10)}-${normalized.slice(10, 12)}-${normalized.slice(12, 14)}`;
  if (!isCalendarDate(embedded)) {
    return { ok: false, reason: 'the birth date inside the ID number (digits 7-14) is not a valid date', reasonZh: '身份证号码中的出生日期（第7至14位）不是有效日期' };
  }
  if (normalized[17] !== residentIdCheckChar(normalized.slice(0, 17))) {
    return { ok: false, reason: 'the check character does not match; the number was probably mistyped', reasonZh: '身份证号码校验位不符，可能输入有误，请核对' };
  }
  if (birthDate !== undefined && birthDate !== embedded) {
    return { ok: false, reason: 'the birth date inside the ID number differs from the birth date given', reasonZh: '身份证号码中的出生日期与填写的出生日期不一致' };
  }
  const sex = Number(normalized[16]) % 2 === 1 ? 'male' : 'female';
  return { ok: true, birthDate: embedded, sex };
}

/**
 * The mask every response and log line uses: the first 6 characters (the address code, which the case's own
 * village code mostly gives away anyway) and the last 2 (the sequence's last digit, i.e. the sex, and the check
 * character), 10 asterisks between: 411282**********24. It hides the 8 birth-date digits *and* the first two
 * sequence digits, so even a caller who learns the exact birth date elsewhere is left ~9 candidates, and one
 * who knows the age (what a masked response shows instead of the birth date) ~3,300.
 * (The older mask, 411282********1234, hid exactly the birth date: beside a birth date it hid nothing.)
 */
export function maskResidentId(id: string): string {
  if (id.length !== 18) return '*'.repeat(id.length);
  return `${id.slice(0, 6)}${'*'.repeat(10)}${id.slice(16)}`;
}

/** A number masked the old way (first 6, 8 asterisks, last 4), as audit records written before 0009 hold it. */
const LEGACY_MASK = /(?<![\dXx*])(\d{6})\*{8}[\dXx*]{2}([\dXx]{2})(?![\dXx*])/g;

/** Old masks inside a text re-masked to the current one (411282********1234 → 411282**********34). */
export function remaskLegacy(text: string): string {
  return text.replace(LEGACY_MASK, (_, head: string, tail: string) => `${head}${'*'.repeat(10)}${tail}`);
}

/** YYYY-MM-DD naming a real day, from 1900 on (no earlier resident IDs exist). */
function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}
