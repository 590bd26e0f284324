import { describe, expect, it } from 'vitest';
import { auditSafe, maskDeep, memberIdentity } from '../../src/engine/identity.js';

const ID = '411282194703151237';

describe('identity in responses', () => {
  it('identity roles get the number and the birth date; the others the mask and the age only', () => {
    const now = new Date('2026-03-02T01:00:00Z');
    expect(memberIdentity({ idNumber: ID, birthDate: '1947-03-15' }, true, now)).toEqual({ idNumber: ID, birthDate: '1947-03-15', age: 78 });
    expect(memberIdentity({ idNumber: ID, birthDate: '1947-03-15' }, false, now)).toEqual({ idNumber: '411282**********37', age: 78 });
  });

  it('free text: numbers and old-style masks masked, other values untouched', () => {
    expect(maskDeep({ a: [`证 ${ID}`, '411282********1237'], n: 3, b: true })).toEqual({ a: ['证 411282**********37', '411282**********37'], n: 3, b: true });
  });

  it('audit payloads, as written and as stored before: no birth date beside a number, an age on the record date', () => {
    const at = new Date('2026-03-02T01:00:00Z');
    const legacy = { household: { members: [{ name: '孙某', idNumber: '411282********1237', birthDate: '1947-03-15', sex: 'male' }] }, note: `证 ${ID}` };
    expect(auditSafe(legacy, at)).toEqual({ household: { members: [{ name: '孙某', idNumber: '411282**********37', age: 78, sex: 'male' }] }, note: '证 411282**********37' });
    expect(auditSafe(auditSafe(legacy, at), at)).toEqual(auditSafe(legacy, at));
    expect(auditSafe({ reason: 'x', date: '2026-03-01' }, at)).toEqual({ reason: 'x', date: '2026-03-01' });
  });
});
