// Text PostgreSQL cannot store — a NUL (\u0000) or a lone UTF-16 surrogate — in any field of any route is a
// 400 VALIDATION_FAILED naming the field, never a 500 from the database (whose log line carried the row).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, sunSurvey, V, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const NUL = 'a\u0000b';
const LONE = 'x\ud800y';

const caseCount = async () => (await svc.as('officer', 'GET', '/cases?limit=200')).body.items.length;

describe('unstorable text', () => {
  it('a survey with a NUL in a member\'s name or a lone surrogate in the address: 400, nothing stored', async () => {
    const before = await caseCount();
    const survey = sunSurvey();
    survey.members[1].name = NUL;
    const r = await svc.as('enumerator', 'POST', '/households', { ...survey, address: LONE });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.details).toEqual([
      { path: 'body.address', message: 'contains a lone UTF-16 surrogate (not valid Unicode)' },
      { path: 'body.members[1].name', message: 'contains a NUL character (\\u0000), which is not allowed in text' },
    ]);
    expect(await caseCount()).toBe(before);
    expect(svc.logLines.some((l) => l.includes('"level":50'))).toBe(false); // no error logged, no row in a log
  });

  it('in an event\'s reason, a guardian\'s name, a revisit, a webhook URL and a settings key alike', async () => {
    const caseId = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId as string;
    const checks: [Parameters<TestService['as']>, string][] = [
      [['officer', 'POST', `/cases/${caseId}/events`, { type: 'REOPEN', reason: NUL }], 'body.reason'],
      [['officer', 'POST', '/guardians', { name: LONE, kind: 'neighbour', regionCode: V.sunjiagou }], 'body.name'],
      [['visitor', 'POST', `/cases/${caseId}/revisits`, { date: '2026-03-02', livingConditions: NUL, health: '好', reassessmentNeeded: false }], 'body.livingConditions'],
      [['admin', 'POST', '/webhooks', { regionPrefix: '411282', url: `https://sms.example.cn/${NUL}` }], 'body.url'],
      [['admin', 'PUT', '/settings/deadlines/411282', { [`placement${NUL}`]: { amount: 3, unit: 'working_days' } }, { 'if-match': '"0"' }], 'body["placementa\\u0000b"]'],
      [['officer', 'GET', `/cases?state=review&after=${encodeURIComponent(NUL)}`], 'query.after'],
    ];
    for (const [args, path] of checks) {
      const r = await svc.as(...args);
      expect(r.status, `${args[1]} ${args[2]}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.details.map((d: { path: string }) => d.path), args[2]).toContain(path);
    }
    expect(svc.logLines.some((l) => l.includes('"level":50'))).toBe(false);
  });

  it('well-formed text passes: surrogate pairs (𠀀, emoji) and ordinary control characters', async () => {
    const survey = sunSurvey();
    survey.members[0].name = '𠀀孙😀';
    survey.address = '孙家沟村\t3组';
    const r = await svc.as('enumerator', 'POST', '/households', survey);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  });
});
