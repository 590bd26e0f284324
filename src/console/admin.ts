/**
 * What the 管理 pages share: region names and choices inside a jurisdiction, and Chinese words for the field
 * problems an engine check reports in English (until the error catalogue carries zh-CN field messages).
 */
import type { Engine } from '../engine/index.js';
import { shownError, type ShownError } from './messages.js';

export const LEVEL_NAMES: Record<string, string> = { province: '省', prefecture: '市', county: '县（市、区）', township: '乡镇', village: '村' };
const LEVEL_LENGTH: Record<string, number> = { province: 2, prefecture: 4, county: 6, township: 9, village: 12 };

export interface RegionChoice {
  code: string;
  name: string;
  level: string;
  depth: number;
}

/** Regions inside a prefix as prefixes (2, 4, 6, 9 or 12 digits) with their names, in code order. */
export async function regionChoices(engine: Engine, prefix: string, opts: { levels?: string[] } = {}): Promise<RegionChoice[]> {
  const found = await engine.regions({ prefix: prefix.slice(0, 12) });
  return found
    .filter((r) => !opts.levels || opts.levels.includes(r.level))
    .map((r) => ({ code: r.code.slice(0, LEVEL_LENGTH[r.level] ?? 12), name: r.name, level: r.level, depth: 0 }))
    .filter((r) => r.code.startsWith(prefix) || prefix.startsWith(r.code))
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((r) => ({ ...r, depth: Math.max(0, [2, 4, 6, 9, 12].indexOf(r.code.length) - [2, 4, 6, 9, 12].indexOf(prefix.length)) }));
}

/** A name for every region prefix the engine knows (12-digit codes and their 2–9 digit prefixes). */
export async function regionNamer(engine: Engine, within: string) {
  const found = await engine.regions({ prefix: within.slice(0, 2) });
  const byCode = new Map<string, string>();
  for (const r of found) {
    byCode.set(r.code, r.name);
    byCode.set(r.code.slice(0, LEVEL_LENGTH[r.level] ?? 12), r.name);
  }
  return (code: string | null | undefined) => (code ? (byCode.get(code) ?? byCode.get(code.padEnd(12, '0')) ?? code) : '');
}

const hasChinese = (s: string) => /[\u4e00-\u9fff]/.test(s);

/**
 * A refusal as a form shows it, every field message in Chinese: the engine's own English field messages are
 * replaced by the form's word for that field (`zh[field]`), or a general one.
 */
export function formError(thrown: unknown, requestId: string, zh: Record<string, string> = {}, byCode: Record<string, { field: string; message: string }> = {}): ShownError {
  const shown = shownError(thrown, requestId);
  for (const [field, message] of Object.entries(shown.fields)) {
    // The catalogue's generic "填写有误：<English>" gives way to this form's own words for the field.
    if (!hasChinese(message) || message.startsWith('填写有误')) shown.fields[field] = zh[field] ?? zh[field.replace(/\[\d+\].*$/, '')] ?? '填写有误，请检查';
  }
  const onField = byCode[shown.code];
  if (onField) shown.fields[onField.field] = onField.message;
  return shown;
}

/** Form-field error attributes for an input: aria-invalid and aria-describedby, and the message's id. */
export function fieldAttrs(error: ShownError | null | undefined, name: string): string {
  if (!error || !error.fields[name]) return '';
  return ` aria-invalid="true" aria-describedby="${fieldId(name)}-error"`;
}

export const fieldId = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');
