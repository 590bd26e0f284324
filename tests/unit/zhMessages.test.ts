// Every message a user can see has a Chinese version: the catalogue, every rule of machines/rules.ts, the
// typed constructors; and the language negotiation and field-issue translation behind them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultCasePolicy, initialContext, violations, type CaseContext, type CaseEvent, type Role } from '../../machines/index.js';
import { errorCatalogue, errorCatalogueMarkdown, errorCodes, errors, replaceErrorTable } from '../../src/errors.js';
import { localizedError } from '../../src/http/errorHandler.js';
import { localizeIssue, parseAcceptLanguage, preferredLanguage } from '../../src/http/i18n.js';
import * as labels from '../../src/labels.js';

const CJK = /[\u4e00-\u9fff]/;
const AT = '2026-03-02T01:00:00Z';

describe('the catalogue in Chinese', () => {
  it('gives every code a non-empty messageZh in Chinese', () => {
    for (const code of errorCodes) {
      expect(errorCatalogue[code].messageZh, code).toMatch(CJK);
    }
    expect(errorCatalogue.VERSION_CONFLICT.messageZh).toBe('此案件已被他人更新，请刷新后重试');
  });

  it('the README table is the generated one, with its 中文 column', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(replaceErrorTable(readme, errorCatalogueMarkdown()), 'run npm run error-table').toBe(readme);
    expect(errorCatalogueMarkdown()).toContain('| `VERSION_CONFLICT` | 409 | The case was changed by someone else; reload it and try again | 此案件已被他人更新，请刷新后重试 |');
  });

  it('labels every value of every domain enum', () => {
    for (const [name, dict] of Object.entries(labels)) {
      if (typeof dict === 'function') continue;
      for (const [key, label] of Object.entries(dict)) expect(label, `${name}.${key}`).toMatch(CJK);
    }
    expect(labels.eventLabels.CANCEL_EXIT).toBe('撤销退出');
    expect(labels.roleLabels.visitor).toBe('回访干部');
  });
});

describe('typed constructors', () => {
  it('build a Chinese message beside the English one, which is unchanged', () => {
    const cases = [
      [errors.versionConflict(2, 3), 'The case is at version 3, not 2; reload it and try again'],
      [errors.eventNotAllowed({ state: 'publicity', event: 'APPROVE', allowedEvents: ['FILE_OBJECTION'] }), 'APPROVE is not allowed now; allowed: FILE_OBJECTION'],
      [errors.duplicateResident('c-1'), 'A member of this household is already in open case c-1'],
      [errors.forbidden({ roles: ['admin'], jurisdiction: '411282' }), 'This needs role admin, jurisdiction over region 411282'],
      [errors.userConflict('username'), 'Another user already has this username'],
      [errors.payloadTooLarge(1024), 'The request body is larger than 1024 bytes'],
      [errors.settingVersionConflict({ setting: 'calendar:2027', scope: 'global', expectedVersion: 0, currentVersion: 1 }), 'calendar:2027 of scope global is at version 1, not 0; reload it and try again'],
      [errors.preconditionRequired(4), 'This change needs If-Match: "4" (the version you read; the ETag of the GET)'],
      [errors.timerStateConflict({ timerId: 9, status: 'done', allowed: ['failed'] }), 'Timer 9 is done; this needs failed'],
      [errors.webhookTargetRefused({ host: 'x.cn', reason: 'private' }), 'Webhooks may not point at x.cn (private)'],
      [errors.caseNotFound('c-2'), 'No case c-2'],
      [errors.guardFailed([{ rule: 'A', message: 'a', messageZh: '甲' }, { rule: 'B', message: 'b', messageZh: '乙' }]), 'a; b'],
    ] as const;
    for (const [error, english] of cases) {
      expect(error.message).toBe(english);
      expect(error.messageZh, english).toMatch(CJK);
      expect(localizedError(error, 'zh').message).toBe(error.messageZh);
      expect(localizedError(error, 'en').message).toBe(english);
    }
    expect(errors.eventNotAllowed({ state: 's', event: 'APPROVE', allowedEvents: ['FILE_OBJECTION', 'NOTICE_PERIOD_ENDED'] }).messageZh)
      .toBe('案件当前环节不能进行“审核通过”操作；当前可进行：登记异议、公示期满');
    expect(errors.forbidden({ roles: ['admin'], jurisdiction: '411282' }).messageZh).toBe('此操作需要管理员权限，以及对区划 411282 的管辖权限');
    expect(localizedError(errors.guardFailed([{ rule: 'A', message: 'a', messageZh: '甲' }, { rule: 'B', message: 'b', messageZh: '乙' }]), 'zh'))
      .toEqual({ code: 'GUARD_FAILED', message: '甲；乙', details: { rule: 'A', message: '甲', violations: [{ rule: 'A', message: '甲' }, { rule: 'B', message: '乙' }] } });
  });

  it('localizedError keeps the body shape: only { path, message } per field, in either language', () => {
    const e = errors.validationFailed([{ path: 'body.a', message: 'a must not be blank' }, { path: 'body.b', message: 'odd', messageZh: '奇怪' }]);
    expect(e.details).toEqual([{ path: 'body.a', message: 'a must not be blank' }, { path: 'body.b', message: 'odd' }]);
    expect(localizedError(e, 'en').details).toEqual(e.details);
    expect(localizedError(e, 'zh')).toEqual({
      code: 'VALIDATION_FAILED',
      message: errorCatalogue.VALIDATION_FAILED.messageZh,
      details: [{ path: 'body.a', message: '不能为空' }, { path: 'body.b', message: '奇怪' }],
    });
    expect(localizedError(errors.internal(new Error('secret SQL')), 'zh', 'req-1').message).toBe('系统内部错误，请将请求编号 req-1 提供给技术支持人员');
    expect(localizedError(new Error('secret SQL'), 'en', 'req-1')).toEqual({ code: 'INTERNAL', message: 'Internal error; quote request id req-1' });
  });
});

describe('Accept-Language', () => {
  it.each([
    [undefined, 'en'], ['', 'en'], ['zh-CN', 'zh'], ['zh', 'zh'], ['zh-Hans', 'zh'], ['ZH-cn', 'zh'],
    ['zh;q=0.9,en;q=0.5', 'zh'], ['en;q=0.5,zh;q=0.9', 'zh'], ['en,zh;q=0.8', 'en'], ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['fr,zh-CN;q=0.5', 'zh'], ['fr,de', 'en'], ['*', 'en'], ['zh;q=0', 'en'], ['zh;q=2', 'en'], ['zh-CN;q=0.001, en;q=0', 'zh'],
    ['garbage;;;', 'en'],
  ] as const)('%s → %s', (header, lang) => {
    expect(preferredLanguage(header)).toBe(lang);
  });

  it('orders by q, then by position', () => {
    expect(parseAcceptLanguage('en;q=0.5, zh-CN, zh;q=0.9, fr;q=0')).toEqual([{ tag: 'zh-cn', q: 1 }, { tag: 'zh', q: 0.9 }, { tag: 'en', q: 0.5 }]);
  });
});

describe('localizeIssue', () => {
  it.each([
    ['name must not be blank', '不能为空'],
    ['expected a date as YYYY-MM-DD', '日期格式应为 YYYY-MM-DD'],
    ['expected an 18-character resident ID number (17 digits and a digit or X)', '应为18位居民身份证号码（17位数字加1位数字或X）'],
    ['the check character does not match; the number was probably mistyped', '身份证号码校验位不符，可能输入有误，请核对'],
    ['the birth date inside the ID number differs from the birth date given', '身份证号码中的出生日期与填写的出生日期不一致'],
    ['the ID number is that of a woman', '身份证号码显示为女性，与填写的性别不一致'],
    ['the same person as members[0]', '与第 1 位家庭成员是同一人'],
    ['Unrecognized key: "nickname"', '不允许的字段：nickname'],
    ['Unrecognized keys: "a", "b"', '不允许的字段：a、b'],
    ['Invalid input: expected string, received undefined', '必填'],
    ['Invalid input: expected number, received string', '类型有误，应为数字'],
    ['Invalid option: expected one of "male"|"female"', '取值无效'],
    ['Too big: expected array to have <=30 items', '最多 30 项'],
    ['Too small: expected number to be >=0', '不能小于 0'],
    ['name is at most 50 characters', '不能超过 50 个字符'],
    ['advanceDays is 1 to 366', '应为 1 至 366'],
    ['已经是中文', '已经是中文'],
    ['something nobody translated', '填写有误：something nobody translated'],
  ])('%s → %s', (en, zh) => {
    expect(localizeIssue({ message: en })).toBe(zh);
  });
});

describe('machines/rules.ts in Chinese', () => {
  const member = (id: string, labourCapacity: 'full' | 'none' = 'none') => ({
    id, birthDate: '1947-02-10', labourCapacity, disabilities: [], seriousIllness: null, severeMentalDisorder: false, selfCare: null,
  });
  const context = (change: (c: CaseContext) => void = () => {}) => {
    const c = initialContext({
      caseId: 'c', policy: defaultCasePolicy, createdBy: 'u', createdAt: AT,
      household: { villageCode: '411282108201', hasLegalSupporter: true, members: [member('m1')] },
    });
    change(c);
    return c;
  };
  const ev = (role: Role, e: Record<string, unknown>, level: string | null = null) =>
    ({ at: AT, actor: { id: 'a', role, level }, ...e }) as unknown as CaseEvent;
  const facility = (type: string) => ({ id: 'f', name: 'Home A', type, beds: 0, occupiedBeds: 0, caregivers: 0, medicalStaff: 0, patientsPerMedicalStaff: 1 });
  const guardian = (kind: string) => ({ name: '王某', kind, appointedByTownship: false, currentWards: 3, maxWards: 3 });
  const unsigned = { signedOn: '2026-03-01', startDate: '2026-03-01', termMonths: 12, signatories: { villageCommittee: false, guardian: true, beneficiary: true } };
  const publicity = (endsAt: string) => (c: CaseContext) => {
    c.publicity = { round: 1, openedAt: AT, endsAt, objections: [{ id: 'o1', lodgedBy: 'x', channel: 'paper', content: 'x', filedBy: 'a', filedAt: AT, status: 'open' }] };
  };

  /** Contexts and events that, together, break every rule of machines/rules.ts at least once. */
  const breaking: [CaseContext, CaseEvent][] = [
    [context(), ev('enumerator', { type: 'UPDATE_SURVEY', household: { villageCode: '411282108201', hasLegalSupporter: true, members: [member('x'), member('x')] } })],
    [context(), ev('officer', { type: 'REOPEN', reason: ' ' })],
    [context(), ev('evaluator', { type: 'RECORD_ASSESSMENT', assessment: { memberId: 'zz', categories: ['elderly'], labourCapacity: 'none', evidence: [] } })],
    [context((c) => { c.evaluation.assessments = { other: { memberId: 'other', categories: [], labourCapacity: 'full', evidence: [], selfCare: null, by: 'a', at: AT } }; }),
      ev('evaluator', { type: 'SUBMIT_EVALUATION', conclusion: '' })],
    [context((c) => { c.evaluatorIds = ['a']; c.review.approvals = [{ level: 'village', actorId: 'a', at: AT }]; }), ev('reviewer', { type: 'APPROVE' }, 'village')],
    [context((c) => { c.rejection = { by: 'r', at: AT, level: 'village', reason: 'x', refusalNotice: null }; }), ev('officer', { type: 'RECORD_REFUSAL_NOTICE', noticeNumber: '1', servedOn: '2026-01-01' })],
    [context(), ev('officer', { type: 'RECORD_REFUSAL_NOTICE', noticeNumber: '1', servedOn: '2027-01-01' })],
    [context(publicity('2026-03-01T00:00:00Z')), ev('officer', { type: 'FILE_OBJECTION', objectionId: 'o1', lodgedBy: 'x', channel: 'paper', content: 'x' })],
    [context(), ev('public', { type: 'FILE_OBJECTION', objectionId: 'W1', lodgedBy: 'x', channel: 'paper', content: 'x' })],
    [context(), ev('officer', { type: 'FILE_OBJECTION', objectionId: 'W1', lodgedBy: 'x', channel: 'online', content: 'x' })],
    [context(), ev('officer', { type: 'RESOLVE_OBJECTION', objectionId: 'nope', outcome: 'dismissed', reason: 'x' })],
    [context(publicity('2026-03-09T00:00:00Z')), ev('system', { type: 'NOTICE_PERIOD_ENDED' })],
    [context(), ev('system', { type: 'NOTICE_PERIOD_ENDED' })],
    [context(), ev('officer', { type: 'PLACE', mode: 'dispersed_care', startDate: '2026-03-02', facility: facility('nursing_home') })],
    [context(), ev('officer', { type: 'PLACE', mode: 'dispersed_care', startDate: '2026-03-02', guardian: guardian('neighbour'), agreement: unsigned })],
    [context((c) => { c.household.hasLegalSupporter = false; }), ev('officer', { type: 'PLACE', mode: 'dispersed_care', startDate: '2026-03-02', guardian: guardian('legal_supporter') })],
    [context(), ev('officer', { type: 'PLACE', mode: 'centralized_support', startDate: '2026-03-02', guardian: guardian('neighbour') })],
    [context(), ev('officer', { type: 'PLACE', mode: 'centralized_support', startDate: '2026-03-02', facility: facility('county_hospital') })],
    [context(), ev('officer', { type: 'PLACE', mode: 'centralized_treatment', startDate: '2026-03-02', facility: facility('nursing_home') })],
    [context((c) => { c.placement = { mode: 'dispersed_care', startDate: '2026-03-01', placedBy: 'o', placedAt: AT }; }),
      ev('visitor', { type: 'RECORD_REVISIT', date: '2026-02-01', livingConditions: 'x', health: 'x', problems: '', reassessmentNeeded: false })],
    [context(), ev('visitor', { type: 'RECORD_REVISIT', date: '2027-02-01', livingConditions: 'x', health: 'x', problems: '', reassessmentNeeded: false })],
    [context(), ev('officer', { type: 'EXIT', reason: 'other', date: '2027-01-01' })],
    [context(), ev('evaluator', { type: 'SUBMIT_SURVEY' })],
    [context(), ev('reviewer', { type: 'APPROVE' }, 'county')],
    // Onboarding: not at the opening, dates out of order and in the future, an unknown member, no category.
    [context(), ev('officer', { type: 'ONBOARD', approvedOn: '2027-01-01', legacyReference: 'x', categories: [{ memberId: 'zz', categories: [] }], placement: null, lastRevisitDate: '2026-01-01', provenance: { source: 'api', fileSha256: null, jobId: null } })],
    [context((c) => { c.household.members = [member('m1', 'full')]; }), ev('officer', { type: 'ONBOARD', approvedOn: '2026-01-01', legacyReference: 'x', categories: [{ memberId: 'm1', categories: ['elderly'] }], placement: { mode: 'dispersed_care', startDate: '2025-01-01', guardian: guardian('neighbour'), agreement: unsigned }, lastRevisitDate: '2024-01-01', provenance: { source: 'api', fileSha256: null, jobId: null } })],
  ];

  it('every rule code has a Chinese message, and the English ones are as before', () => {
    const source = readFileSync(new URL('../../machines/rules.ts', import.meta.url), 'utf8');
    const codes = new Set([...source.matchAll(/rule(?:\(|: )'([A-Z_]+)'/g)].map((m) => m[1]));
    expect(codes.size).toBeGreaterThan(30);
    const seen = new Set<string>();
    for (const [ctx, e] of breaking) {
      const found = violations(ctx, e);
      expect(found.length, e.type).toBeGreaterThan(0);
      for (const v of found) {
        seen.add(v.rule);
        expect(v.message, v.rule).not.toMatch(CJK);
        expect(v.messageZh, `${v.rule}: ${v.message}`).toMatch(CJK);
      }
    }
    expect([...codes].filter((c) => !seen.has(c))).toEqual([]);
  });

  it('ROLE_REQUIRED and LEVEL_REQUIRED name the step, the role and the level in Chinese', () => {
    const [role] = violations(context(), ev('evaluator', { type: 'SUBMIT_SURVEY' }));
    expect(role).toMatchObject({ rule: 'ROLE_REQUIRED', message: 'SUBMIT_SURVEY is sent by role enumerator', messageZh: '提交普查须由普查员操作' });
    const [level] = violations(context(), ev('reviewer', { type: 'APPROVE' }, 'county'));
    expect(level).toMatchObject({ rule: 'LEVEL_REQUIRED', message: 'the case is at village review', messageZh: '此案件当前处于村委会审核环节' });
  });
});
