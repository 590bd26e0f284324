/**
 * Time settings (admin): the working-day calendar per year and the deadline policy, each with its scope.
 *
 *   - The calendar is national (scope `global`): only an admin whose jurisdiction is a whole province (the
 *     widest a user has; a deployment serves one province) loads a year.
 *   - The deadline policy is an override per scope — `global`, a province (2 digits), a city (4) or a county
 *     (6) — changed only by an admin whose jurisdiction covers that scope. A case counts with the policy
 *     resolved along its village code (time/timeSettings.ts resolveScoped): the most specific scope wins, but
 *     below `global` a scope may only shorten a limit.
 *
 * Every change names the version it replaces (If-Match); a stale one is refused, so of two admins changing the
 * same scope at once one wins and the other is told. The database is the source of truth; after each change
 * (and at start-up, `reloadTimeSettings`) the data is applied in place to the engine's WorkingCalendar and
 * ScopedDeadlinePolicy, by version (an older change never replaces a newer one). Deadlines already stored on
 * cases are not recomputed.
 */
import { getCalendarYear, listCalendarDays, replaceCalendarYear } from '../db/calendar.js';
import { calendarYears as calendarYearsTable, type CalendarDayRow } from '../db/schemaTime.js';
import { listSettingScopes, putSetting, type SettingRow } from '../db/settings.js';
import { errors, type FieldIssue } from '../errors.js';
import { parseCalendarFile } from '../time/calendarFile.js';
import { defaultDeadlinePolicy } from '../time/deadlinePolicy.js';
import {
  applyCalendarRows,
  checkAgainstWiderScopes,
  checkDeadlineOverride,
  configurableDeadlineSteps,
  DEADLINES_SETTING,
  GLOBAL_SCOPE,
  jurisdictionCoversScope,
  jurisdictionSeesScope,
  machineFixedSteps,
  resolveScoped,
  scopeLevel,
  scopeOfJurisdiction,
  type ScopedOverride,
} from '../time/timeSettings.js';
import type { EngineDeps, Principal } from './types.js';

function assertAdmin(p: Principal): void {
  if (!p.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
}

/** The calendar is national: only a province-wide admin changes it. */
function assertCalendarAdmin(p: Principal): void {
  assertAdmin(p);
  if (!jurisdictionCoversScope(p.region, GLOBAL_SCOPE)) {
    throw errors.forbidden(
      { roles: ['admin'], jurisdiction: GLOBAL_SCOPE },
      'The working-day calendar is national (scope global): only an admin of the whole province loads it',
    );
  }
}

/** Calendar rows of one year in the file format (docs/calendar-2025.json), with the scope it applies to. */
function calendarFileOf(year: number, rows: readonly CalendarDayRow[]) {
  const pick = (kind: 'holiday' | 'workday') => rows.filter((r) => r.kind === kind).map((r) => ({ date: r.date, name: r.name }));
  return { year, scope: GLOBAL_SCOPE as typeof GLOBAL_SCOPE, holidays: pick('holiday'), workdays: pick('workday') };
}

function scopedOf(row: SettingRow, logWarn: (issues: unknown, scope: string) => void): ScopedOverride {
  const { override, issues } = checkDeadlineOverride(row.value ?? {}, `settings.${DEADLINES_SETTING}[${row.scope}]`);
  if (issues.length > 0) logWarn(issues, row.scope);
  return { scope: row.scope, override, version: row.version, updatedBy: row.updatedBy, updatedAt: row.updatedAt };
}

export function createTimeSettings(deps: EngineDeps) {
  const { db, clock, calendar, deadlinePolicy, logger } = deps;
  // The version of each calendar year held in memory, so that an older load never replaces a newer one.
  const calendarVersions = new Map<number, number>();

  const warnStored = (issues: unknown, scope: string) =>
    logger.warn({ issues, scope }, 'stored deadline policy override has invalid entries; they are ignored');

  /** Every scope's stored override, from the database, applied to the engine (newer versions only). */
  async function storedScopes(): Promise<ScopedOverride[]> {
    const entries = (await listSettingScopes(db, DEADLINES_SETTING)).map((r) => scopedOf(r, warnStored));
    for (const e of entries) deadlinePolicy.apply(e);
    return entries;
  }

  /** Load every calendar year and every scope's deadline override from the database into the engine's objects. */
  async function reloadTimeSettings(): Promise<{ calendarYears: number[]; deadlineScopes: Record<string, string[]> }> {
    const rows = await listCalendarDays(db);
    const versions = await db.select().from(calendarYearsTable);
    const calendarYears = applyCalendarRows(calendar, rows);
    calendarVersions.clear();
    for (const v of versions) calendarVersions.set(v.year, v.version);
    const entries = (await listSettingScopes(db, DEADLINES_SETTING)).map((r) => scopedOf(r, warnStored));
    deadlinePolicy.replaceAll(entries);
    // A change committed (and its notification handled) while the rows above were read must not be undone by them.
    await refreshTimeSettings();
    return {
      calendarYears,
      deadlineScopes: Object.fromEntries(entries.filter((e) => Object.keys(e.override).length > 0).map((e) => [e.scope, Object.keys(e.override)])),
    };
  }

  /**
   * Another process changed a setting (NOTIFY on `doudi_settings`, src/db/listen.ts), or the listening connection
   * came back (payload ''): bring the in-memory calendar and deadline policy up to the database, by version — a
   * year or scope whose stored version is not newer than the one held is left alone, so this never undoes a newer
   * change applied in place. Calls made while one runs are folded into one more run after it.
   */
  let refreshing: Promise<void> | null = null;
  let again = false;
  async function refreshOnce(): Promise<{ calendarYears: number[]; deadlineScopes: string[] }> {
    const changedYears: number[] = [];
    for (const v of await db.select().from(calendarYearsTable)) {
      if ((calendarVersions.get(v.year) ?? 0) >= v.version) continue;
      const days = await listCalendarDays(db, v.year);
      if ((calendarVersions.get(v.year) ?? 0) >= v.version) continue; // applied in place meanwhile
      calendarVersions.set(v.year, v.version);
      calendar.replaceYear(v.year, {
        holidays: days.filter((d) => d.kind === 'holiday').map((d) => d.date),
        workdays: days.filter((d) => d.kind === 'workday').map((d) => d.date),
      });
      changedYears.push(v.year);
    }
    const changedScopes: string[] = [];
    for (const r of await listSettingScopes(db, DEADLINES_SETTING)) if (deadlinePolicy.apply(scopedOf(r, warnStored))) changedScopes.push(r.scope);
    if (changedYears.length || changedScopes.length) logger.info({ calendarYears: changedYears, deadlineScopes: changedScopes }, 'time settings changed elsewhere: reloaded');
    return { calendarYears: changedYears, deadlineScopes: changedScopes };
  }
  function refreshTimeSettings(): Promise<void> {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        do {
          again = false;
          await refreshOnce();
        } while (again);
      } catch (err) {
        // Never thrown at the listener: the next notification (or reconnect) tries again.
        logger.warn({ err }, 'reloading the time settings failed');
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /** GET /calendar/:year: the year as loaded (empty lists when nothing is), its scope and version (the ETag). */
  async function calendarYear(principal: Principal, year: number) {
    assertAdmin(principal);
    const [rows, meta] = await Promise.all([listCalendarDays(db, year), getCalendarYear(db, year)]);
    return { view: calendarFileOf(year, rows), version: meta?.version ?? 0, updatedBy: meta?.updatedBy ?? null };
  }

  /**
   * PUT /calendar/:year: replace the year's holidays and make-up working days, if the year is still at the
   * version the caller read (`ifMatch`; 0 for a year never loaded).
   */
  async function replaceCalendar(principal: Principal, year: number, body: unknown, ifMatch: number | undefined) {
    assertCalendarAdmin(principal);
    const parsed = parseCalendarFile(body);
    const issues: FieldIssue[] = parsed.ok ? [] : [...parsed.issues];
    const bodyYear = body && typeof body === 'object' ? (body as { year?: unknown }).year : undefined;
    if (bodyYear !== year && !issues.some((i) => i.path === 'body.year')) {
      issues.unshift({ path: 'body.year', message: `expected ${year}, the year in the path` });
    }
    if (!parsed.ok || issues.length > 0) throw errors.validationFailed(issues);
    if (ifMatch === undefined) throw errors.preconditionRequired((await getCalendarYear(db, year))?.version ?? 0);
    const { file } = parsed;
    const days = [
      ...file.holidays.map((d) => ({ date: d.date, kind: 'holiday' as const, name: d.name })),
      ...file.workdays.map((d) => ({ date: d.date, kind: 'workday' as const, name: d.name })),
    ];
    const r = await replaceCalendarYear(db, year, days, ifMatch, principal.username, clock.now());
    if (!r.ok) {
      throw errors.settingVersionConflict({ setting: `calendar:${year}`, scope: GLOBAL_SCOPE, expectedVersion: ifMatch, currentVersion: r.currentVersion });
    }
    // Exactly what this change stored, at its version: applied unless a newer load is already in memory.
    if ((calendarVersions.get(year) ?? 0) < r.year.version) {
      calendarVersions.set(year, r.year.version);
      calendar.replaceYear(year, { holidays: file.holidays.map((d) => d.date), workdays: file.workdays.map((d) => d.date) });
    }
    logger.info(
      { admin: principal.username, scope: GLOBAL_SCOPE, year, version: r.year.version, holidays: file.holidays.length, workdays: file.workdays.length },
      'calendar year replaced',
    );
    return {
      view: {
        year,
        scope: GLOBAL_SCOPE as typeof GLOBAL_SCOPE,
        holidays: file.holidays.map((d) => ({ date: d.date, name: d.name })),
        workdays: file.workdays.map((d) => ({ date: d.date, name: d.name })),
      },
      version: r.year.version,
      updatedBy: r.year.updatedBy,
    };
  }

  function policyView(scope: string, entries: readonly ScopedOverride[]) {
    const byScope = new Map(entries.map((e) => [e.scope, e]));
    const chainScopes = scope === GLOBAL_SCOPE ? [GLOBAL_SCOPE] : [GLOBAL_SCOPE, ...[2, 4, 6].filter((n) => scope.length >= n).map((n) => scope.slice(0, n))];
    const chain = chainScopes.map((s) => byScope.get(s) ?? { scope: s, override: {}, version: 0, updatedBy: null, updatedAt: null });
    const resolved = resolveScoped(chain);
    const own = chain.at(-1)!;
    return {
      scope,
      level: scopeLevel(scope),
      version: own.version,
      overrides: own.override,
      updatedBy: own.updatedBy,
      updatedAt: own.updatedAt?.toISOString() ?? null,
      policy: resolved.policy,
      source: resolved.source,
      chain: chain.map((c) => ({
        scope: c.scope,
        level: scopeLevel(c.scope),
        version: c.version,
        overrides: c.override,
        ignored: resolved.ignored[c.scope] ?? [],
        updatedBy: c.updatedBy,
        updatedAt: c.updatedAt?.toISOString() ?? null,
      })),
      defaults: defaultDeadlinePolicy,
      configurableSteps: [...configurableDeadlineSteps] as string[],
      fixedSteps: [...machineFixedSteps] as string[],
    };
  }

  /** The scope named, or the caller's own (their jurisdiction's county, city or province). */
  function scopeFor(principal: Principal, scope: string | undefined): string {
    return scope ?? scopeOfJurisdiction(principal.region);
  }

  /**
   * GET /settings/deadlines[/:scope]: the policy in effect at a scope, where each step's rule comes from, the
   * scope's own override and version (the ETag), and every scope of its chain. An admin reads the scopes that
   * apply to them and those inside their jurisdiction.
   */
  async function deadlineSettings(principal: Principal, scopeParam?: string) {
    assertAdmin(principal);
    const scope = scopeFor(principal, scopeParam);
    if (!jurisdictionSeesScope(principal.region, scope)) {
      throw errors.forbidden({ roles: ['admin'], jurisdiction: scope }, `Scope ${scope} is outside your jurisdiction ${principal.region}`);
    }
    return policyView(scope, await storedScopes());
  }

  /**
   * PUT /settings/deadlines/:scope: the scope's override, which replaces its stored one (steps left out follow
   * the wider scopes; `{}` drops the scope's own limits), if it is still at the version the caller read.
   */
  async function replaceDeadlineOverride(principal: Principal, scope: string, body: unknown, ifMatch: number | undefined) {
    assertAdmin(principal);
    if (!jurisdictionCoversScope(principal.region, scope)) {
      throw errors.forbidden(
        { roles: ['admin'], jurisdiction: scope },
        scope === GLOBAL_SCOPE
          ? 'The global deadline policy is changed only by an admin of the whole province'
          : `Scope ${scope} is not inside your jurisdiction ${principal.region}: you change settings of your own region or of regions inside it`,
      );
    }
    const { override, issues } = checkDeadlineOverride(body);
    if (issues.length > 0) throw errors.validationFailed(issues);
    const entries = await storedScopes();
    const above = resolveScoped(policyView(scope, entries).chain.slice(0, -1).map((c) => ({ ...c, override: c.overrides, updatedAt: null })));
    const wider = checkAgainstWiderScopes(override, scope, above);
    if (wider.length > 0) throw errors.validationFailed(wider);
    const current = entries.find((e) => e.scope === scope)?.version ?? 0;
    if (ifMatch === undefined) throw errors.preconditionRequired(current);
    const r = await putSetting(db, DEADLINES_SETTING, scope, override, ifMatch, principal.username, clock.now());
    if (!r.ok) throw errors.settingVersionConflict({ setting: DEADLINES_SETTING, scope, expectedVersion: ifMatch, currentVersion: r.currentVersion });
    const stored: ScopedOverride = { scope, override, version: r.row.version, updatedBy: r.row.updatedBy, updatedAt: r.row.updatedAt };
    deadlinePolicy.apply(stored);
    logger.info({ admin: principal.username, scope, version: r.row.version, previousVersion: ifMatch, overrides: override }, 'deadline policy changed');
    return policyView(scope, [...entries.filter((e) => e.scope !== scope), stored]);
  }

  return { reloadTimeSettings, refreshTimeSettings, calendarYear, replaceCalendar, deadlineSettings, replaceDeadlineOverride };
}

export type TimeSettings = ReturnType<typeof createTimeSettings>;
