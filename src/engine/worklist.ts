/**
 * The work list a person works from: their inbox (the cases waiting on one of their roles, and for a reviewer
 * on their level) or a search over every case they may see, with filters, soonest deadline first, in pages.
 * The console's 待办 and 案件查询 pages and GET /worklist both call this.
 *
 * Searching by the last digits of an ID number is for the roles that see full numbers: anyone else sees only the
 * masked number (6 + 2 digits), and letting them probe digits would rebuild what the mask hides.
 */
import { statesWaitingOn, type Category, type Role } from '../../machines/index.js';
import { searchWorklist, type WorklistQuery } from '../db/index.js';
import { errors } from '../errors.js';
import { seesIdentity } from './identity.js';
import type { EngineDeps, Principal } from './types.js';
import { summary } from './caseView.js';
import { maskResidentId } from '../domain/residentId.js';

export interface WorklistFilters {
  /** 'inbox': waiting on me; 'all': every case I may see. */
  view: 'inbox' | 'all';
  /** For an inbox: which of my roles (default: the first that has an inbox). */
  role?: Role;
  step?: string;
  reviewLevel?: 'village' | 'township' | 'county';
  region?: string;
  category?: Category;
  overdue?: boolean;
  includeClosed?: boolean;
  q?: string;
  page: number;
  pageSize: number;
}

export const MAX_WORKLIST_PAGE = 100;

export function createWorklist(deps: EngineDeps) {
  const { db, clock } = deps;

  async function worklist(principal: Principal, f: WorklistFilters) {
    if (f.page < 1 || f.pageSize < 1 || f.pageSize > MAX_WORKLIST_PAGE) throw errors.validationFailed([{ path: 'query.page', message: `page ≥ 1, pageSize 1 to ${MAX_WORKLIST_PAGE}` }]);
    const { role, query } = worklistQueryFor(principal, f, clock.now());
    if (!query) return { role, items: [], total: 0, page: f.page, pageSize: f.pageSize };
    const found = await searchWorklist(db, { ...query, offset: (f.page - 1) * f.pageSize, limit: f.pageSize });
    return {
      role,
      total: found.total,
      page: f.page,
      pageSize: f.pageSize,
      items: found.items.map((r) => ({
        ...summary(r),
        headName: r.headName,
        address: seesIdentity(principal) ? r.address : maskAddressDigits(r.address),
        villageName: r.villageName,
        townshipName: r.townshipName,
      })),
    };
  }

  return { worklist };
}

/**
 * The database query for a work list's filters, as this caller may ask it: an inbox is the states waiting on
 * one of their roles (a reviewer: on their level); a region outside the jurisdiction finds nothing (null, and
 * says nothing about it); ID-number digits only for the roles that see ID numbers. GET /worklist and the
 * work-list export (exports.ts) both use it.
 */
export function worklistQueryFor(principal: Principal, f: Omit<WorklistFilters, 'page' | 'pageSize'>, now: Date): { role: Role | null; query: Omit<WorklistQuery, 'offset' | 'limit'> | null } {
  let states: readonly string[] | undefined;
  let reviewLevel: string | null | undefined = f.reviewLevel;
  let role: Role | null = null;
  if (f.view === 'inbox') {
    role = f.role ?? principal.roles.find((r) => statesWaitingOn(r).length > 0) ?? null;
    if (role && !principal.roles.includes(role)) throw errors.forbidden({ roles: [role] }, `you do not hold role ${role}`);
    states = role ? statesWaitingOn(role) : [];
    if (role === 'reviewer') reviewLevel = principal.level ?? '-';
  }
  // A region filter narrows the jurisdiction; one outside it finds nothing (and says nothing about it).
  if (f.region && !f.region.startsWith(principal.region) && !principal.region.startsWith(f.region)) return { role, query: null };
  const regionPrefix = f.region && f.region.length > principal.region.length ? f.region : undefined;
  const q = f.q?.trim() ?? '';
  const digits = searchDigits(q);
  if (digits && !seesIdentity(principal)) {
    throw errors.forbidden({ roles: ['enumerator', 'evaluator', 'officer'] }, 'searching by ID number digits needs a role that sees ID numbers');
  }
  return {
    role,
    query: {
      jurisdictionPrefix: principal.region,
      regionPrefix,
      states,
      step: f.step,
      reviewLevel,
      category: f.category,
      overdueAt: f.overdue ? now : undefined,
      includeClosed: f.includeClosed,
      text: q && !digits ? q : undefined,
      idSuffix: digits ?? undefined,
    },
  };
}

/** The digits of a search for the end of an ID number (3 to 18 characters), or null for a search by words. */
export function searchDigits(q: string): string | null {
  return /^[0-9]{3,17}[0-9Xx]?$/.test(q) ? q.toUpperCase() : null;
}

/** An address is shown as it is; only a resident ID number someone typed into it is masked. */
export function maskAddressDigits(address: string): string {
  return address.replace(/\d{17}[\dXx]/g, (m) => maskResidentId(m));
}
