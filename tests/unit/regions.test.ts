import { describe, expect, it } from 'vitest';
import { inJurisdiction, regionPrefix } from '../../src/domain/regions.js';

describe('regionPrefix', () => {
  // 灵宝市 411282; the township and village digits are illustrative.
  const village = '411282100201';

  it('cuts a 12-digit code to the prefix of each level', () => {
    expect(regionPrefix(village, 'province')).toBe('41');
    expect(regionPrefix(village, 'prefecture')).toBe('4112');
    expect(regionPrefix(village, 'county')).toBe('411282');
    expect(regionPrefix(village, 'township')).toBe('411282100');
    expect(regionPrefix(village, 'village')).toBe(village);
  });

  it('refuses codes that are not 12 digits', () => {
    expect(() => regionPrefix('411282', 'county')).toThrow(RangeError);
    expect(() => regionPrefix('41128210020a', 'county')).toThrow(RangeError);
  });
});

describe('inJurisdiction', () => {
  it('matches by prefix', () => {
    expect(inJurisdiction('411282100201', '411282')).toBe(true);
    expect(inJurisdiction('411282100201', '4112')).toBe(true);
    expect(inJurisdiction('411224100201', '411282')).toBe(false);
  });
});
