/**
 * Cases in console URLs and on pages are named by their readable case number (411282-2026-000123), never by
 * their id. The number is being added to the case view as `caseNumber` (with `engine.getCaseByNumber`); until
 * it is there, a case without one is linked by its id in the URL only (never shown as text), and a number is
 * found through the caller's own work list (so the lookup sees exactly what the caller may see).
 */
import type { Engine, Principal } from '../engine/index.js';
import { isUuid } from '../db/uuid.js';
import { AppError, errors } from '../errors.js';

const CASE_NUMBER = /^\d{6}-\d{4}-\d{6}$/;

/** The URL segment of a case: its number, or (until numbers exist) its id. */
export function caseRefOf(c: { id?: string; caseId?: string; caseNumber?: unknown }): string {
  return typeof c.caseNumber === 'string' && c.caseNumber ? c.caseNumber : String(c.id ?? c.caseId ?? '');
}

/** The number to show, or null (pages then name the case by its head of household and village). */
export function caseNumberOf(c: { caseNumber?: unknown }): string | null {
  return typeof c.caseNumber === 'string' && c.caseNumber ? c.caseNumber : null;
}

type ByNumber = (p: Principal, n: string) => Promise<Awaited<ReturnType<Engine['getCase']>>>;

/** The case a console URL names, as the caller may see it (CASE_NOT_FOUND otherwise). */
export async function caseByRef(engine: Engine, principal: Principal, ref: string) {
  try {
    return await lookUp(engine, principal, ref);
  } catch (err) {
    // The refusal a person reads names no id.
    if (err instanceof AppError && err.code === 'CASE_NOT_FOUND') throw errors.notFound('找不到该案件，或该案件不在您的管辖范围内');
    throw err;
  }
}

async function lookUp(engine: Engine, principal: Principal, ref: string) {
  if (isUuid(ref)) return engine.getCase(principal, ref);
  if (!CASE_NUMBER.test(ref)) throw errors.caseNotFound(ref);
  const byNumber = (engine as unknown as { getCaseByNumber?: ByNumber }).getCaseByNumber;
  if (typeof byNumber === 'function') return byNumber(principal, ref);
  // Fallback until the engine looks numbers up: the caller's own cases, page by page.
  for (let page = 1; page <= 50; page++) {
    const found = await engine.worklist(principal, { view: 'all', includeClosed: true, page, pageSize: 100 });
    const hit = found.items.find((c) => caseNumberOf(c as { caseNumber?: unknown }) === ref);
    if (hit) return engine.getCase(principal, hit.id);
    if (page * 100 >= found.total) break;
  }
  throw errors.caseNotFound(ref);
}
