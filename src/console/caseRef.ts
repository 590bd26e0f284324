/**
 * Console URLs and pages name a case by its readable number (411282-2026-000123), never by its id. The
 * lookup is the engine's (getCaseByNumber): an unknown number and another county's case answer alike.
 */
import { isCaseNumber } from '../domain/caseNumber.js';
import type { Engine, Principal } from '../engine/index.js';
import { errors } from '../errors.js';

/** The URL segment of a case. */
export const caseRefOf = (c: { caseNumber: string }) => c.caseNumber;
/** The number to show. */
export const caseNumberOf = (c: { caseNumber: string }): string => c.caseNumber;

/** The case a console URL names, as the caller may see it (CASE_NOT_FOUND otherwise). */
export async function caseByRef(engine: Engine, principal: Principal, ref: string) {
  if (!isCaseNumber(ref)) throw errors.caseNotFound(ref);
  return engine.getCaseByNumber(principal, ref);
}
