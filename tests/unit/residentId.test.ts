import { describe, expect, it } from 'vitest';
import { maskResidentId,
  remaskLegacy, residentIdCheckChar, validateResidentId } from '../../src/domain/residentId.js';

// Check characters below were computed by hand from the GB 11643 weights, not by the code under test.
// 11010519491231002X is the standard's own worked example.
describe('residentIdCheckChar', () => {
  it.each([
    ['41128219470315123', '7'],
    ['41128219470315124', '5'],
    ['41128219800229002', '1'],
    ['11010519491231002', 'X'],
    ['41128219561108013', '0'],
  ])('%s → %s', (first17, check) => {
    expect(residentIdCheckChar(first17)).toBe(check);
  });

  it('refuses anything but 17 digits', () => {
    expect(() => residentIdCheckChar('4112821947031512')).toThrow(RangeError);
    expect(() => residentIdCheckChar('4112821947031512a')).toThrow(RangeError);
  });
});

describe('validateResidentId', () => {
  it('accepts a valid number and reads birth date and sex (odd sequence = male)', () => {
    expect(validateResidentId('411282194703151237')).toEqual({ ok: true, birthDate: '1947-03-15', sex: 'male' });
    expect(validateResidentId('411282194703151245')).toEqual({ ok: true, birthDate: '1947-03-15', sex: 'female' });
    expect(validateResidentId('411221200001010128')).toEqual({ ok: true, birthDate: '2000-01-01', sex: 'female' });
  });

  it('accepts a matching birth date, including 29 February of a leap year', () => {
    expect(validateResidentId('411282194703151237', '1947-03-15').ok).toBe(true);
    expect(validateResidentId('411282198002290021', '1980-02-29')).toEqual({
      ok: true,
      birthDate: '1980-02-29',
      sex: 'female',
    });
  });

  it('accepts X as the check character, in either case', () => {
    expect(validateResidentId('11010519491231002X')).toEqual({ ok: true, birthDate: '1949-12-31', sex: 'female' });
    expect(validateResidentId('11010519491231002x')).toEqual({ ok: true, birthDate: '1949-12-31', sex: 'female' });
  });

  it('refuses a wrong check character', () => {
    const result = validateResidentId('411282194703151238');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/check character/);
    expect(validateResidentId('110105194912310021').ok).toBe(false);
  });

  it('refuses an impossible embedded birth date', () => {
    // 1947-02-30 does not exist; 1947 is not a leap year. The check characters are correct for these digits.
    const feb30 = '41128219470230123';
    expect(validateResidentId(feb30 + residentIdCheckChar(feb30))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/birth date/),
    });
    const feb29 = '41128219470229123';
    expect(validateResidentId(feb29 + residentIdCheckChar(feb29)).ok).toBe(false);
    const month13 = '41128219471301123';
    expect(validateResidentId(month13 + residentIdCheckChar(month13)).ok).toBe(false);
  });

  it('refuses a birth date that differs from the one given', () => {
    const result = validateResidentId('411282194703151237', '1947-03-16');
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/differs/) });
  });

  it('refuses the wrong length and stray characters', () => {
    expect(validateResidentId('41128219470315123').ok).toBe(false);
    expect(validateResidentId('4112821947031512370').ok).toBe(false);
    expect(validateResidentId('').ok).toBe(false);
    expect(validateResidentId('41128219470315X237').ok).toBe(false);
    expect(validateResidentId('41128219470315 237').ok).toBe(false);
  });

  it('never repeats the number in its reason', () => {
    const result = validateResidentId('411282194703151238');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toContain('411282');
  });
});

describe('maskResidentId', () => {
  it('keeps the first 6 and last 2 characters: the birth date and two sequence digits are hidden', () => {
    expect(maskResidentId('411282194703151237')).toBe('411282**********37');
    expect(maskResidentId('11010519491231002X')).toBe('110105**********2X');
  });

  it('re-masks numbers masked the old way (6 + 4) in text', () => {
    expect(remaskLegacy('a 411282********1237 b 110105********002X')).toBe('a 411282**********37 b 110105**********2X');
    expect(remaskLegacy('411282**********37')).toBe('411282**********37');
  });

  it('masks anything that is not 18 characters entirely', () => {
    expect(maskResidentId('4112821947')).toBe('**********');
  });
});
