// Region codes (统计用区划代码): 12 digits = province 2 + prefecture 2 + county 2 + township 3 + village 3.
// Every region is stored with its full 12-digit code (higher levels padded with zeros: 灵宝市 411282000000);
// a jurisdiction is the significant prefix of its region ('411282' for 灵宝市, '4112' for 三门峡市).

export const REGION_LEVELS = ['province', 'prefecture', 'county', 'township', 'village'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

/** Number of significant leading digits of a code at each level. */
export const REGION_PREFIX_LENGTH: Readonly<Record<RegionLevel, number>> = {
  province: 2,
  prefecture: 4,
  county: 6,
  township: 9,
  village: 12,
};

/** The prefix that names `code`'s region at `level`: regionPrefix('411282100201', 'county') === '411282'. */
export function regionPrefix(code: string, level: RegionLevel): string {
  if (!/^[0-9]{12}$/.test(code)) throw new RangeError(`region code must be 12 digits, got ${JSON.stringify(code)}`);
  return code.slice(0, REGION_PREFIX_LENGTH[level]);
}

/** True when a jurisdiction prefix covers the given (village) code. */
export function inJurisdiction(code: string, jurisdiction: string): boolean {
  return code.startsWith(jurisdiction);
}
