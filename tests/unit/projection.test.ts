// The funding projection's arithmetic and money helpers (pure): the article's figures, rounding up per county, and
// shares that add up to the fen.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dividendCheck, incomeTotals } from '../../src/domain/income.js';
import { divideRounded, fenOfYuan, splitByWeight, yuanText } from '../../src/domain/money.js';
import { defaultProjectionParameters, project } from '../../src/domain/projection.js';

describe('project', () => {
  it('12,000 households → 3,000 workers → 144,000,000 yuan; city 57,600,000, counties 86,400,000 split by caseload', () => {
    const caseloads = [
      { countyCode: '411202', households: 1200 },
      { countyCode: '411203', households: 1600 },
      { countyCode: '411221', households: 2000 },
      { countyCode: '411224', households: 2400 },
      { countyCode: '411281', households: 800 },
      { countyCode: '411282', households: 4000 },
    ];
    const p = project(caseloads, defaultProjectionParameters);
    expect(p.households).toBe(12_000);
    expect(p.workers).toBe(3_000);
    expect(yuanText(p.wageBillFen)).toBe('144000000.00');
    expect(yuanText(p.cityShareFen)).toBe('57600000.00');
    expect(yuanText(p.countiesShareFen)).toBe('86400000.00');
    // 86,400,000 / 12,000 = 7,200 yuan per household: each county's share is exactly its households × 7,200.
    expect(p.counties.map((c) => c.countyShareFen)).toEqual(caseloads.map((c) => c.households * 720_000));
    expect(p.counties.map((c) => c.workers)).toEqual([300, 400, 500, 600, 200, 1000]);
  });

  it('rounds workers up per county and splits the counties’ share to the fen', () => {
    const p = project(
      [
        { countyCode: '411202', households: 7 },
        { countyCode: '411203', households: 5 },
        { countyCode: '411221', households: 1 },
      ],
      defaultProjectionParameters,
    );
    expect(p.counties.map((c) => c.workers)).toEqual([2, 2, 1]); // not ceil(13 / 4) = 4
    expect(p.wageBillFen).toBe(5 * 4000 * 12 * 100);
    expect(p.cityShareFen).toBe(9_600_000);
    expect(p.countiesShareFen).toBe(14_400_000);
    // 14,400,000 fen × 7/13, 5/13, 1/13 = 7,753,846.15…, 5,538,461.53…, 1,107,692.30…: the leftover fen go to the
    // largest remainders, and the three add up exactly.
    expect(p.counties.map((c) => c.countyShareFen)).toEqual([7_753_846, 5_538_462, 1_107_692]);
    expect(p.counties.reduce((s, c) => s + c.countyShareFen, 0)).toBe(p.countiesShareFen);
  });

  it('always adds up: city + counties = the bill, and the counties’ shares = their part (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        (households, householdsPerWorker, monthlyWageFen, citySharePercent) => {
          const p = project(households.map((h, i) => ({ countyCode: String(411200 + i), households: h })), { householdsPerWorker, monthlyWageFen, citySharePercent });
          expect(p.cityShareFen + p.countiesShareFen).toBe(p.wageBillFen);
          expect(p.counties.reduce((s, c) => s + c.countyShareFen, 0)).toBe(p.countiesShareFen);
          for (const c of p.counties) expect(c.workers).toBe(Math.ceil(c.households / householdsPerWorker));
        },
      ),
    );
  });
});

describe('money', () => {
  it('reads yuan exactly and refuses what is not an amount', () => {
    expect(fenOfYuan(5784)).toBe(578_400);
    expect(fenOfYuan('5784.5')).toBe(578_450);
    expect(fenOfYuan('0.07')).toBe(7);
    expect(fenOfYuan(0.29)).toBe(29); // 0.29 * 100 would be 28.999999999999996
    for (const bad of [-1, '1.234', '1e3', 'abc', '', null, Number.NaN, 1e21, '١٢']) expect(fenOfYuan(bad), String(bad)).toBeNull();
  });

  it('splits by weight to the fen, evenly when every weight is 0', () => {
    expect(splitByWeight(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitByWeight(10, [0, 0])).toEqual([5, 5]);
    expect(splitByWeight(0, [3, 4])).toEqual([0, 0]);
    expect(divideRounded(1_228_400, 2)).toBe(614_200);
    expect(divideRounded(100, 3)).toBe(33);
    expect(divideRounded(200, 3)).toBe(67);
  });

  it('totals and the 120% check', () => {
    const t = incomeTotals([{ source: 'dibao', amountFen: 578_400 }, { source: 'dividend_collective', amountFen: 450_000 }, { source: 'care_fund', amountFen: 200_000 }], 2);
    expect(t).toEqual({ totalFen: 1_228_400, byGroup: { policy: 578_400, dividends: 450_000, care_fund: 200_000 }, members: 2, perPersonFen: 614_200 });
    expect(incomeTotals([], 0).perPersonFen).toBeNull();
    expect(dividendCheck(110_000, 100_000)).toEqual({ status: 'shortfall', referenceFen: 100_000, requiredFen: 120_000, recordedFen: 110_000, shortfallFen: 10_000 });
    expect(dividendCheck(1, 1)).toMatchObject({ requiredFen: 2, status: 'shortfall', shortfallFen: 1 }); // 1.2 fen rounds up, never below the rule
    expect(dividendCheck(5, null)).toEqual({ status: 'no_reference', recordedFen: 5 });
  });
});

describe('the money fields in Chinese', () => {
  it('translates every message the money schemas write', async () => {
    const { localizeIssue } = await import('../../src/http/i18n.js');
    const { incomeYearInputSchema, incomeYear } = await import('../../src/engine/income.js');
    const { whatIfInputSchema, projectionParametersSchema } = await import('../../src/engine/projection.js');
    const messages = [
      ...incomeYearInputSchema.safeParse({ lines: [{ source: 'x', amount: 1.234, evidence: ' ' }, { source: 'dibao', amount: 1, evidence: 'a' }, { source: 'dibao', amount: 1, evidence: 'a' }] }).error!.issues,
      ...incomeYear.safeParse('1999').error!.issues,
      ...whatIfInputSchema.safeParse({ counties: [{ countyCode: '411282', households: -1 }, { countyCode: '411282', households: 1.5 }] }).error!.issues,
      ...whatIfInputSchema.safeParse({ counties: [] }).error!.issues,
      ...projectionParametersSchema.safeParse({ householdsPerWorker: 0, monthlyWage: 'x', citySharePercent: 101 }).error!.issues,
    ].map((i) => i.message);
    expect(messages.length).toBeGreaterThan(8);
    for (const m of messages) expect(localizeIssue(m), m).not.toMatch(/^填写有误/);
  });
});
