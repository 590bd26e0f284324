/**
 * Time settings (admin): the working-day calendar per year and the deadline policy override. The database is
 * the source of truth; after each change (and at start-up, `reloadTimeSettings`) the data is applied in place
 * to the engine's WorkingCalendar and DeadlinePolicy, so the next transition counts with it. Deadlines already
 * stored on cases are not recomputed.
 */
import { listCalendarDays, replaceCalendarYear } from '../db/calendar.js';
import { getSetting, putSetting } from '../db/settings.js';
import type { CalendarDayRow } from '../db/schemaTime.js';
import { errors, type FieldIssue } from '../errors.js';
import { parseCalendarFile } from '../time/calendarFile.js';
import { defaultDeadlinePolicy } from '../time/deadlinePolicy.js';
import {
  applyCalendarRows,
  applyDeadlineOverride,
  calendarYearsOf,
  checkDeadlineOverride,
  configurableDeadlineSteps,
  DEADLINES_SETTING,
  effectiveDeadlinePolicy,
  machineFixedSteps,
  type DeadlineOverride,
} from '../time/timeSettings.js';
import type { EngineDeps, Principal } from './types.js';

function assertAdmin(p: Principal): void {
  if (!p.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
}

/** Calendar rows of one year in the file format (docs/calendar-2025.json). */
function calendarFileOf(year: number, rows: readonly CalendarDayRow[]) {
  const pick = (kind: 'holiday' | 'workday') => rows.filter((r) => r.kind === kind).map((r) => ({ date: r.date, name: r.name }));
  return { year, holidays: pick('holiday'), workdays: pick('workday') };
}

export function createTimeSettings(deps: EngineDeps) {
  const { db, clock, calendar, deadlinePolicy, logger } = deps;

  async function loadCalendarYear(year: number): Promise<CalendarDayRow[]> {
    const rows = await listCalendarDays(db, year);
    calendar.replaceYear(year, calendarYearsOf(rows).get(year) ?? { holidays: [], workdays: [] });
    return rows;
  }

  /** The stored override (checked again: a step that no longer exists is skipped with a warning). */
  async function storedOverride() {
    const row = await getSetting(db, DEADLINES_SETTING);
    const { override, issues } = checkDeadlineOverride(row?.value ?? {}, `settings.${DEADLINES_SETTING}`);
    if (issues.length > 0) logger.warn({ issues }, 'stored deadline policy override has invalid entries; they are ignored');
    return { override, updatedBy: row?.updatedBy ?? null, updatedAt: row?.updatedAt ?? null };
  }

  async function loadDeadlinePolicy() {
    const stored = await storedOverride();
    applyDeadlineOverride(deadlinePolicy, stored.override);
    return stored;
  }

  /** Load every calendar year and the deadline policy from the database into the engine's objects. */
  async function reloadTimeSettings(): Promise<{ calendarYears: number[]; overriddenSteps: string[] }> {
    const calendarYears = applyCalendarRows(calendar, await listCalendarDays(db));
    const { override } = await loadDeadlinePolicy();
    return { calendarYears, overriddenSteps: Object.keys(override) };
  }

  /** GET /calendar/:year: the year as loaded (empty lists when nothing is). */
  async function calendarYear(principal: Principal, year: number) {
    assertAdmin(principal);
    return calendarFileOf(year, await listCalendarDays(db, year));
  }

  /** PUT /calendar/:year: replace the year's holidays and make-up working days. */
  async function replaceCalendar(principal: Principal, year: number, body: unknown) {
    assertAdmin(principal);
    const parsed = parseCalendarFile(body);
    const issues: FieldIssue[] = parsed.ok ? [] : [...parsed.issues];
    const bodyYear = body && typeof body === 'object' ? (body as { year?: unknown }).year : undefined;
    if (bodyYear !== year && !issues.some((i) => i.path === 'body.year')) {
      issues.unshift({ path: 'body.year', message: `expected ${year}, the year in the path` });
    }
    if (!parsed.ok || issues.length > 0) throw errors.validationFailed(issues);
    const { file } = parsed;
    await replaceCalendarYear(db, year, [
      ...file.holidays.map((d) => ({ date: d.date, kind: 'holiday' as const, name: d.name })),
      ...file.workdays.map((d) => ({ date: d.date, kind: 'workday' as const, name: d.name })),
    ]);
    // Read back what is stored now (another admin may have written after us), and use that.
    const rows = await loadCalendarYear(year);
    logger.info({ admin: principal.username, year, holidays: file.holidays.length, workdays: file.workdays.length }, 'calendar year replaced');
    return calendarFileOf(year, rows);
  }

  function policyView(stored: { override: DeadlineOverride; updatedBy: string | null; updatedAt: Date | null }) {
    return {
      policy: effectiveDeadlinePolicy(stored.override),
      overrides: stored.override,
      defaults: defaultDeadlinePolicy,
      configurableSteps: configurableDeadlineSteps,
      fixedSteps: machineFixedSteps,
      updatedBy: stored.updatedBy,
      updatedAt: stored.updatedAt?.toISOString() ?? null,
    };
  }

  /** GET /settings/deadlines: the effective policy, the override and the defaults. */
  async function deadlineSettings(principal: Principal) {
    assertAdmin(principal);
    return policyView(await storedOverride());
  }

  /**
   * PUT /settings/deadlines: the override, which replaces the stored one (steps left out go back to their
   * defaults; `{}` restores every default). Unknown steps are refused with the list of known ones.
   */
  async function replaceDeadlineOverride(principal: Principal, body: unknown) {
    assertAdmin(principal);
    const { override, issues } = checkDeadlineOverride(body);
    if (issues.length > 0) throw errors.validationFailed(issues);
    await putSetting(db, DEADLINES_SETTING, override, principal.username, clock.now());
    const stored = await loadDeadlinePolicy();
    logger.info({ admin: principal.username, overrides: stored.override }, 'deadline policy changed');
    return policyView(stored);
  }

  return { reloadTimeSettings, calendarYear, replaceCalendar, deadlineSettings, replaceDeadlineOverride };
}

export type TimeSettings = ReturnType<typeof createTimeSettings>;
