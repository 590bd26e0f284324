/**
 * Overdue views for supervisors (and officers and admins): open cases still in a step whose deadline has
 * passed (docs/domain.md, "Deadlines"), within the caller's jurisdiction. A filter outside the jurisdiction finds
 * nothing; it never widens what the caller sees.
 */
import type { Role } from '../../machines/index.js';
import { countOverdue, countOverdueByArea, listOverdue } from '../db/overdue.js';
import { errors } from '../errors.js';
import type { EngineDeps, Principal } from './types.js';

const DAY_MS = 86_400_000;

/** Who may read the overdue views. */
export const overdueReaders: readonly Role[] = ['supervisor', 'admin', 'officer'];

export interface OverdueListInput {
  county?: string;
  township?: string;
  step?: string;
  level?: string;
  minDaysOverdue?: number;
  /** The nextAfter of the previous page. */
  after?: string;
  limit: number;
}

/**
 * The narrowest of the caller's jurisdiction and the region filters, or null when they do not overlap (a
 * county filter outside the jurisdiction, a township outside the county filter).
 */
export function narrowRegion(jurisdiction: string, ...filters: (string | undefined)[]): string | null {
  let prefix = jurisdiction;
  for (const f of filters) {
    if (!f) continue;
    if (f.startsWith(prefix)) prefix = f;
    else if (!prefix.startsWith(f)) return null;
  }
  return prefix;
}

/** Cursor: `<deadline ISO>_<case id>` of the last item of a page. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const overdueCursorPattern = CURSOR;

function parseCursor(after: string | undefined): { deadlineAt: Date; id: string } | undefined {
  if (after === undefined) return undefined;
  const m = CURSOR.exec(after);
  const deadlineAt = m ? new Date(m[1]) : null;
  if (!m || !deadlineAt || Number.isNaN(deadlineAt.getTime())) {
    throw errors.validationFailed([{ path: 'query.after', message: 'expected the nextAfter of the previous page' }]);
  }
  return { deadlineAt, id: m[2] };
}

const cursorOf = (c: { deadlineAt: Date; id: string }) => `${c.deadlineAt.toISOString()}_${c.id}`;

/** Whole calendar days from the deadline to now (0 during the first 24 hours past it). */
export const daysOverdue = (deadlineAt: Date, now: Date) => Math.floor((now.getTime() - deadlineAt.getTime()) / DAY_MS);

function assertReader(p: Principal): void {
  if (!p.roles.some((r) => overdueReaders.includes(r))) throw errors.forbidden({ roles: overdueReaders });
}

export function createOverdue(deps: EngineDeps) {
  const { db, clock } = deps;

  /** GET /overdue: most overdue first (deadline, then case id), keyset pages. */
  async function overdue(principal: Principal, q: OverdueListInput) {
    assertReader(principal);
    const after = parseCursor(q.after);
    const now = clock.now();
    const asOf = now.toISOString();
    const region = narrowRegion(principal.region, q.county, q.township);
    if (region === null) return { asOf, items: [], nextAfter: null };
    const page = await listOverdue(db, {
      regionPrefix: region,
      now,
      minDaysOverdue: q.minDaysOverdue ?? 0,
      step: q.step,
      reviewLevel: q.level,
      after,
      limit: q.limit,
    });
    return {
      asOf,
      items: page.items.map((r) => ({
        caseId: r.id,
        state: r.state,
        step: r.step,
        reviewLevel: r.reviewLevel,
        villageCode: r.villageCode,
        townshipCode: r.townshipCode,
        countyCode: r.countyCode,
        deadlineAt: r.deadlineAt.toISOString(),
        daysOverdue: daysOverdue(r.deadlineAt, now),
      })),
      nextAfter: page.next ? cursorOf(page.next) : null,
    };
  }

  /** GET /overdue/summary: overdue open cases counted by county and step. */
  async function overdueSummary(principal: Principal, q: { county?: string; township?: string; minDaysOverdue?: number } = {}) {
    assertReader(principal);
    const now = clock.now();
    const asOf = now.toISOString();
    const region = narrowRegion(principal.region, q.county, q.township);
    const counts = region === null ? [] : await countOverdue(db, { regionPrefix: region, now, minDaysOverdue: q.minDaysOverdue ?? 0 });
    const counties = new Map<string, { countyCode: string; total: number; steps: { step: string; count: number }[] }>();
    for (const c of counts) {
      const county = counties.get(c.countyCode) ?? { countyCode: c.countyCode, total: 0, steps: [] };
      county.total += c.count;
      county.steps.push({ step: c.step, count: c.count });
      counties.set(c.countyCode, county);
    }
    return { asOf, total: counts.reduce((s, c) => s + c.count, 0), counties: [...counties.values()] };
  }

  /**
   * The console's 督办 dashboard: overdue open cases in a region (the jurisdiction, or an area inside it),
   * counted by step and by the areas one level below it. A region outside the jurisdiction counts nothing.
   */
  async function overdueByArea(principal: Principal, q: { region?: string; minDaysOverdue?: number } = {}) {
    assertReader(principal);
    const now = clock.now();
    const region = narrowRegion(principal.region, q.region);
    const counts = region === null ? [] : await countOverdueByArea(db, { regionPrefix: region, now, minDaysOverdue: q.minDaysOverdue ?? 0 });
    const steps = new Map<string, number>();
    const areas = new Map<string, number>();
    for (const c of counts) {
      steps.set(c.step, (steps.get(c.step) ?? 0) + c.count);
      areas.set(c.areaCode, (areas.get(c.areaCode) ?? 0) + c.count);
    }
    return {
      asOf: now.toISOString(),
      region,
      total: counts.reduce((s, c) => s + c.count, 0),
      steps: [...steps].map(([step, count]) => ({ step, count })).sort((a, b) => b.count - a.count || a.step.localeCompare(b.step)),
      areas: [...areas].map(([areaCode, count]) => ({ areaCode, count })).sort((a, b) => a.areaCode.localeCompare(b.areaCode)),
      cells: counts,
    };
  }

  return { overdue, overdueSummary, overdueByArea };
}

export type OverdueQueries = ReturnType<typeof createOverdue>;
