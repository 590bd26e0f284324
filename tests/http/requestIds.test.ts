// The request id is always ours: a client's X-Request-Id is kept beside it — in the audit record as
// clientRequestId, in the log as clientRequestId, echoed as X-Client-Request-Id — and the chain still verifies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, sunSurvey, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

describe('request ids in the audit trail', () => {
  it('a client cannot choose the audit record\'s request id; its own id is recorded beside ours', async () => {
    const opened = await svc.as('enumerator', 'POST', '/households', sunSurvey(), { 'x-request-id': 'gw-survey-1' });
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId as string;
    const ours = opened.headers['x-request-id'] as string;
    expect(ours).toMatch(/^[0-9a-f-]{36}$/);
    expect(opened.headers['x-client-request-id']).toBe('gw-survey-1');
    // Two commands claiming the same id (a careless or a malicious client) still have two ids of ours.
    const submitted = await svc.as('enumerator', 'POST', `/cases/${caseId}/events`, { type: 'SUBMIT_SURVEY' }, { 'x-request-id': 'gw-survey-1' });
    expect(submitted.status).toBe(200);
    // An unsafe one is not kept at all.
    const started = await svc.as('evaluator', 'POST', `/cases/${caseId}/events`, { type: 'START_EVALUATION' }, { 'x-request-id': 'x y<script>' });
    expect(started.status).toBe(200);

    const { records } = (await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`)).body;
    expect(records.map((r: { requestId: string; clientRequestId: string | null }) => [r.requestId, r.clientRequestId])).toEqual([
      [ours, 'gw-survey-1'],
      [submitted.headers['x-request-id'], 'gw-survey-1'],
      [started.headers['x-request-id'], null],
    ]);
    expect(new Set(records.map((r: { requestId: string }) => r.requestId)).size).toBe(3);
    expect((await svc.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`)).body).toEqual({ ok: true, count: 3 });
    const line = svc.logLines.map((l) => JSON.parse(l)).find((l) => l.reqId === ours && l.clientRequestId === 'gw-survey-1');
    expect(line).toBeDefined();
  });
});
