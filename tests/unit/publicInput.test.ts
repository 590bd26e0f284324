// The pure pieces of the public pages: what a villager may type (plain text only), the form token (CSRF without a
// login), the receipt number, and the machine's rule that the public actor files online objections and nothing else.
import { describe, expect, it } from 'vitest';
import { initialContext, defaultCasePolicy, type CaseEvent } from '../../machines/index.js';
import { violations } from '../../machines/rules.js';
import { documentCheckInputSchema, publicObjectionInputSchema } from '../../src/engine/publicInput.js';
import { receiptOf } from '../../src/engine/publicObjection.js';
import { createFormTokens, FORM_TTL_MS } from '../../src/public/formToken.js';

const valid = { code: 'abcd-efgh', caseNumber: '411282-2026-000123', name: ' 张三 ', contact: '13800001234', text: '该户儿子有稳定工作。\r\n请核实。' };

describe('what a villager may type', () => {
  it('normalizes the code and trims; keeps line breaks in the text', () => {
    const r = publicObjectionInputSchema.parse(valid);
    expect(r).toEqual({ code: 'ABCDEFGH', caseNumber: '411282-2026-000123', name: '张三', contact: '13800001234', text: '该户儿子有稳定工作。\n请核实。' });
    expect(publicObjectionInputSchema.parse({ ...valid, code: 'oIlL-0000' }).code).toBe('01110000');
  });

  it.each([
    ['text', '<script>alert(1)</script>不符合'],
    ['text', '见 <a href=x>链接</a> 不符合'],
    ['text', '不符合 &lt;b&gt; 条件'],
    ['text', '不符合 &#60; 条件'],
    ['text', 'JavaScript : alert(1) 不符合'],
    ['name', 'x" onmouseover="alert(1)'],
    ['name', '张三\n李四'],
    ['text', '不符合\u0000条件的家庭'],
    ['text', '不符合\u001b[31m条件'],
    ['text', '不符合\u202e条件的家庭'],
    ['text', '太短'],
    ['text', '异'.repeat(2001)],
    ['contact', '123'],
    ['name', '   '],
  ])('refuses %s %j, naming the field in Chinese', (field, value) => {
    const r = publicObjectionInputSchema.safeParse({ ...valid, [field]: value });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path[0] === field)!;
    expect(issue.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('accepts ordinary punctuation, a < or & in prose, and 2,000 characters', () => {
    for (const text of ['收入 < 5000 元，且 A&B 两家都知道', '他说：“我不同意”。（附：2026年3月）', '异'.repeat(2000)]) {
      expect(publicObjectionInputSchema.safeParse({ ...valid, text }).success, text.slice(0, 20)).toBe(true);
    }
  });

  it('refuses unknown fields, and a check without code or hash', () => {
    const extra = publicObjectionInputSchema.safeParse({ ...valid, admin: true });
    expect(extra.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['admin'] });
    expect(documentCheckInputSchema.safeParse({}).success).toBe(false);
    expect(documentCheckInputSchema.parse({ sha256: ` ${'AB'.repeat(32)} ` })).toEqual({ sha256: 'ab'.repeat(32) });
  });
});

describe('the form token', () => {
  const tokens = createFormTokens('secret-of-the-service-0123456789');
  const form = { code: 'ABCDEFGH', caseNumber: '411282-2026-000123' };
  const browser = 'b'.repeat(22);
  const now = new Date('2026-03-02T01:00:00Z');
  const token = tokens.mint({ ...form, receipt: 'W20260302ABCDEF' }, browser, now);

  it('gives back the receipt for this form, browser and time', () => {
    expect(tokens.verify(token, form, browser, new Date(now.getTime() + FORM_TTL_MS - 1))).toBe('W20260302ABCDEF');
  });

  it('is refused for another household, code, browser, key, a stale or altered token, or none', () => {
    expect(tokens.verify(token, { ...form, caseNumber: '411282-2026-000124' }, browser, now)).toBeNull();
    expect(tokens.verify(token, { ...form, code: 'ABCDEFGJ' }, browser, now)).toBeNull();
    expect(tokens.verify(token, form, 'c'.repeat(22), now)).toBeNull();
    expect(tokens.verify(token, form, undefined, now)).toBeNull();
    expect(createFormTokens('another-secret-0123456789abcdef').verify(token, form, browser, now)).toBeNull();
    expect(tokens.verify(token, form, browser, new Date(now.getTime() + FORM_TTL_MS + 1))).toBeNull();
    expect(tokens.verify(token.replace('W20260302ABCDEF', 'W20260302ABCDEG'), form, browser, now)).toBeNull();
    expect(tokens.verify('', form, browser, now)).toBeNull();
  });
});

describe('the receipt number and the public actor', () => {
  it('receipts are W + the China date + 6 Crockford characters', () => {
    expect(receiptOf('2026-03-02', new Uint8Array([1, 2, 3, 4, 5]))).toMatch(/^W20260302[0-9A-HJKMNP-TV-Z]{6}$/);
  });

  it('the public actor files objections online only, and does nothing else', () => {
    const at = '2026-03-02T01:00:00Z';
    const ctx = initialContext({ caseId: 'c', policy: defaultCasePolicy, createdBy: 'u', createdAt: at, household: { villageCode: '411282108201', hasLegalSupporter: false, members: [{ id: 'm', birthDate: '1947-02-10', labourCapacity: 'none', disabilities: [], seriousIllness: null, severeMentalDisorder: false, selfCare: null }] } });
    ctx.publicity = { round: 1, openedAt: at, endsAt: '2026-03-09T01:00:00Z', objections: [] };
    const pub = { id: 'public', role: 'public' as const };
    const file = (actor: { id: string; role: 'public' | 'officer' }, channel: string) =>
      ({ type: 'FILE_OBJECTION', objectionId: 'W1', lodgedBy: 'x', channel, content: '不符合条件', actor, at }) as CaseEvent;
    expect(violations(ctx, file(pub, 'online'))).toEqual([]);
    expect(violations(ctx, file(pub, 'paper')).map((v) => v.rule)).toEqual(['ONLINE_CHANNEL_ONLY']);
    expect(violations(ctx, file({ id: 'o', role: 'officer' }, 'online')).map((v) => v.rule)).toEqual(['ONLINE_CHANNEL_PUBLIC']);
    for (const e of [
      { type: 'RESOLVE_OBJECTION', objectionId: 'W1', outcome: 'dismissed', reason: 'x' },
      { type: 'NOTICE_PERIOD_ENDED' },
      { type: 'REOPEN', reason: 'x' },
    ]) {
      expect(violations(ctx, { ...e, actor: pub, at } as CaseEvent).map((v) => v.rule), e.type).toEqual(['ROLE_REQUIRED']);
    }
  });
});
