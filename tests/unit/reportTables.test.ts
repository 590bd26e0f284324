// The report tables' pure parts: nearest-rank percentiles of a weighted distribution, month ranges, and the
// count tables built from rollup rows (in care = active.* and the exit notice; off-path states left out).
import { describe, expect, it } from 'vitest';
import { byCategory, byPlacement, byRegion } from '../../src/engine/reportTables.js';
import { monthEnd, monthsBetween, percentile, stateLabel } from '../../src/reports/catalogue.js';

describe('report helpers', () => {
  it('percentile: nearest rank over counts', () => {
    const dist = [{ value: 5, n: 4 }, { value: 12, n: 5 }, { value: 40, n: 1 }];
    expect(percentile(dist, 0.5)).toBe(12); // rank 5 of 10
    expect(percentile(dist, 0.4)).toBe(5); // rank 4
    expect(percentile(dist, 0.9)).toBe(12); // rank 9
    expect(percentile(dist, 0.91)).toBe(40); // rank 10
    expect(percentile([], 0.5)).toBeNull();
  });

  it('months and month ends', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthEnd('2024-02')).toBe('2024-02-29');
    expect(stateLabel('publicity.objected')).toBe('异议处理中');
  });

  it('count tables: people in care by mode, categories of cases on the path, areas one level down', () => {
    const counts = [
      { villageCode: '411282108201', state: 'active.monitoring', placementMode: 'centralized_support', households: 2, people: 5 },
      { villageCode: '411282108202', state: 'exitNotice', placementMode: 'dispersed_care', households: 1, people: 1 },
      { villageCode: '411282108202', state: 'exited', placementMode: 'dispersed_care', households: 4, people: 9 },
      { villageCode: '411282109201', state: 'review', placementMode: '', households: 3, people: 4 },
    ];
    expect(byPlacement(counts).rows.map((r) => [r.mode, r.households, r.people])).toEqual([
      ['centralized_support', 2, 5], ['centralized_treatment', 0, 0], ['dispersed_care', 1, 1], ['total', 3, 6],
    ]);
    expect(byRegion(counts, '411282', (c) => `名${c}`).rows.map((r) => [r.regionCode, r.regionName, r.people, r.centralized_support, r.dispersed_care])).toEqual([
      ['411282108', '名411282108', 6, 5, 1], ['411282109', '名411282109', 4, 0, 0],
    ]);
    const cats = byCategory([
      { villageCode: '411282108201', state: 'active.monitoring', category: 'elderly', people: 3 },
      { villageCode: '411282108201', state: 'rejected.noticeServed', category: 'elderly', people: 7 },
      { villageCode: '411282108201', state: 'evaluation', category: 'elderly', people: 2 },
    ]);
    expect(cats.rows[0]).toMatchObject({ category: 'elderly', people: 5, inCare: 3 });
  });
});
