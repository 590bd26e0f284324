// Error bodies in Simplified Chinese when Accept-Language prefers zh; English, unchanged, otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const ZH = { 'accept-language': 'zh-CN' };
const CJK = /[\u4e00-\u9fff]/;
const send = (who: TestUser, caseId: string, body: object, headers: Record<string, string> = {}) =>
  svc.as(who, 'POST', `/cases/${caseId}/events`, body, headers);

async function newCase() {
  const r = await svc.as('enumerator', 'POST', '/households', sunSurvey());
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}

describe('Accept-Language: zh', () => {
  it('VALIDATION_FAILED: a blank name and a mistyped ID number, paths unchanged', async () => {
    const survey = sunSurvey();
    survey.members[0].name = '   ';
    const zh = await svc.as('enumerator', 'POST', '/households', survey, ZH);
    expect(zh.status).toBe(400);
    expect(zh.body).toEqual({
      code: 'VALIDATION_FAILED',
      message: '提交的信息有误，请按提示逐项修改',
      details: [{ path: 'body.members[0].name', message: '不能为空' }],
    });
    expect(zh.headers.vary).toMatch(/accept-language/i);
    const en = await svc.as('enumerator', 'POST', '/households', survey);
    expect(en.body).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'The request is invalid; see details for each field',
      details: [{ path: 'body.members[0].name', message: 'name must not be blank' }],
    });
    expect(en.headers.vary).toMatch(/accept-language/i);

    const mistyped = sunSurvey();
    const good = mistyped.members[1].idNumber;
    mistyped.members[1].idNumber = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const r = await svc.as('enumerator', 'POST', '/households', mistyped, { 'accept-language': 'zh;q=0.9,en;q=0.5' });
    expect(r.body.details).toEqual([{ path: 'body.members[1].idNumber', message: '身份证号码校验位不符，可能输入有误，请核对' }]);
    const e = await svc.as('enumerator', 'POST', '/households', mistyped);
    expect(e.body.details).toEqual([{ path: 'body.members[1].idNumber', message: 'the check character does not match; the number was probably mistyped' }]);
  });

  it('VALIDATION_FAILED from zod itself: an unknown field and an invalid option', async () => {
    const caseId = await newCase();
    const r = await send('enumerator', caseId, { type: 'NO_SUCH_EVENT' }, ZH);
    expect(r.status).toBe(400);
    expect(r.body.details).toEqual([{ path: 'body.type', message: '取值无效' }]);
  });

  it('VERSION_CONFLICT for a stale If-Match', async () => {
    const caseId = await newCase();
    const zh = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, { 'if-match': '"7"', 'accept-language': 'zh-Hans' });
    expect(zh.status).toBe(409);
    expect(zh.body).toEqual({
      code: 'VERSION_CONFLICT',
      message: '此案件已被他人更新（当前为第 1 版，您看到的是第 7 版），请刷新后重试',
      details: { expectedVersion: 7, currentVersion: 1 },
    });
    const en = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, { 'if-match': '"7"' });
    expect(en.body.message).toBe('The case is at version 1, not 7; reload it and try again');
  });

  it('GUARD_FAILED: every broken rule in Chinese, joined with ；, details translated with the same rule codes', async () => {
    const caseId = await newCase();
    await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
    await send('evaluator', caseId, { type: 'START_EVALUATION' });
    const zh = await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' }, ZH);
    expect(zh.status).toBe(422);
    expect(zh.body.code).toBe('GUARD_FAILED');
    expect(zh.body.details.violations.map((v: { rule: string }) => v.rule)).toEqual(['ASSESSMENT_MISSING', 'NO_CATEGORY']);
    expect(zh.body.details.message).toMatch(/^以下成员尚未评定：/);
    expect(zh.body.details.violations[1].message).toBe('没有成员被认定为五类对象中的任何一类');
    expect(zh.body.message).toBe(zh.body.details.violations.map((v: { message: string }) => v.message).join('；'));
    const en = await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    expect(en.body.details.violations[1]).toEqual({ rule: 'NO_CATEGORY', message: 'no member was confirmed in any of the five categories' });
    expect(en.body.message).toMatch(/^members not assessed: .*; no member was confirmed/);
  });

  it('GUARD_FAILED: separation of duties', async () => {
    const caseId = await newCase();
    await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
    const started = await send('evaluator', caseId, { type: 'START_EVALUATION' });
    for (const m of started.body.household.members) {
      await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    expect((await send('village', caseId, { type: 'APPROVE' })).status).toBe(200);
    await svc.as('admin', 'PATCH', `/users/${svc.users.village.id}`, { reviewLevel: 'township' });
    const r = await send('village', caseId, { type: 'APPROVE' }, ZH);
    await svc.as('admin', 'PATCH', `/users/${svc.users.village.id}`, { reviewLevel: 'village' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      code: 'GUARD_FAILED',
      message: '同一轮审核中，同一人不能在两个层级审核通过',
      details: { rule: 'SEPARATION_OF_DUTIES', message: '同一轮审核中，同一人不能在两个层级审核通过' },
    });
  });

  it('FORBIDDEN: an evaluator approving names the step and the role in Chinese', async () => {
    const caseId = await newCase();
    const zh = await send('evaluator', caseId, { type: 'APPROVE' }, ZH);
    expect(zh.status).toBe(403);
    expect(zh.body).toMatchObject({ code: 'FORBIDDEN', message: '审核通过须由审核人员操作', details: { roles: ['reviewer'] } });
    const en = await send('evaluator', caseId, { type: 'APPROVE' });
    expect(en.body).toMatchObject({ code: 'FORBIDDEN', message: 'APPROVE is sent by role reviewer' });
    const admin = await svc.as('enumerator', 'GET', '/users', undefined, ZH);
    expect(admin.status).toBe(403);
    expect(admin.body.message).toMatch(CJK);
  });

  it('CASE_NOT_FOUND, and English for English, other languages, * and no header', async () => {
    const missing = '00000000-0000-4000-8000-000000000001';
    const zh = await svc.as('officer', 'GET', `/cases/${missing}`, undefined, ZH);
    expect(zh.status).toBe(404);
    expect(zh.body).toEqual({ code: 'CASE_NOT_FOUND', message: `未找到案件 ${missing}`, details: { caseId: missing } });
    for (const lang of [undefined, 'en-US', 'en,zh;q=0.8', '*', 'fr', 'zh;q=0']) {
      const r = await svc.as('officer', 'GET', `/cases/${missing}`, undefined, lang ? { 'accept-language': lang } : {});
      expect(r.body, String(lang)).toEqual({ code: 'CASE_NOT_FOUND', message: `No case ${missing}`, details: { caseId: missing } });
    }
    expect((await svc.as('officer', 'GET', `/cases/${missing}`, undefined, { 'accept-language': 'fr, zh-CN;q=0.5' })).body.message).toMatch(CJK);
  });

  it('UNAUTHENTICATED and unknown routes answer in Chinese too', async () => {
    expect((await svc.as(null, 'GET', '/cases', undefined, ZH)).body).toMatchObject({ code: 'UNAUTHENTICATED', message: '请先登录' });
    expect((await svc.as('officer', 'GET', '/no-such-route', undefined, ZH)).body).toMatchObject({ code: 'NOT_FOUND', message: '未找到相关内容' });
  });
});
