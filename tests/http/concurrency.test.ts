// Two reviewers approving the same case at the same moment: exactly one succeeds, the other gets 409, and
// the audit chain stays whole. On PostgreSQL the requests truly race on separate connections (row lock);
// on PGlite they are serialized by its single connection, and the outcome must be the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, sunSurvey, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const send = (who: TestUser, caseId: string, body: object, headers: Record<string, string> = {}) =>
  svc.as(who, 'POST', `/cases/${caseId}/events`, body, headers);

async function inVillageReview() {
  const caseId = (await svc.as('enumerator', 'POST', '/households', sunSurvey())).body.caseId;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const r = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of r.body.household.members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  return caseId as string;
}

describe('concurrent approvals', () => {
  it('two village reviewers approve at once: one 200, one 409, one audit record', async () => {
    for (let round = 0; round < 5; round++) {
      const caseId = await inVillageReview();
      const results = await Promise.all([send('village', caseId, { type: 'APPROVE' }), send('village2', caseId, { type: 'APPROVE' })]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expect(loser.body.code).toBe('EVENT_NOT_ALLOWED');
      const audit = (await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`)).body.records;
      expect(audit.filter((a: { eventType: string }) => a.eventType === 'APPROVE')).toHaveLength(1);
      expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body.ok).toBe(true);
    }
  });

  it('with If-Match from the same read, the slower of two reviewers gets VERSION_CONFLICT', async () => {
    const caseId = await inVillageReview();
    const { rowVersion } = (await svc.as('village', 'GET', `/cases/${caseId}`)).body;
    const headers = { 'if-match': `"${rowVersion}"` };
    const results = await Promise.all([send('village', caseId, { type: 'RETURN', reason: '材料不全' }, headers), send('village2', caseId, { type: 'APPROVE' }, headers)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('VERSION_CONFLICT');
  });

  it('twenty parallel events on twenty cases all commit, each chain intact', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => svc.as('enumerator', 'POST', '/households', sunSurvey()).then((r) => r.body.caseId as string)));
    const results = await Promise.all(ids.map((id) => send('enumerator', id, { type: 'SUBMIT_SURVEY' })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const id of ids) expect((await svc.as('supervisor', 'GET', `/cases/${id}/audit/verify`)).body).toEqual({ ok: true, count: 2 });
  });
});
