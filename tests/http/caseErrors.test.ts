// Every refusal of the case API: which code, which status, what it says — and that it changed nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idNumber, startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const send = (who: TestUser, caseId: string, body: object, headers: Record<string, string> = {}) =>
  svc.as(who, 'POST', `/cases/${caseId}/events`, body, headers);

async function newCase(survey = sunSurvey()) {
  const r = await svc.as('enumerator', 'POST', '/households', survey);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}

async function auditCount(caseId: string) {
  return (await svc.as('supervisor', 'GET', `/cases/${caseId}/audit`)).body.records.length;
}

/** A case in village review. */
async function inReview() {
  const caseId = await newCase();
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const r = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of r.body.household.members) {
    await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  const s = await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  expect(s.body.state).toBe('review');
  return caseId;
}

describe('authentication and jurisdiction', () => {
  it('401 without a token or with a bad one', async () => {
    expect((await svc.as(null, 'GET', '/cases')).body.code).toBe('UNAUTHENTICATED');
    const r = await svc.app.inject({ method: 'GET', url: '/cases', headers: { authorization: 'Bearer not.a.token' } });
    expect(r.statusCode).toBe(401);
  });

  it('401 for a validly signed token whose user is unknown or deactivated', async () => {
    const { signToken } = await import('../../src/http/auth.js');
    const { loadConfig } = await import('../../src/config.js');
    const { insertUser } = await import('../../src/db/index.js');
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'test-secret-test-secret-test-secret-42' });
    const gone = await insertUser(svc.database.db, { username: 'left-the-job', displayName: '已离职', roles: ['officer'], jurisdiction: '411282', active: false });
    const cases = [
      [gone.id, 'ACCOUNT_INACTIVE'],
      ['00000000-0000-4000-8000-000000000099', 'TOKEN_INVALID'],
    ] as const;
    for (const [id, code] of cases) {
      const token = signToken(config, { id }, '1h');
      const r = await svc.app.inject({ method: 'GET', url: '/cases', headers: { authorization: `Bearer ${token}` } });
      expect(r.statusCode).toBe(401);
      expect(JSON.parse(r.body).code).toBe(code);
    }
  });

  it('a county-B user sees nothing of county A: 404 for the case, its audit, and empty lists', async () => {
    const caseId = await newCase();
    for (const url of [`/cases/${caseId}`, `/cases/${caseId}/audit`, `/cases/${caseId}/audit/verify`]) {
      const r = await svc.as('mcCounty', 'GET', url);
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('CASE_NOT_FOUND');
    }
    expect((await send('mcOfficer', caseId, { type: 'REOPEN', reason: 'x' })).body.code).toBe('CASE_NOT_FOUND');
    expect((await svc.as('mcCounty', 'GET', '/cases')).body.items).toEqual([]);
    expect((await svc.as('mcCounty', 'GET', '/cases?region=411282')).body.items).toEqual([]);
    expect((await svc.as('mcCounty', 'GET', '/inbox')).body.items).toEqual([]);
    // The city supervisor sees both counties.
    expect((await svc.as('citySupervisor', 'GET', `/cases/${caseId}`)).status).toBe(200);
  });

  it('403 for a role the step does not ask for, naming the role', async () => {
    const caseId = await newCase();
    const r = await send('evaluator', caseId, { type: 'SUBMIT_SURVEY' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'FORBIDDEN', details: { roles: ['enumerator'] } });
    expect((await send('supervisor', caseId, { type: 'SUBMIT_SURVEY' })).status).toBe(403);
    expect(await auditCount(caseId)).toBe(1);
  });
});

describe('the survey', () => {
  it('400 for a bad check character, a birth date that does not match, and a wrong sex, all at once with field paths', async () => {
    const survey = sunSurvey();
    const good = survey.members[0].idNumber;
    survey.members[0].idNumber = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    survey.members[1].birthDate = '1975-08-22';
    const r = await svc.as('enumerator', 'POST', '/households', survey);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.details.map((d: { path: string }) => d.path)).toEqual(['body.members[0].idNumber', 'body.members[1].idNumber']);
    expect(JSON.stringify(r.body)).not.toContain(good);

    const women = sunSurvey();
    women.members[0].sex = 'female';
    const w = await svc.as('enumerator', 'POST', '/households', women);
    expect(w.body.details).toEqual([{ path: 'body.members[0].sex', message: 'the ID number is that of a man' }]);
  });

  it('400 for a malformed body, naming each field and what was expected', async () => {
    const r = await svc.as('enumerator', 'POST', '/households', { villageCode: '4112', members: [] });
    expect(r.status).toBe(400);
    const paths = r.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.villageCode', 'body.address', 'body.members']));
  });

  it('400 for an unknown village, 403 for a village outside the jurisdiction', async () => {
    const unknown = await svc.as('enumerator', 'POST', '/households', sunSurvey('411282108299'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([{ path: 'body.villageCode', message: 'not a known village code' }]);
    const outside = await svc.as('enumerator', 'POST', '/households', sunSurvey(V.mianchi));
    expect(outside.status).toBe(403);
    expect(outside.body.code).toBe('FORBIDDEN');
  });

  it('409 when a member is already in another open case, naming that case', async () => {
    const first = sunSurvey();
    const caseId = await newCase(first);
    const again = sunSurvey(V.mingshan);
    again.members[1] = first.members[1];
    const r = await svc.as('enumerator', 'POST', '/households', again);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'DUPLICATE_RESIDENT', details: { caseId } });
    expect(JSON.stringify(r.body)).not.toContain(first.members[1].idNumber);
  });

  it('a survey retried with its Idempotency-Key gets its own case back, not DUPLICATE_RESIDENT', async () => {
    const survey = sunSurvey();
    const headers = { 'idempotency-key': 'survey-retry-1' };
    const first = await svc.as('enumerator', 'POST', '/households', survey, headers);
    const again = await svc.as('enumerator', 'POST', '/households', survey, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.caseId).toBe(first.body.caseId);
    expect(await auditCount(first.body.caseId)).toBe(1);
    const other = await svc.as('enumerator', 'POST', '/households', sunSurvey(), headers);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('UPDATE_SURVEY replaces the members while in survey; screening then reads the new facts', async () => {
    const survey = sunSurvey();
    survey.members[1] = { ...survey.members[1], labourCapacity: 'full' } as (typeof survey.members)[1];
    const caseId = await newCase(survey);
    const fixed = { ...survey, members: [survey.members[0], { ...survey.members[1], labourCapacity: 'partial' }] };
    const u = await send('enumerator', caseId, { type: 'UPDATE_SURVEY', household: fixed });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    expect(u.body.household.members[1].labourCapacity).toBe('partial');
    expect((await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' })).body.state).toBe('preliminary');
  });
});

describe('events', () => {
  it('400 for an unknown event type or a bad payload; nothing recorded', async () => {
    const caseId = await newCase();
    const unknown = await send('enumerator', caseId, { type: 'FLY' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].path).toBe('body.type');
    const extra = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY', sneaky: true });
    expect(extra.status).toBe(400);
    expect(extra.body.details).toEqual([{ path: 'body.sneaky', message: 'unknown field' }]);
    const blank = await send('officer', caseId, { type: 'REOPEN', reason: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.details).toEqual([{ path: 'body.reason', message: 'reason must not be blank' }]);
    expect(await auditCount(caseId)).toBe(1);
  });

  it('409 EVENT_NOT_ALLOWED lists the state and the events it accepts', async () => {
    const caseId = await newCase();
    const r = await send('village', caseId, { type: 'APPROVE' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'EVENT_NOT_ALLOWED', details: { state: 'survey', event: 'APPROVE', allowedEvents: ['UPDATE_SURVEY', 'SUBMIT_SURVEY'] } });
  });

  it('422 GUARD_FAILED names the rule: separation of duties', async () => {
    const caseId = await inReview();
    await send('village', caseId, { type: 'APPROVE' });
    // The same person cannot also approve at the township level: the village reviewer is moved up to township
    // review by an admin (their token stays the same: the user record decides the level at the next request).
    const promoted = await svc.as('admin', 'PATCH', `/users/${svc.users.village.id}`, { reviewLevel: 'township' });
    expect(promoted.status).toBe(200);
    const r = await svc.app.inject({ method: 'POST', url: `/cases/${caseId}/events`, payload: { type: 'APPROVE' }, headers: { authorization: `Bearer ${svc.token('village')}` } });
    await svc.as('admin', 'PATCH', `/users/${svc.users.village.id}`, { reviewLevel: 'village' });
    expect(r.statusCode).toBe(422);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GUARD_FAILED', details: { rule: 'SEPARATION_OF_DUTIES' } });
  });

  it('409 VERSION_CONFLICT for a stale If-Match; 400 for a malformed one', async () => {
    const caseId = await newCase();
    const stale = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, { 'if-match': '"7"' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', details: { expectedVersion: 7, currentVersion: 1 } });
    expect((await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, { 'if-match': 'banana' })).status).toBe(400);
    const ok = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.body.rowVersion).toBe(2);
  });

  it('Idempotency-Key: the same request twice gives one event; another body with the key gives 422', async () => {
    const caseId = await newCase();
    const headers = { 'idempotency-key': 'submit-1' };
    const a = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, headers);
    const b = await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' }, headers);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body.rowVersion).toBe(a.body.rowVersion);
    expect(await auditCount(caseId)).toBe(2);
    const c = await send('officer', caseId, { type: 'REOPEN', reason: 'x' }, headers);
    // Keys are per user: the officer's 'submit-1' is another key, refused by the machine instead.
    expect(c.body.code).toBe('EVENT_NOT_ALLOWED');
    const d = await send('enumerator', caseId, { type: 'UPDATE_SURVEY', household: sunSurvey() }, headers);
    expect(d.status).toBe(422);
    expect(d.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('404 for an unknown case id and 400 for a malformed one', async () => {
    expect((await svc.as('supervisor', 'GET', '/cases/00000000-0000-4000-8000-000000000000')).body.code).toBe('CASE_NOT_FOUND');
    const bad = await svc.as('supervisor', 'GET', '/cases/42');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('params.id');
  });

  it('refusals are logged with the request id and never with personal data', async () => {
    const survey = sunSurvey();
    survey.members[0].idNumber = survey.members[0].idNumber.slice(0, 17) + (survey.members[0].idNumber[17] === '1' ? '2' : '1');
    await svc.app.inject({ method: 'POST', url: '/households', payload: survey, headers: { authorization: `Bearer ${svc.token('enumerator')}`, 'x-request-id': 'req-refused-1' } });
    const line = svc.logLines.find((l) => l.includes('req-refused-1') && l.includes('VALIDATION_FAILED'));
    expect(line).toBeDefined();
    // Exactly this household's numbers (and the first 17 digits of the refused one): a bare 18-digit pattern can
    // match inside a hex hash or id now and then.
    const logs = svc.logLines.join('\n');
    for (const m of survey.members) {
      expect(logs).not.toContain(m.idNumber);
      expect(logs).not.toContain(m.idNumber.slice(0, 17));
    }
  });
});

describe('lists and inboxes', () => {
  it('GET /cases filters by state, region and category, with keyset pagination', async () => {
    const ids = [await newCase(), await newCase(), await newCase()];
    await send('enumerator', ids[0], { type: 'SUBMIT_SURVEY' });
    const pre = await svc.as('supervisor', 'GET', '/cases?state=preliminary&limit=200');
    expect(pre.body.items.map((c: { id: string }) => c.id)).toContain(ids[0]);
    expect(pre.body.items.every((c: { state: string }) => c.state === 'preliminary')).toBe(true);
    const elderly = await svc.as('supervisor', 'GET', '/cases?category=elderly&limit=200');
    expect(elderly.body.items.map((c: { id: string }) => c.id)).toContain(ids[0]);
    expect(elderly.body.items.map((c: { id: string }) => c.id)).not.toContain(ids[1]);

    const seen: string[] = [];
    let after = '';
    for (let page = 0; page < 50; page++) {
      const r = await svc.as('supervisor', 'GET', `/cases?limit=2${after ? `&after=${after}` : ''}`);
      seen.push(...r.body.items.map((c: { id: string }) => c.id));
      if (!r.body.nextAfter) break;
      after = r.body.nextAfter;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    expect((await svc.as('supervisor', 'GET', '/cases?limit=0')).status).toBe(400);
    expect((await svc.as('supervisor', 'GET', '/cases?category=rich')).body.details[0].path).toBe('query.category');
  });

  it('GET /inbox: the reviewer of the current level, oldest deadline first', async () => {
    const a = await inReview();
    svc.clock.advanceDays(1);
    const b = await inReview();
    const inbox = (await svc.as('village', 'GET', '/inbox?limit=200')).body;
    expect(inbox.role).toBe('reviewer');
    const order = inbox.items.map((c: { id: string }) => c.id);
    expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    expect((await svc.as('township', 'GET', '/inbox')).body.items.map((c: { id: string }) => c.id)).not.toContain(a);
    expect((await svc.as('village', 'GET', '/inbox?role=officer')).status).toBe(403);
  });
});

it('idNumber helper makes valid numbers (sanity of the fixtures)', async () => {
  const { validateResidentId } = await import('../../src/domain/residentId.js');
  expect(validateResidentId(idNumber('1950-01-01', 'female'), '1950-01-01')).toMatchObject({ ok: true, sex: 'female' });
});
