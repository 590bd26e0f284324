/**
 * Care staffing and funding projection (护理人员与资金测算): care workers and their wage bill per county, the
 * city's share and each county's, on the live caseload or on a what-if — and the parameters an admin sets.
 *
 * - Live caseload: households in the programme, i.e. open cases placed (`active`, any sub-state) or in the 7-day
 *   exit notice (still cared for until it ends). Households still in survey, review, notice or awaiting placement are
 *   not yet in care and not counted (src/db/income.ts programmeCaseload).
 * - Jurisdiction: nothing outside the reader's region is counted. A city (or province) reader sees every county in
 *   it, the counties' 60% split between them by caseload; a county reader sees their county alone, as if it were the
 *   whole city (its share is then the counties' whole share of its own bill).
 * - Parameters (households per worker, monthly wage, the city's percent) are a setting `care_projection` with a
 *   scope: `global`, a province (2 digits) or a city (4). The most specific scope set for the reader's city wins
 *   (else the defaults 4, 4,000 yuan, 40%). Only an admin of a city or wider changes them, for a scope their
 *   jurisdiction covers; every change names the version it replaces (If-Match) and is written to setting_history in
 *   the same transaction.
 * The arithmetic is src/domain/projection.ts (pure).
 */
import { z } from 'zod';
import { defaultProjectionParameters, project, type CountyCaseload, type Projection, type ProjectionParameters } from '../domain/projection.js';
import { fenOfYuan, yuanNumber, yuanText } from '../domain/money.js';
import { appendSettingHistory, listRegions, programmeCaseload } from '../db/index.js';
import { getSetting, putSetting } from '../db/settings.js';
import { errors } from '../errors.js';
import type { ReportTable } from '../reports/table.js';
import { GLOBAL_SCOPE, jurisdictionCoversScope } from '../time/timeSettings.js';
import { parseOrFail, yuanSchema } from './moneyInput.js';
import type { CommandMeta, EngineDeps, Principal } from './types.js';

export const PROJECTION_SETTING = 'care_projection';
export const PROJECTION_ROLES = ['officer', 'supervisor', 'admin'] as const;
export const PROJECTION_SCOPE_PATTERN = /^(global|[0-9]{2}|[0-9]{4})$/;

const parameterFields = {
  householdsPerWorker: z.number({ error: 'expected a whole number of households, 1 to 100' }).int('expected a whole number of households, 1 to 100').min(1, 'expected a whole number of households, 1 to 100').max(100, 'expected a whole number of households, 1 to 100'),
  monthlyWage: yuanSchema,
  citySharePercent: z.number({ error: 'expected a whole percent, 0 to 100' }).int('expected a whole percent, 0 to 100').min(0, 'expected a whole percent, 0 to 100').max(100, 'expected a whole percent, 0 to 100'),
};
export const projectionParametersSchema = z.strictObject(parameterFields);

const countyRow = z.strictObject({
  countyCode: z.string().regex(/^\d{6}$/, 'expected a 6-digit county code such as 411282'),
  households: z.number({ error: 'expected a whole number of households' }).int('expected a whole number of households').min(0, 'households cannot be negative').max(10_000_000, 'at most 10,000,000 households'),
});
export const whatIfInputSchema = z
  .strictObject({
    counties: z.array(countyRow).min(1, 'name at least one county').max(500),
    parameters: z.strictObject(parameterFields).partial().optional().describe('this what-if only: parameters other than the ones in effect'),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.counties.forEach((c, i) => {
      if (seen.has(c.countyCode)) ctx.addIssue({ code: 'custom', path: ['counties', i, 'countyCode'], message: `county ${c.countyCode} is listed twice` });
      seen.add(c.countyCode);
    });
  });

const PARAM_ZH: Record<string, string> = {
  householdsPerWorker: '每名护理人员照护的户数须为 1 至 100 的整数',
  citySharePercent: '市级承担比例须为 0 至 100 的整数（百分比）',
  countyCode: '县（市、区）须为 6 位区划代码，且不能重复',
  households: '户数须为不小于 0 的整数',
  counties: '请至少填写一个县（市、区）',
};

interface StoredParameters extends ProjectionParameters {}

function storedOf(value: unknown): StoredParameters | null {
  const v = value as Partial<StoredParameters> | null;
  if (!v || !Number.isInteger(v.householdsPerWorker) || !Number.isInteger(v.monthlyWageFen) || !Number.isInteger(v.citySharePercent)) return null;
  return { householdsPerWorker: v.householdsPerWorker!, monthlyWageFen: v.monthlyWageFen!, citySharePercent: v.citySharePercent! };
}

/** The scopes whose parameters apply to a region, widest first: global, its province, its city. */
const chainOf = (region: string) => [GLOBAL_SCOPE, ...[2, 4].filter((n) => region.length >= n).map((n) => region.slice(0, n))];

export function parametersView(p: ProjectionParameters) {
  return { householdsPerWorker: p.householdsPerWorker, monthlyWage: yuanText(p.monthlyWageFen), monthlyWageFen: p.monthlyWageFen, citySharePercent: p.citySharePercent };
}

export function createProjection(deps: EngineDeps) {
  const { db, clock, logger } = deps;

  function assertReader(p: Principal) {
    if (!p.roles.some((r) => (PROJECTION_ROLES as readonly string[]).includes(r))) throw errors.forbidden({ roles: PROJECTION_ROLES });
  }

  /** The parameters in effect for a region, and the scope they come from ('default' when none is set). */
  async function parametersFor(region: string): Promise<{ parameters: ProjectionParameters; source: string }> {
    const chain = chainOf(region);
    const rows = await Promise.all(chain.map((s) => getSetting(db, PROJECTION_SETTING, s)));
    for (let i = chain.length - 1; i >= 0; i--) {
      const stored = rows[i] ? storedOf(rows[i]!.value) : null;
      if (stored) return { parameters: stored, source: chain[i] };
    }
    return { parameters: defaultProjectionParameters, source: 'default' };
  }

  /** GET /settings/projection[/:scope]: a scope's own parameters (version = ETag) and those in effect there. */
  async function projectionSettings(p: Principal, scopeParam?: string) {
    if (!p.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
    const scope = scopeParam ?? chainOf(p.region).at(-1)!;
    if (!chainOf(p.region).includes(scope) && !jurisdictionCoversScope(p.region, scope)) {
      throw errors.forbidden({ roles: ['admin'], jurisdiction: scope }, `Scope ${scope} is outside your jurisdiction ${p.region}`);
    }
    const own = await getSetting(db, PROJECTION_SETTING, scope);
    const stored = own ? storedOf(own.value) : null;
    const effective = await parametersFor(scope === GLOBAL_SCOPE ? '' : scope);
    return {
      scope,
      version: own?.version ?? 0,
      own: stored ? parametersView(stored) : null,
      inEffect: parametersView(effective.parameters),
      source: effective.source,
      defaults: parametersView(defaultProjectionParameters),
      updatedBy: own?.updatedBy ?? null,
      updatedAt: own?.updatedAt.toISOString() ?? null,
      mayChange: jurisdictionCoversScope(p.region, scope) && p.region.length <= 4,
    };
  }

  /** PUT /settings/projection/:scope: replace a scope's parameters (global, province or city; If-Match required). */
  async function setProjectionParameters(meta: CommandMeta, scope: string, body: unknown, ifMatch: number | undefined) {
    const p = meta.principal;
    if (!p.roles.includes('admin')) throw errors.forbidden({ roles: ['admin'] });
    if (!PROJECTION_SCOPE_PATTERN.test(scope)) {
      throw errors.validationFailed([{ path: 'params.scope', message: 'expected global, a province (2 digits) or a city (4 digits): the projection is set by the city or above', messageZh: '测算参数由市级或省级设定：范围须为 global、2 位（省）或 4 位（市）区划代码' }]);
    }
    if (!jurisdictionCoversScope(p.region, scope) || p.region.length > 4) {
      throw errors.forbidden(
        { roles: ['admin'], jurisdiction: scope },
        `The projection parameters of ${scope} are changed by an admin of the city or province over it (your jurisdiction: ${p.region})`,
        `测算参数由市级或省级管理员设定（范围 ${scope}；您的管辖范围：${p.region}）`,
      );
    }
    const input = parseOrFail(projectionParametersSchema, body, PARAM_ZH);
    const value: StoredParameters = { householdsPerWorker: input.householdsPerWorker, monthlyWageFen: fenOfYuan(input.monthlyWage)!, citySharePercent: input.citySharePercent };
    if (value.monthlyWageFen <= 0) throw errors.validationFailed([{ path: 'body.monthlyWage', message: 'the monthly wage must be above 0', messageZh: '月工资须大于 0' }]);
    const at = clock.now();
    const row = await db.transaction(async (tx) => {
      if (ifMatch === undefined) throw errors.preconditionRequired((await getSetting(tx, PROJECTION_SETTING, scope))?.version ?? 0);
      const r = await putSetting(tx, PROJECTION_SETTING, scope, value, ifMatch, p.username, at);
      if (!r.ok) throw errors.settingVersionConflict({ setting: PROJECTION_SETTING, scope, expectedVersion: ifMatch, currentVersion: r.currentVersion });
      await appendSettingHistory(tx, { setting: PROJECTION_SETTING, scope, version: r.row.version, value, actorId: p.id, actorUsername: p.username, requestId: meta.requestId, at });
      return r.row;
    });
    logger.info({ admin: p.username, scope, setting: PROJECTION_SETTING, version: row.version, previousVersion: ifMatch, value }, 'projection parameters changed');
    return projectionSettings(p, scope);
  }

  async function countyNames(prefix: string): Promise<Map<string, string>> {
    const rows = await listRegions(db, { prefix: prefix.slice(0, Math.min(prefix.length, 6)), level: 'county' });
    return new Map(rows.map((r) => [r.code.slice(0, 6), r.name]));
  }

  function resultOf(kind: 'live' | 'what_if', scope: string, projection: Projection, names: Map<string, string>, source: string) {
    const at = clock.now();
    const counties = projection.counties.map((c) => ({
      countyCode: c.countyCode,
      county: names.get(c.countyCode) ?? c.countyCode,
      households: c.households,
      workers: c.workers,
      wageBill: yuanText(c.wageBillFen),
      wageBillFen: c.wageBillFen,
      countyShare: yuanText(c.countyShareFen),
      countyShareFen: c.countyShareFen,
    }));
    const table: ReportTable = {
      id: kind === 'live' ? 'care-projection' : 'care-projection-what-if',
      title: kind === 'live' ? '护理人员与资金测算（现有在册户）' : '护理人员与资金测算（假设测算）',
      columns: [
        { key: 'countyCode', label: '区划代码', type: 'text' },
        { key: 'county', label: '县（市、区）', type: 'text' },
        { key: 'households', label: '在册户数', type: 'integer' },
        { key: 'workers', label: '护理人员（人）', type: 'integer' },
        { key: 'wageBill', label: '年工资总额（元）', type: 'money' },
        { key: 'countyShare', label: '县级承担（元）', type: 'money' },
        { key: 'cityShare', label: '市级承担（元）', type: 'money' },
      ],
      rows: [
        ...counties.map((c) => ({ countyCode: c.countyCode, county: c.county, households: c.households, workers: c.workers, wageBill: yuanNumber(c.wageBillFen), countyShare: yuanNumber(c.countyShareFen), cityShare: null })),
        { countyCode: '', county: '合计', households: projection.households, workers: projection.workers, wageBill: yuanNumber(projection.wageBillFen), countyShare: yuanNumber(projection.countiesShareFen), cityShare: yuanNumber(projection.cityShareFen) },
      ],
      scope,
      generatedAt: at,
    };
    return {
      kind,
      scope,
      parameters: parametersView(projection.parameters),
      parametersSource: source,
      counties,
      totals: {
        households: projection.households,
        workers: projection.workers,
        wageBill: yuanText(projection.wageBillFen),
        wageBillFen: projection.wageBillFen,
        cityShare: yuanText(projection.cityShareFen),
        cityShareFen: projection.cityShareFen,
        countiesShare: yuanText(projection.countiesShareFen),
        countiesShareFen: projection.countiesShareFen,
      },
      generatedAt: at.toISOString(),
      table,
    };
  }

  /** GET /projection: the live caseload of the reader's jurisdiction, per county. */
  async function liveProjection(p: Principal) {
    assertReader(p);
    const [caseload, names, params] = await Promise.all([programmeCaseload(db, p.region), countyNames(p.region), parametersFor(p.region)]);
    const counts = new Map(caseload.map((c) => [c.countyCode, c.households]));
    // Every county of the jurisdiction, with or without households; a reader below a county sees their own county.
    const codes = p.region.length >= 6 ? [p.region.slice(0, 6)] : [...new Set([...names.keys(), ...counts.keys()])].sort();
    const rows: CountyCaseload[] = codes.map((countyCode) => ({ countyCode, households: counts.get(countyCode) ?? 0 }));
    return resultOf('live', p.region, project(rows, params.parameters), names, params.source);
  }

  /** POST /projection/what-if: households per county as given (counties inside the reader's jurisdiction). */
  async function whatIfProjection(p: Principal, body: unknown) {
    assertReader(p);
    const input = parseOrFail(whatIfInputSchema, body, PARAM_ZH);
    const outside = input.counties.findIndex((c) => !c.countyCode.startsWith(p.region) && !p.region.startsWith(c.countyCode));
    if (outside >= 0) {
      const code = input.counties[outside].countyCode;
      throw errors.validationFailed([{ path: `body.counties[${outside}].countyCode`, message: `county ${code} is outside your jurisdiction ${p.region}`, messageZh: `县（市、区）${code} 不在您的管辖范围（${p.region}）内` }]);
    }
    const params = await parametersFor(p.region);
    const o = input.parameters ?? {};
    const parameters: ProjectionParameters = {
      householdsPerWorker: o.householdsPerWorker ?? params.parameters.householdsPerWorker,
      monthlyWageFen: o.monthlyWage !== undefined ? fenOfYuan(o.monthlyWage)! : params.parameters.monthlyWageFen,
      citySharePercent: o.citySharePercent ?? params.parameters.citySharePercent,
    };
    const names = await countyNames(p.region.length >= 4 ? p.region : p.region.slice(0, 2));
    const source = input.parameters && Object.keys(input.parameters).length > 0 ? 'what_if' : params.source;
    return resultOf('what_if', p.region, project(input.counties, parameters), names, source);
  }

  return { projectionSettings, setProjectionParameters, liveProjection, whatIfProjection, projectionParametersFor: parametersFor };
}
