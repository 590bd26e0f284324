/**
 * The count reports, built from the rollups (src/db/reportRollup.ts): people and households by state, placement
 * mode, category and region. Pure functions of the rows read, so the figures are unit-testable.
 */
import { categories, placementModes, type Category, type PlacementMode } from '../../machines/index.js';
import type { CaseCountRow, CategoryCountRow } from '../db/reportRollup.js';
import { categoryLabels, placementModeLabels } from '../labels.js';
import { CLOSED_OR_OFF_PATH, IN_CARE_STATES, stateLabel, stateRank } from '../reports/catalogue.js';
import type { ReportColumn, ReportRow } from '../reports/table.js';

export interface TableBody<Row extends ReportRow = ReportRow> {
  columns: ReportColumn<Extract<keyof Row, string>>[];
  rows: Row[];
}

const inCare = (r: { state: string }) => IN_CARE_STATES.includes(r.state);

export function byState(counts: readonly CaseCountRow[]): TableBody {
  const by = new Map<string, { households: number; people: number }>();
  for (const c of counts) {
    const x = by.get(c.state) ?? { households: 0, people: 0 };
    x.households += c.households;
    x.people += c.people;
    by.set(c.state, x);
  }
  const rows = [...by]
    .sort(([a], [b]) => stateRank(a) - stateRank(b) || a.localeCompare(b))
    .map(([state, x]) => ({ state, stateLabel: stateLabel(state), households: x.households, people: x.people }));
  return {
    columns: [
      { key: 'state', label: '状态代码', type: 'text' },
      { key: 'stateLabel', label: '办理状态', type: 'text' },
      { key: 'households', label: '户数', type: 'integer' },
      { key: 'people', label: '人数', type: 'integer' },
    ],
    rows,
  };
}

/** People and households in care by placement mode (三个一批), every mode listed, with the total. */
export function byPlacement(counts: readonly CaseCountRow[]): TableBody {
  const by = new Map<PlacementMode, { households: number; people: number }>(placementModes.map((m) => [m, { households: 0, people: 0 }]));
  for (const c of counts) {
    const x = by.get(c.placementMode as PlacementMode);
    if (!x || !inCare(c)) continue;
    x.households += c.households;
    x.people += c.people;
  }
  const rows: ReportRow[] = placementModes.map((mode) => ({ mode, modeLabel: placementModeLabels[mode], ...by.get(mode)! }));
  const total = { households: 0, people: 0 };
  for (const x of by.values()) {
    total.households += x.households;
    total.people += x.people;
  }
  rows.push({ mode: 'total', modeLabel: '合计', ...total });
  return {
    columns: [
      { key: 'mode', label: '安置方式代码', type: 'text' },
      { key: 'modeLabel', label: '安置方式', type: 'text' },
      { key: 'households', label: '户数', type: 'integer' },
      { key: 'people', label: '人数', type: 'integer' },
    ],
    rows,
  };
}

/**
 * People by category (五类) in the households of open cases on the path (not exited, screened out or rejected),
 * and of them those in care. A person in two categories counts in both rows.
 */
export function byCategory(counts: readonly CategoryCountRow[]): TableBody {
  const by = new Map<Category, { people: number; inCare: number }>(categories.map((c) => [c, { people: 0, inCare: 0 }]));
  for (const c of counts) {
    const x = by.get(c.category as Category);
    if (!x || CLOSED_OR_OFF_PATH(c.state)) continue;
    x.people += c.people;
    if (inCare(c)) x.inCare += c.people;
  }
  return {
    columns: [
      { key: 'category', label: '类别代码', type: 'text' },
      { key: 'categoryLabel', label: '五类对象', type: 'text' },
      { key: 'people', label: '在册人数', type: 'integer' },
      { key: 'inCare', label: '其中已安置', type: 'integer' },
    ],
    rows: categories.map((category) => ({ category, categoryLabel: categoryLabels[category], ...by.get(category)! })),
  };
}

/** The code length of the areas one level below a region prefix: province → city → county → township → village. */
export const childAreaLength = (prefix: string) => (prefix.length < 4 ? 4 : prefix.length < 6 ? 6 : prefix.length < 9 ? 9 : 12);

/** Open cases on the path and the people in care by mode, per area one level below the scope. */
export function byRegion(counts: readonly CaseCountRow[], scope: string, nameOf: (code: string) => string): TableBody {
  const n = childAreaLength(scope);
  type Area = { households: number; people: number } & Record<PlacementMode, number>;
  const by = new Map<string, Area>();
  for (const c of counts) {
    if (CLOSED_OR_OFF_PATH(c.state)) continue;
    const code = c.villageCode.slice(0, n);
    const x = by.get(code) ?? { households: 0, people: 0, centralized_support: 0, centralized_treatment: 0, dispersed_care: 0 };
    x.households += c.households;
    x.people += c.people;
    if (inCare(c) && placementModes.includes(c.placementMode as PlacementMode)) x[c.placementMode as PlacementMode] += c.people;
    by.set(code, x);
  }
  return {
    columns: [
      { key: 'regionCode', label: '区划代码', type: 'text' },
      { key: 'regionName', label: '地区', type: 'text' },
      { key: 'households', label: '在办户数', type: 'integer' },
      { key: 'people', label: '在办人数', type: 'integer' },
      { key: 'centralized_support', label: '集中供养（人）', type: 'integer' },
      { key: 'centralized_treatment', label: '集中救治（人）', type: 'integer' },
      { key: 'dispersed_care', label: '分散托养（人）', type: 'integer' },
    ],
    rows: [...by].sort(([a], [b]) => a.localeCompare(b)).map(([regionCode, x]) => ({ regionCode, regionName: nameOf(regionCode), ...x })),
  };
}
