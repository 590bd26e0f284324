// The API contract: every operation in the OpenAPI document (/openapi.json) is called, and every answer — the
// successes of a case walked through its life and the refusals the shared rules give — must have a documented
// status and match its documented schema. Generic over the document: a route added later is probed by the
// same rules (unauthenticated, unknown query field, unknown body field, text/plain body) and fails the last
// test until it is answered with a documented success here (or listed in NO_SUCCESS_HERE with the reason).
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractChecker, openApiDocument, openObjects, type ContractChecker, type Operation } from '../helpers/contract.js';
import { testDbKind } from '../helpers/db.js';
import { caseInPublicity, registerPublicityList } from '../helpers/publicNotice.js';
import { households, xlsxOf } from '../helpers/importFiles.js';
import { REPORT_NAMES } from '../../src/reports/catalogue.js';
import { startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

/** Operations whose success this suite cannot reach, and why; their refusals are still checked. */
const NO_SUCCESS_HERE: Record<string, string> = {
  'GET /auth/oidc/login': 'single sign-on is not configured here (tests/http/oidc.test.ts covers it with a test provider)',
  'GET /auth/oidc/callback': 'single sign-on is not configured here (tests/http/oidc.test.ts)',
};

let s: TestService;
let c: ContractChecker;
let doc: Awaited<ReturnType<typeof openApiDocument>>;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as `who` (null: no credential), checked against the document; the parsed body is returned. */
async function call(who: TestUser | null, method: Method, url: string, opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const res = await s.app.inject({
    method,
    url,
    ...(opts.raw !== undefined ? { payload: opts.raw } : opts.body !== undefined ? { payload: opts.body as never } : {}),
    headers: { ...(who ? { authorization: `Bearer ${s.token(who)}` } : {}), ...opts.headers },
  });
  expect(c.problems(method, url, res)).toEqual([]);
  // A file download is checked by its media type and first bytes (helpers/contract.ts); the rest answer JSON.
  const json = String(res.headers['content-type'] ?? '').startsWith('application/json');
  return { status: res.statusCode, body: res.body && json ? JSON.parse(res.body) : null, headers: res.headers, cookies: res.cookies };
}

async function ok(who: TestUser | null, method: Method, url: string, status: number, opts: Parameters<typeof call>[3] = {}) {
  const r = await call(who, method, url, opts);
  expect(r.status, `${method} ${url}: ${JSON.stringify(r.body)}`).toBe(status);
  return r;
}

const event = (who: TestUser, caseId: string, body: object) => ok(who, 'POST', `/cases/${caseId}/events`, 200, { body });

async function approvedCase() {
  const created = await ok('enumerator', 'POST', '/households', 201, { body: sunSurvey() });
  const caseId = created.body.caseId as string;
  await event('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const started = await event('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of started.body.household.members) {
    await event('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  }
  await event('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of ['village', 'township', 'county'] as const) await event(who, caseId, { type: 'APPROVE', comment: '同意' });
  s.clock.advanceDays(7);
  await event('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
  return created.body as { caseId: string; caseNumber: string };
}

/** A value each path parameter accepts, read from its documented schema. */
function sampleUrl(o: Operation): string {
  return o.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const p = o.op.parameters?.find((x) => x.in === 'path' && x.name === name);
    const schema = (p?.schema ?? {}) as { format?: string; type?: string; pattern?: string };
    if (name === 'caseNumber') return '411282-2026-999999';
    if (name === 'code') return 'ABCD-EFGH'; // a printed document's code (well formed, registered to nothing)
    if (name === 'year') return '2026';
    if (name === 'scope') return 'global';
    if (name === 'villageCode') return V.sunjiagou; // a village inside the admins' jurisdiction
    const values = (schema as { enum?: string[] }).enum;
    if (values?.length) return values[0]!;
    if (schema.format === 'uuid' || /[0-9a-fA-F]\{8\}/.test(schema.pattern ?? '')) return randomUUID();
    if (schema.type === 'integer' || schema.type === 'number') return '999999';
    return randomUUID();
  });
}

describe(`the API contract (${testDbKind()})`, () => {
  beforeAll(async () => {
    s = await startService({ env: { DEMO_CLOCK: 'on', RATE_LIMIT: '0', RATE_LIMIT_PUBLIC: '0' } });
    doc = await openApiDocument(s.app);
    c = contractChecker(doc);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('documents a success answer with a schema, and refuses unknown request fields, on every operation', () => {
    expect(c.operations.length).toBeGreaterThan(40);
    const components = doc.components?.schemas ?? {};
    const missing: string[] = [];
    for (const o of c.operations) {
      const success = Object.entries(o.op.responses).filter(([status]) => /^[23]\d\d$/.test(status));
      if (success.length === 0) missing.push(`${o.key}: no success response documented`);
      for (const [status, r] of success) {
        // A file download documents its media types (XLSX, CSV) with a schema of their own instead of JSON.
        const documented = Object.values(r.content ?? {}).some((m) => m.schema);
        if (!['204', '302'].includes(status) && !documented) missing.push(`${o.key} ${status}: no JSON schema`);
      }
      if (!o.op.responses['4XX'] || !o.op.responses['5XX']) missing.push(`${o.key}: errors (4XX, 5XX) undocumented`);
      const body = o.op.requestBody?.content?.['application/json']?.schema;
      for (const open of body ? openObjects(body, components) : []) missing.push(`${o.key}: body${open === '(root)' ? '' : open} accepts unknown fields`);
    }
    expect(missing).toEqual([]);
  });

  it('documents one request schema per event type', async () => {
    const o = c.operationFor('POST', `/cases/${randomUUID()}/events`);
    const schema = o.op.requestBody?.content?.['application/json']?.schema as { oneOf?: { $ref?: string }[]; anyOf?: { $ref?: string }[] };
    // Request schemas are named with zod's Input suffix (the input side of a schema).
    const variants = (schema.oneOf ?? schema.anyOf ?? []).map((v) => v.$ref?.split('/').pop()?.replace(/Input$/, ''));
    const machine = (await ok('enumerator', 'GET', '/machines/case', 200)).body.events as string[];
    expect(variants.sort()).toEqual(machine.map((t) => `Event_${t}`).sort());
    const survey = doc.components!.schemas!.Event_UPDATE_SURVEYInput as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(survey.properties)).toEqual(['type', 'household']);
  });

  it('answers every operation the shared way: 401 without a credential, 400 naming an unknown query field, 415 for text/plain, 400 naming an unknown body field', async () => {
    for (const o of c.operations) {
      const url = sampleUrl(o);
      const method = o.method as Method;
      const hasBody = !!o.op.requestBody;
      if (!(Array.isArray(o.op.security) && o.op.security.length === 0)) {
        const r = await call(null, method, url, hasBody ? { body: {} } : {});
        expect(r.status, o.key).toBe(401);
      }
      if (!hasBody) {
        // (With a body, fastify validates the body before the query: the body probe below stands for both.)
        const q = await call('admin', method, `${url}?zzUnknown=1`);
        expect(q.status, `${o.key}: ${JSON.stringify(q.body)}`).toBe(400);
        expect(q.body.details, o.key).toContainEqual({ path: 'query.zzUnknown', message: 'unknown field' });
        continue;
      }
      const plain = await call('admin', method, url, { raw: 'hello', headers: { 'content-type': 'text/plain', 'accept-language': 'zh-CN' } });
      expect(plain.status, o.key).toBe(415);
      expect(plain.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: '不支持的内容类型，请以 JSON 格式提交' });
      // An event needs its type before the rest is read; the others take the unknown field as it is.
      const body = o.path.endsWith('/events') ? { type: 'SUBMIT_SURVEY', zzUnknown: 1 } : { zzUnknown: 1 };
      const b = await call('admin', method, url, { body });
      if (b.status === 400) expect(b.body.details, `${o.key}: ${JSON.stringify(b.body)}`).toContainEqual({ path: 'body.zzUnknown', message: 'unknown field' });
      else expect([403, 404, 409, 428], `${o.key}: ${b.status} ${JSON.stringify(b.body)}`).toContain(b.status); // refused before the body was read
    }
  });

  it('refuses unknown fields in nested objects, naming them (a survey carrying income)', async () => {
    const survey = sunSurvey();
    const r = await call('enumerator', 'POST', '/households', { body: { ...survey, income: 1200, members: [{ ...survey.members[0], income: 800 }, survey.members[1]] } });
    expect(r.status).toBe(400);
    expect(r.body.details).toHaveLength(2);
    expect(r.body.details).toEqual(expect.arrayContaining([
      { path: 'body.income', message: 'unknown field' },
      { path: 'body.members[0].income', message: 'unknown field' },
    ]));
    const zh = await call('enumerator', 'POST', '/households', { body: { ...survey, income: 1 }, headers: { 'accept-language': 'zh-CN' } });
    expect(zh.body.details).toEqual([{ path: 'body.income', message: '不允许的字段（接口未定义此字段）' }]);
  });

  it('answers every operation with a documented success: a case walked through its life, and the administration around it', async () => {
    await ok(null, 'GET', '/healthz', 200);
    await ok(null, 'GET', '/readyz', 200);
    await ok('enumerator', 'GET', '/machines/case', 200);
    await ok('enumerator', 'GET', '/regions?prefix=411282&level=village', 200);

    // Users and signing in.
    const created = await ok('admin', 'POST', '/users', 201, { body: { username: 'contract.user', displayName: '契约测试', roles: ['visitor'], jurisdiction: '411282108' } });
    const userId = created.body.user.id as string;
    await ok('admin', 'GET', '/users?limit=5', 200);
    await ok('admin', 'GET', `/users/${userId}`, 200);
    await ok('admin', 'PATCH', `/users/${userId}`, 200, { body: { displayName: '契约测试员' } });
    const signIn = await ok(null, 'POST', '/auth/sign-in', 200, { body: { username: 'contract.user', password: created.body.initialPassword } });
    const cookie = signIn.cookies.map((k) => `${k.name}=${k.value}`).join('; ');
    const csrf = { cookie, 'x-csrf-token': signIn.body.csrfToken as string };
    await ok(null, 'POST', '/auth/password', 200, { body: { currentPassword: created.body.initialPassword, newPassword: 'Contract2026abc' }, headers: csrf });
    await ok(null, 'GET', '/auth/session', 200, { headers: { cookie } });
    await ok(null, 'POST', '/auth/token', 200, { body: { username: 'contract.user', password: 'Contract2026abc' } });
    await ok(null, 'POST', '/auth/sign-out', 204, { headers: csrf });
    await ok('admin', 'POST', `/users/${userId}/password-reset`, 200);
    await ok('admin', 'POST', `/users/${userId}/deactivate`, 200);
    await ok('admin', 'POST', `/users/${userId}/reactivate`, 200);
    await ok('admin', 'GET', '/security-log?limit=5', 200);
    await ok('provinceAdmin', 'GET', '/security-log/verify', 200);

    // A case from survey to placement and a revisit.
    const { caseId, caseNumber } = await approvedCase();
    const today = s.clock.now().toISOString().slice(0, 10); // 09:00 in China: the same date
    await ok('officer', 'GET', `/cases/${caseId}`, 200);
    await ok('visitor', 'GET', `/cases/${caseId}`, 200); // masked view
    await ok('officer', 'GET', `/cases/by-number/${caseNumber}`, 200);
    await ok('officer', 'GET', '/cases?limit=5', 200);
    await ok('officer', 'GET', '/inbox', 200);
    await ok('officer', 'GET', '/worklist?view=all', 200);
    const home = await ok('admin', 'POST', '/facilities', 201, { body: { name: '契约敬老院', type: 'nursing_home', regionCode: '411282108000', beds: 10, caregivers: 2 } });
    await ok('officer', 'GET', '/facilities', 200);
    await event('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: today, facilityId: home.body.id });
    const patched = await ok('admin', 'PATCH', `/facilities/${home.body.id}`, 200, { body: { caregivers: 0 } }); // a ratio breach: supervisors are told
    expect(patched.body.supervisorsNotified).toBeGreaterThan(0);
    const guardian = await ok('officer', 'POST', '/guardians', 201, { body: { name: '契约照料人', kind: 'neighbour', regionCode: V.sunjiagou } });
    await ok('officer', 'GET', '/guardians', 200);
    await ok('officer', 'PATCH', `/guardians/${guardian.body.id}`, 200, { body: { maxWards: 3 } });
    // Onboarding a household approved under the paper process (存量纳入), waiting for its placement.
    const legacy = sunSurvey(V.mingshan);
    await ok('officer', 'POST', '/onboarding/households', 201, {
      body: { households: [{ ...legacy, members: legacy.members.map((m) => ({ ...m, categories: ['elderly'] })), approvedOn: '2019-06-10', legacyReference: '灵民〔2019〕37号', placement: null }] },
    });
    await ok('visitor', 'POST', `/cases/${caseId}/revisits`, 201, { body: { date: today, livingConditions: '良好', health: '稳定', reassessmentNeeded: false } });
    await ok('visitor', 'GET', `/cases/${caseId}/revisits`, 200);
    await ok('visitor', 'GET', '/revisits/due?within=60d', 200);
    // Printed documents (PDF files: checked by media type and first bytes): a revisit form of the placed case, and
    // the 公示名单 of a village with a second case now in the public notice.
    await ok('visitor', 'POST', `/cases/${caseId}/documents/revisit-form`, 200);
    const noticed = (await ok('enumerator', 'POST', '/households', 201, { body: sunSurvey() })).body.caseId as string;
    await event('enumerator', noticed, { type: 'SUBMIT_SURVEY' });
    const started = await event('evaluator', noticed, { type: 'START_EVALUATION' });
    for (const m of started.body.household.members) {
      await event('evaluator', noticed, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    }
    await event('evaluator', noticed, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    for (const who of ['village', 'township', 'county'] as const) await event(who, noticed, { type: 'APPROVE', comment: '同意' });
    await ok('officer', 'POST', `/villages/${V.sunjiagou}/publicity-list.pdf`, 200, { body: {} });
    const texts = await ok('admin', 'GET', '/settings/documents/411282', 200);
    await ok('admin', 'PUT', '/settings/documents/411282', 200, { body: { issuer: '灵宝市民政局' }, headers: { 'if-match': String(texts.headers.etag) } });
    await ok('officer', 'GET', `/cases/${caseId}/audit`, 200);
    await ok('officer', 'GET', `/cases/${caseId}/audit/verify`, 200);

    // Income, the dividend reference of the 120% rule, and the funding projection.
    const year = Number(today.slice(0, 4));
    const income = await ok('officer', 'GET', `/cases/${caseId}/income?year=${year}`, 200);
    const recorded = await ok('officer', 'PUT', `/cases/${caseId}/income/${year}`, 200, {
      body: { lines: [{ source: 'dividend_collective', amount: 600, evidence: '村集体分红花名册' }, { source: 'tekun', amount: '4800.50', evidence: '特困供养金发放表' }] },
      headers: { 'if-match': String(income.headers.etag) },
    });
    expect(recorded.body.lines).toHaveLength(2);
    await ok('officer', 'GET', `/reports/income?year=${year}`, 200);
    const reference = await ok('admin', 'GET', `/settings/dividend-references/${V.sunjiagou}/${year}`, 200);
    await ok('admin', 'PUT', `/settings/dividend-references/${V.sunjiagou}/${year}`, 200, { body: { amount: 600 }, headers: { 'if-match': String(reference.headers.etag) } });
    const references = await ok('admin', 'GET', `/settings/dividend-references?year=${year}`, 200);
    expect(references.body.items).toHaveLength(1);
    expect((await ok('officer', 'GET', `/cases/${caseId}/income?year=${year}`, 200)).body.dividendCheck.status).toBe('shortfall'); // 600 recorded, 120% of 600 required
    const live = await ok('officer', 'GET', '/projection', 200);
    expect(live.body.totals.households).toBeGreaterThan(0);
    await ok('officer', 'POST', '/projection/what-if', 200, { body: { counties: [{ countyCode: '411282', households: 12 }], parameters: { householdsPerWorker: 3 } } });
    await ok('cityAdmin', 'GET', '/settings/projection', 200);
    const projection = await ok('cityAdmin', 'GET', '/settings/projection/4112', 200);
    await ok('cityAdmin', 'PUT', '/settings/projection/4112', 200, { body: { householdsPerWorker: 5, monthlyWage: '4200.00', citySharePercent: 40 }, headers: { 'if-match': String(projection.headers.etag) } });

    // Reports and exports (the exports are files: checked by media type and first bytes).
    for (const name of REPORT_NAMES) await ok('officer', 'GET', `/reports/${name}`, 200);
    await ok('officer', 'GET', `/reports/monthly-flows?region=411282&from=${today.slice(0, 7)}&to=${today.slice(0, 7)}`, 200);
    for (const [who, name] of [['officer', 'worklist'], ['supervisor', 'overdue'], ['officer', 'roster']] as const) {
      await ok(who, 'GET', `/exports/${name}.xlsx`, 200);
      await ok(who, 'GET', `/exports/${name}.csv`, 200);
      await ok(who, 'GET', `/exports/${name}?format=xlsx`, 200);
    }
    // Bulk import: the template, an upload (multipart) and its dry run, the report, a commit; another cancelled.
    await ok('enumerator', 'GET', '/imports/templates/survey.xlsx', 200);
    for (const kind of ['caseload', 'facilities', 'guardians']) await ok('admin', 'GET', `/imports/templates/${kind}.xlsx`, 200);
    const uploadOnce = async (prefix: string) => {
      const boundary = '----contract';
      const payload = Buffer.concat([
        Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="t.xlsx"\r\ncontent-type: application/octet-stream\r\n\r\n`),
        await xlsxOf(households(1, prefix)),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await s.app.inject({ method: 'POST', url: '/imports?kind=survey', payload, headers: { authorization: `Bearer ${s.token('enumerator')}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
      expect(c.problems('POST', '/imports?kind=survey', res)).toEqual([]);
      expect(res.statusCode, res.body).toBe(202);
      await s.engine.imports.settled(JSON.parse(res.body).id);
      return JSON.parse(res.body).id as string;
    };
    const importId = await uploadOnce('contract');
    await ok('enumerator', 'GET', `/imports/${importId}`, 200);
    await ok('enumerator', 'GET', `/imports/${importId}/report.xlsx`, 200);
    await ok('enumerator', 'POST', `/imports/${importId}/commit`, 202);
    await s.engine.imports.settled(importId);
    await ok('enumerator', 'POST', `/imports/${await uploadOnce('cancelled')}/cancel`, 200);

    const log = await ok('supervisor', 'GET', '/exports/log?limit=20', 200);
    expect(log.body.items).toHaveLength(9);

    // Supervision and notifications.
    await ok('supervisor', 'GET', '/overdue', 200);
    await ok('supervisor', 'GET', '/overdue/summary', 200);
    const notes = await ok('supervisor', 'GET', '/notifications', 200);
    expect(notes.body.items.length).toBeGreaterThan(0);
    await ok('supervisor', 'POST', `/notifications/${notes.body.items[0].id}/read`, 204);

    // Settings.
    const cal = await ok('provinceAdmin', 'GET', '/calendar/2027', 200);
    await ok('provinceAdmin', 'PUT', '/calendar/2027', 200, { body: { year: 2027, holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] }, headers: { 'if-match': String(cal.headers.etag) } });
    const deadlines = await ok('admin', 'GET', '/settings/deadlines', 200);
    await ok('admin', 'GET', '/settings/deadlines/411282', 200);
    await ok('admin', 'PUT', '/settings/deadlines/411282', 200, { body: {}, headers: { 'if-match': String(deadlines.headers.etag) } });

    // Webhooks.
    const hook = await ok('admin', 'POST', '/webhooks', 201, { body: { regionPrefix: '411282', url: 'https://hooks.example.cn/doudi' } });
    await ok('admin', 'GET', '/webhooks', 200);
    await ok('admin', 'PATCH', `/webhooks/${hook.body.id}`, 200, { body: { active: false } });
    await ok('admin', 'GET', `/webhooks/${hook.body.id}/deliveries`, 200);

    // Exports of the reports, the income report and the live projection (files, not JSON: checked by their media type).
    for (const o of c.operations.filter((x) => /^\/exports\/(reports\/|income|projection)/.test(x.path))) {
      const query = [o.path.startsWith('/exports/income') ? 'year=2026' : '', /\.(xlsx|csv)$/.test(o.path) ? '' : 'format=csv'].filter(Boolean).join('&');
      const url = query ? `${o.path}?${query}` : o.path;
      const res = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${s.token('supervisor')}` } });
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(200);
      expect(c.problems('GET', url, res)).toEqual([]);
    }

    // Timers: one of the placed case's is cancelled; one is made to fail for good and retried.
    const timers = await s.database.db.execute<{ id: number }>(sql`select id from timers where case_id = ${caseId} and status = 'pending' order by id`);
    const rows = (Array.isArray(timers) ? timers : (timers as { rows: { id: number }[] }).rows).map((r) => Number(r.id));
    expect(rows.length).toBeGreaterThan(0);
    await s.database.db.execute(sql`update timers set status = 'failed', attempts = 5, last_error = 'test' where id = ${rows[0]}`);
    await ok('admin', 'GET', '/timers', 200);
    await ok('admin', 'POST', `/timers/${rows[0]}/retry`, 200, { body: { reason: '契约测试' } });
    await ok('admin', 'POST', `/timers/${rows[0]}/cancel`, 200);

    // The public notice and the check of a copy (no credential): a 公示名单 registered for a case in its notice.
    const { caseId: inNotice } = await caseInPublicity(s);
    const { doc: list, pdf } = await registerPublicityList(s, [inNotice]);
    const notice = await ok(null, 'GET', `/public/api/notices/${list.code}`, 200);
    expect(notice.body.rows[0]).toMatchObject({ open: true });
    const sha = createHash('sha256').update(pdf).digest('hex');
    expect((await ok(null, 'GET', `/public/api/check?code=${list.code}&sha256=${sha}`, 200)).body).toMatchObject({ match: true, by: 'both' });
    expect((await ok(null, 'GET', `/public/api/check?sha256=${'0'.repeat(64)}`, 200)).body).toEqual({ match: false, by: 'sha256', document: null });
    await ok(null, 'GET', '/public/api/notices/ZZZZ-ZZZZ', 404);

    await ok('admin', 'POST', '/admin/clock', 200, { body: { advanceDays: 1 } });
    // The longest walk of the suite, with two PDFs drawn (fonts subset each time): more than the default 30 s under
    // a full suite's load.
  }, 120_000);

  it('has answered every operation in the document with a documented success', () => {
    const unanswered = c.operations.map((o) => o.key).filter((k) => !c.succeeded.has(k) && !NO_SUCCESS_HERE[k]);
    expect(unanswered, 'add a call for each of these to the test above').toEqual([]);
    for (const k of Object.keys(NO_SUCCESS_HERE)) expect(c.seen.has(k), `${k} was not called at all`).toBe(true);
  });
});
