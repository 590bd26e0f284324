/**
 * Time settings an admin changes at run time, applied in place to the objects the engine holds:
 *   - the working-day calendar (one year at a time, see calendarFile.ts; national: scope `global`), and
 *   - the deadline policy: per scope (global, province, city, county) an override of some steps' limits,
 *     resolved along a case's village code over `defaultDeadlinePolicy` (ScopedDeadlinePolicy below).
 * The database is the source of truth (calendar_days + calendar_years, settings['deadlines', scope]); the engine
 * loads it at start-up and after each change (src/engine/timeSettings.ts). Everything here is pure.
 */
import { z } from 'zod';
import type { WorkingCalendar } from './calendar.js';
import { defaultDeadlinePolicy, deadlineRuleSchema, type DeadlinePolicy, type DeadlineRule } from './deadlinePolicy.js';

/** The settings row that holds the deadline policy override. */
export const DEADLINES_SETTING = 'deadlines';

export type DeadlineStep = keyof typeof defaultDeadlinePolicy;
export const deadlineSteps = Object.keys(defaultDeadlinePolicy) as DeadlineStep[];

/**
 * Steps whose limit the case machine fixes (the public notice and the exit notice run for the case policy's
 * `noticeDays` / `exitNoticeDays`, recorded in the case when the notice opens): shown, but not configurable here.
 */
export const machineFixedSteps: readonly DeadlineStep[] = ['noticePeriod', 'exitNotice'];
export const configurableDeadlineSteps = deadlineSteps.filter((k) => !machineFixedSteps.includes(k));

/** Revisit intervals count in months from a date; every other step counts days from an instant. */
const isRevisit = (step: string) => step.startsWith('revisit.');
const MAX_DAYS = 365;
const MAX_MONTHS = 24;

export type DeadlineOverride = Partial<Record<DeadlineStep, DeadlineRule>>;

export interface SettingIssue {
  path: string;
  message: string;
}

/** `body` + review.township → body["review.township"]; + placement → body.placement. */
const keyPath = (root: string, key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${root}.${key}` : `${root}[${JSON.stringify(key)}]`);

/**
 * Check a deadline policy override ({ step: { amount, unit }, … }): known, configurable steps only, each rule
 * valid for its step. Returns the valid part and every problem, each with its path under `root`.
 */
export function checkDeadlineOverride(value: unknown, root = 'body'): { override: DeadlineOverride; issues: SettingIssue[] } {
  const override: DeadlineOverride = {};
  const issues: SettingIssue[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { override, issues: [{ path: root, message: 'expected an object of { step: { amount, unit } }' }] };
  }
  for (const [key, raw] of Object.entries(value)) {
    const path = keyPath(root, key);
    if (!(deadlineSteps as string[]).includes(key)) {
      issues.push({ path, message: `unknown step; known steps: ${configurableDeadlineSteps.join(', ')}` });
      continue;
    }
    const step = key as DeadlineStep;
    if (machineFixedSteps.includes(step)) {
      issues.push({ path, message: `${step} is set by the case policy (noticeDays, exitNoticeDays), not by the deadline policy` });
      continue;
    }
    const parsed = z.strictObject(deadlineRuleSchema.shape).safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ path: i.path.length ? `${path}.${i.path.join('.')}` : path, message: i.message });
      continue;
    }
    const rule = parsed.data;
    if (isRevisit(step) && rule.unit !== 'months') {
      issues.push({ path: `${path}.unit`, message: 'revisit intervals are counted in months' });
    } else if (!isRevisit(step) && rule.unit === 'months') {
      issues.push({ path: `${path}.unit`, message: 'expected working_days or calendar_days (months are for revisits only)' });
    } else if (rule.unit === 'months' ? rule.amount > MAX_MONTHS : rule.amount > MAX_DAYS) {
      issues.push({ path: `${path}.amount`, message: rule.unit === 'months' ? `at most ${MAX_MONTHS} months` : `at most ${MAX_DAYS} days` });
    } else {
      override[step] = rule;
    }
  }
  return { override, issues };
}

/** Calendar rows (from calendar_days) grouped per year, as WorkingCalendar.replaceYear takes them. */
export function calendarYearsOf(rows: readonly { date: string; kind: 'holiday' | 'workday' }[]) {
  const years = new Map<number, { holidays: string[]; workdays: string[] }>();
  for (const r of rows) {
    const y = Number(r.date.slice(0, 4));
    const data = years.get(y) ?? { holidays: [], workdays: [] };
    (r.kind === 'holiday' ? data.holidays : data.workdays).push(r.date);
    years.set(y, data);
  }
  return years;
}

/** Replace the whole in-memory calendar with these rows: years without rows are emptied. */
export function applyCalendarRows(calendar: WorkingCalendar, rows: readonly { date: string; kind: 'holiday' | 'workday' }[]): number[] {
  const years = calendarYearsOf(rows);
  for (const y of calendar.years()) if (!years.has(y)) calendar.replaceYear(y, { holidays: [], workdays: [] });
  for (const [y, data] of years) calendar.replaceYear(y, data);
  return [...years.keys()].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------------
// Scopes. A stored setting names the region it applies to: `global` (the whole deployment), a province
// (2 digits), a city (4) or a county (6). The setting in effect for a case is resolved along its village
// code from the widest scope to the narrowest: global → 41 → 4112 → 411282.

export const GLOBAL_SCOPE = 'global' as const;
export const SCOPE_PATTERN = /^(global|[0-9]{2}|[0-9]{4}|[0-9]{6})$/;

export type ScopeLevel = 'global' | 'province' | 'city' | 'county';
export function scopeLevel(scope: string): ScopeLevel {
  if (scope === GLOBAL_SCOPE) return 'global';
  return scope.length === 2 ? 'province' : scope.length === 4 ? 'city' : 'county';
}

/** The scopes that cover a region code (or a narrower scope), widest first: '411282108201' → global, 41, 4112, 411282. */
export function scopeChain(code: string): string[] {
  const chain: string[] = [GLOBAL_SCOPE];
  for (const n of [2, 4, 6]) if (code.length >= n) chain.push(code.slice(0, n));
  return chain;
}

/** The narrowest scope a jurisdiction (2–12 digits) falls in: '411282108' → '411282'; '4112' → '4112'. */
export function scopeOfJurisdiction(region: string): string {
  return scopeChain(region).at(-1)!;
}

/**
 * May an admin with this jurisdiction change settings of `scope`? Only a scope inside the jurisdiction: a
 * county admin changes their county, a city admin their city or a county in it, a province admin their
 * province, a county or city in it, and `global` (a deployment serves one province: the province-wide
 * jurisdiction is the widest a user has). An admin of a township or village changes none.
 */
export function jurisdictionCoversScope(region: string, scope: string): boolean {
  if (scope === GLOBAL_SCOPE) return region.length === 2;
  return region.length <= scope.length && scope.startsWith(region);
}

/** May an admin read a scope's settings? Their own scope's chain (what applies to them) and every scope inside it. */
export function jurisdictionSeesScope(region: string, scope: string): boolean {
  return scopeChain(region).includes(scope) || jurisdictionCoversScope(region, scope);
}

/**
 * Is `rule` no looser than `limit`, i.e. does it end no later from any start? The same unit with an amount no
 * greater, or n calendar days against at least n working days (n working days never end before n calendar days).
 */
export function noLooserThan(rule: DeadlineRule, limit: DeadlineRule): boolean {
  if (rule.unit === limit.unit) return rule.amount <= limit.amount;
  return rule.unit === 'calendar_days' && limit.unit === 'working_days' && rule.amount <= limit.amount;
}

const describeRule = (r: DeadlineRule) => `${r.amount} ${r.unit.replace('_', ' ')}`;

export interface ScopedOverride {
  scope: string;
  override: DeadlineOverride;
  version: number;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export interface ResolvedPolicy {
  /** The policy in effect at the end of the chain. */
  policy: DeadlinePolicy;
  /** For each step, the scope its rule in effect comes from (`default` for the built-in default). */
  source: Record<string, string>;
  /** Per scope of the chain, the steps of its override that are not in effect because a wider scope is stricter. */
  ignored: Record<string, string[]>;
}

/**
 * The policy in effect along a chain of scoped overrides (widest first). `global` may set any valid limit;
 * a narrower scope may only make a limit stricter than what the scopes above it allow (docs/domain.md: the limits
 * are the programme's; a city or county may shorten them for its own offices, never lengthen them). A narrower
 * rule that is looser — because a wider scope was tightened after it was stored — is ignored, not applied.
 */
export function resolveScoped(chain: readonly ScopedOverride[]): ResolvedPolicy {
  const policy: DeadlinePolicy = { ...defaultDeadlinePolicy };
  const source: Record<string, string> = Object.fromEntries(Object.keys(policy).map((k) => [k, 'default']));
  const ignored: Record<string, string[]> = {};
  for (const { scope, override } of chain) {
    for (const [step, rule] of Object.entries(override)) {
      if (!rule) continue;
      if (scope === GLOBAL_SCOPE || noLooserThan(rule, policy[step])) {
        policy[step] = rule;
        source[step] = scope;
      } else {
        (ignored[scope] ??= []).push(step);
      }
    }
  }
  return { policy, source, ignored };
}

/**
 * Check an override for `scope` against what the scopes above it allow (`above`: the resolution of the chain
 * without `scope`): the issues name the step's path and the limit in effect above.
 */
export function checkAgainstWiderScopes(override: DeadlineOverride, scope: string, above: ResolvedPolicy, root = 'body'): SettingIssue[] {
  if (scope === GLOBAL_SCOPE) return [];
  const issues: SettingIssue[] = [];
  for (const [step, rule] of Object.entries(override)) {
    const limit = above.policy[step];
    if (rule && limit && !noLooserThan(rule, limit)) {
      const from = above.source[step] === 'default' ? 'the default' : `set for scope ${above.source[step]}`;
      issues.push({
        path: keyPath(root, step),
        message: `a ${scopeLevel(scope)} may only shorten a limit: at most ${describeRule(limit)} (${from})`,
      });
    }
  }
  return issues;
}

/**
 * The engine's scoped deadline policies: every stored override by scope, and the policy in effect for a
 * village code (cached per county). Applied in place after each change and at start-up; a change carries its
 * version, and an older version never replaces a newer one (two changes answered out of order).
 */
export class ScopedDeadlinePolicy {
  private readonly scopes = new Map<string, ScopedOverride>();
  private readonly cache = new Map<string, DeadlinePolicy>();

  /** Store one scope's override unless a newer version is already here; true when applied. */
  apply(entry: ScopedOverride): boolean {
    const have = this.scopes.get(entry.scope);
    if (have && have.version >= entry.version) return false;
    this.scopes.set(entry.scope, entry);
    this.cache.clear();
    return true;
  }

  /** Replace everything (the start-up load). */
  replaceAll(entries: readonly ScopedOverride[]): void {
    this.scopes.clear();
    this.cache.clear();
    for (const e of entries) this.scopes.set(e.scope, e);
  }

  get(scope: string): ScopedOverride {
    return this.scopes.get(scope) ?? { scope, override: {}, version: 0, updatedBy: null, updatedAt: null };
  }

  entries(): ScopedOverride[] {
    return [...this.scopes.values()];
  }

  /** The chain of stored overrides covering a code or scope, widest first (scopes never set are empty, version 0). */
  chain(codeOrScope: string): ScopedOverride[] {
    return (codeOrScope === GLOBAL_SCOPE ? [GLOBAL_SCOPE] : scopeChain(codeOrScope)).map((s) => this.get(s));
  }

  resolve(codeOrScope: string): ResolvedPolicy {
    return resolveScoped(this.chain(codeOrScope));
  }

  /** The policy in effect for a case in this village (12 digits), or for a scope. */
  for(villageCode: string): DeadlinePolicy {
    const key = villageCode === GLOBAL_SCOPE ? GLOBAL_SCOPE : villageCode.slice(0, 6);
    let p = this.cache.get(key);
    if (!p) {
      p = this.resolve(key).policy;
      this.cache.set(key, p);
    }
    return p;
  }
}
