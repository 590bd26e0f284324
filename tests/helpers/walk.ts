// Cases walked along the path over the API, for tests that need a case at a given step now.
import { expect } from 'vitest';
import { sunSurvey, V, type TestService, type TestUser } from './service.js';

export function walker(svc: TestService) {
  const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);

  async function newCase(who: TestUser = 'enumerator', villageCode: string = V.sunjiagou) {
    const r = await svc.as(who, 'POST', '/households', sunSurvey(villageCode));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.caseId as string;
  }

  /** A case walked to village review (and on to township review when asked), now. */
  async function walkToReview(level: 'village' | 'township', villageCode: string = V.sunjiagou) {
    const caseId = await newCase('enumerator', villageCode);
    await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
    const r = await send('evaluator', caseId, { type: 'START_EVALUATION' });
    for (const m of r.body.household.members) {
      await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    let s = await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    if (level === 'township') s = await send('village', caseId, { type: 'APPROVE', comment: '同意' });
    expect(s.body, JSON.stringify(s.body)).toMatchObject({ state: 'review', reviewLevel: level });
    return { caseId, deadline: s.body.deadline as { key: string; at: string } };
  }

  return { send, newCase, walkToReview };
}
