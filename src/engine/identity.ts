/**
 * What each role may see of a resident's identity (README "Residents: one open case, masks"):
 *
 * - Roles that work with the person's identity (enumerator, evaluator, officer: `rolesSeeingIdNumbers`) see
 *   the full ID number and the birth date.
 * - Every other role (reviewer, visitor, supervisor, admin, system) sees the number masked as
 *   411282**********24 and the member's `age` (whole years, on today's date in China) instead of the birth
 *   date; any ID number typed into free text (evidence, notes, objections) is masked as well.
 * - Audit payloads are the same for everyone: numbers masked, no birth date (an `age` on the record's date).
 *
 * The mask hides the birth date and two sequence digits; nothing a response shows beside it gives them back.
 * Pure.
 */
import { ageOn, chinaDate } from '../../machines/index.js';
import { maskResidentId, remaskLegacy } from '../domain/residentId.js';
import { maskIdNumbers } from '../logger.js';
import { rolesSeeingIdNumbers, type Principal } from './types.js';

export const seesIdentity = (p: Pick<Principal, 'roles'>) => p.roles.some((r) => rolesSeeingIdNumbers.includes(r));

/** The identity fields of one member as this caller may see them. */
export function memberIdentity(m: { idNumber: string; birthDate: string }, showIdentity: boolean, now: Date) {
  const age = ageOn(m.birthDate, chinaDate(now.toISOString()));
  return showIdentity ? { idNumber: m.idNumber, birthDate: m.birthDate, age } : { idNumber: maskResidentId(m.idNumber), age };
}

/** Every ID number (and every old-style mask) in every string of a JSON value, masked; other values as they are. */
export function maskDeep<T>(value: T): T {
  return walk(value, (s) => remaskLegacy(maskIdNumbers(s))) as T;
}

function walk(value: unknown, str: (s: string) => string, obj?: (o: Record<string, unknown>) => Record<string, unknown>): unknown {
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, str, obj));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, str, obj);
    return obj ? obj(out) : out;
  }
  return value;
}

/**
 * A payload as the audit trail keeps (and shows) it: every ID number masked, and a member's birth date
 * replaced by their age on `at`. Applied when a record is written and again when it is read, so records
 * written before this rule (numbers masked 6 + 4, birth dates beside them) are shown the same way;
 * /audit/verify recomputes the chain over the stored form.
 */
export function auditSafe(value: unknown, at: Date): unknown {
  const onDate = chinaDate(at.toISOString());
  return walk(value ?? {}, (s) => remaskLegacy(maskIdNumbers(s)), (o) => {
    if (typeof o.idNumber !== 'string' || typeof o.birthDate !== 'string') return o;
    const { birthDate, ...rest } = o;
    const age = /^\d{4}-\d{2}-\d{2}$/.test(birthDate as string) ? ageOn(birthDate as string, onDate) : null;
    return { ...rest, age };
  });
}
