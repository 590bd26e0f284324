// The public pages (公示查询与网上异议) against abuse, on both databases: what they refuse (unknown code, oversized or
// scripted text, a forged, stale or cross-site form) changing nothing; the limits (per address and hour; per
// household and day, held by the database and raced on PostgreSQL); and that they reach nothing else of the service.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { textOf } from '../helpers/console.js';
import { caseInPublicity, errorCodeOn, receiptOn, registerPublicityList, villager } from '../helpers/publicNotice.js';
import { lockHolder, onPostgres } from '../helpers/race.js';
import { startService, type TestService } from '../helpers/service.js';
import { TEST_PG_POOL, testDbKind } from '../helpers/db.js';

let svc: TestService;
beforeAll(async () => {
  // Per address: 3 objections an hour; per household: 4 a day (small, so the tests reach them).
  svc = await startService({ env: { PUBLIC_OBJECTIONS_PER_HOUR: '3', PUBLIC_OBJECTIONS_PER_CASE_PER_DAY: '4' } });
});
afterAll(async () => svc?.close());

const stateOf = async (caseId: string) => (await svc.engine.getCase(svc.principal('officer'), caseId)).state;
const countOf = async (table: string, caseId: string) =>
  rows<{ n: number }>(await svc.database.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where case_id = ${caseId}`))[0].n;

describe(`public pages against abuse (${testDbKind()})`, () => {
  it('refuses an unknown code, a household not on the notice, markup, control characters and oversized text, changing nothing', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const v = villager(svc, '198.51.100.4');
    const unknown = await v.request('GET', '/public/documents/ZZZZ-ZZZZ');
    expect(unknown.status).toBe(404);
    expect(errorCodeOn(unknown.html)).toBe('PUBLIC_NOTICE_NOT_FOUND');
    expect(textOf(unknown.html)).toContain('未找到该查询码对应的公示');
    const malformed = await v.request('GET', '/public/documents/not-a-code!');
    expect(malformed.status).toBe(400);
    const other = await v.openForm(doc.code, '411282-2026-999999');
    expect(other.page.status).toBe(404);

    const before = await countOf('audit_records', caseId);
    const bad = [
      { text: '<script>alert(1)</script>这户不符合条件' },
      { text: '请看 <a href="http://x">这里</a>，不符合' },
      { text: '点此 javascript:alert(1) 不符合条件' },
      { name: '张三<img src=x onerror=alert(1)>' },
      { text: `不符合${'\u0007'}条件的家庭` },
      { text: `不符合条件${'\u202e'}反向文字` },
      { text: '太短' },
      { text: '异'.repeat(2001) },
      { contact: '1' },
      { name: '   ' },
    ];
    for (const fields of bad) {
      // The per-address hour limit is 3: each refusal comes from a fresh address.
      const r = await villager(svc, `192.0.2.${bad.indexOf(fields) + 10}`).object(doc.code, caseNumber, fields);
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(errorCodeOn(r.html)).toBe('VALIDATION_FAILED');
      expect(r.html).not.toContain('<script>alert');
      expect(r.html).not.toMatch(/<img src=x/);
    }
    // A body far over any objection: refused before it is read (413), in Chinese.
    const huge = await villager(svc, '192.0.2.99').object(doc.code, caseNumber, { text: 'x'.repeat(60 * 1024) });
    expect(huge.status).toBe(413);
    expect(errorCodeOn(huge.html)).toBe('PAYLOAD_TOO_LARGE');
    expect(await countOf('audit_records', caseId)).toBe(before);
    expect(await countOf('public_objections', caseId)).toBe(0);
    expect(await stateOf(caseId)).toBe('publicity.open');

    // An unknown form field is refused and named.
    const { token } = await v.openForm(doc.code, caseNumber);
    const extra = await v.request('POST', `/public/documents/${doc.code}/objection`, { caseNumber, token, name: '张', contact: '13800001111', text: '不符合条件的家庭', admin: '1' });
    expect(extra.status).toBe(400);
    expect(textOf(extra.html)).toContain('admin');
  });

  it('refuses a forged, stale, foreign or cross-site form (CSRF), changing nothing', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const v = villager(svc, '198.51.100.5');
    const form = { caseNumber, name: '张某', contact: '13800002222', text: '该户不符合条件。' };
    const { token } = await v.openForm(doc.code, caseNumber);
    let n = 0;
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}, who = v) => {
      who.ip = `198.51.101.${++n}`; // each attempt from its own address: the hourly per-address limit is not what is tested here
      return who.request('POST', `/public/documents/${doc.code}/objection`, fields, headers);
    };
    // No token; a token altered; from another site; in another browser (no cookie / another cookie).
    for (const r of [
      await post(form),
      await post({ ...form, token: token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }),
      await post({ ...form, token }, { 'sec-fetch-site': 'cross-site' }),
      await post({ ...form, token }, {}, villager(svc, '198.51.100.5')),
    ]) {
      expect(r.status).toBe(403);
      expect(errorCodeOn(r.html)).toBe('PUBLIC_FORM_EXPIRED');
    }
    // A token for another household of the paper is not this one's.
    const { caseNumber: other, caseId: otherId } = await caseInPublicity(svc);
    await registerPublicityList(svc, [otherId]);
    expect((await post({ ...form, caseNumber: other, token })).status).toBe(403);
    expect(await countOf('public_objections', caseId)).toBe(0);
    expect(await stateOf(caseId)).toBe('publicity.open');
    // The genuine form, sent twice (a double click): one objection, the same receipt.
    const first = await post({ ...form, token });
    const again = await post({ ...form, token });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(receiptOn(again.html)).toBe(receiptOn(first.html));
    expect(await countOf('public_objections', caseId)).toBe(1);
  });

  it('limits objections per address and hour (429 RATE_LIMITED)', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const v = villager(svc, '198.51.100.6');
    for (let i = 0; i < 3; i++) expect((await v.object(doc.code, caseNumber, { text: `第${i + 1}条异议：该户不符合条件。` })).status).toBe(201);
    const fourth = await v.object(doc.code, caseNumber);
    expect(fourth.status).toBe(429);
    expect(errorCodeOn(fourth.html)).toBe('RATE_LIMITED');
    expect(fourth.headers['retry-after']).toBeTruthy();
    expect(await countOf('public_objections', caseId)).toBe(3);
  });

  it('limits objections per household and day in the database, under parallel requests from many addresses', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const browsers = Array.from({ length: 8 }, (_, i) => villager(svc, `198.18.0.${i + 1}`));
    const forms = await Promise.all(browsers.map((b) => b.openForm(doc.code, caseNumber)));
    const holder = await lockHolder(svc.database);
    try {
      const { results, blocked } = await holder.raced(
        (t) => t`select id from cases where id = ${caseId} for update`,
        // As many as the service's pool holds wait on the lock at once; the rest wait for a connection.
        onPostgres ? TEST_PG_POOL : 0,
        () => browsers.map((b, i) => b.request('POST', `/public/documents/${doc.code}/objection`, { caseNumber, token: forms[i]!.token, name: `村民${i}`, contact: `1380000${String(i).padStart(4, '0')}`, text: `第${i}位村民：该户不符合条件。` })),
      );
      if (onPostgres) expect(blocked).toBeGreaterThanOrEqual(TEST_PG_POOL);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 201, 201, 429, 429, 429, 429]);
      expect(results.filter((r) => r.status === 429).every((r) => errorCodeOn(r.html) === 'PUBLIC_OBJECTION_LIMIT')).toBe(true);
    } finally {
      await holder.close();
    }
    expect(await countOf('public_objections', caseId)).toBe(4);
    const snapshotObjections = (await svc.engine.getCase(svc.principal('officer'), caseId)).publicity as { objections: unknown[] };
    expect(snapshotObjections.objections).toHaveLength(4);
    // The next China day the household takes objections again.
    svc.clock.advanceDays(1);
    expect((await villager(svc, '198.18.1.1').object(doc.code, caseNumber)).status).toBe(201);
  });

  it('the public routes need no session and reach nothing else', async () => {
    const v = villager(svc, '198.51.100.9');
    expect((await v.request('GET', '/public/')).status).toBe(200);
    expect((await v.request('GET', '/public')).status).toBe(200);
    const typed = await v.request('GET', '/public/?code=abcd efgh');
    expect(typed.status).toBe(303);
    expect(typed.headers.location).toBe('/public/documents/ABCDEFGH');
    expect((await v.request('GET', '/public/check')).status).toBe(200);
    // The public cookie is no credential anywhere else.
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    await v.openForm(doc.code, caseNumber);
    expect(v.cookie).toMatch(/^doudi_public=/);
    expect((await v.request('GET', `/cases/${caseId}`)).status).toBe(401);
    expect((await v.request('GET', `/console/c/${caseNumber}`)).status).toBe(303);
    for (const path of ['/public/cases', `/public/documents/${doc.code}/cases`, '/public/../cases', '/public/assets/console.css', '/public/assets/../../../package.json']) {
      const r = await v.request('GET', path);
      // (/public/../cases is /cases: the API, which wants a credential.)
      expect([400, 401, 403, 404], path).toContain(r.status);
    }
    // The public JSON API answers what it does not have in JSON, like the API; the pages answer a page.
    for (const [method, path] of [['PUT', `/public/api/notices/${doc.code}`], ['GET', '/public/api/nothing']] as const) {
      const r = await v.request(method, path);
      expect(r.status, path).toBe(404);
      expect(r.headers['content-type'], path).toMatch(/^application\/json/);
      expect(JSON.parse(r.html).code, path).toBe('NOT_FOUND');
    }
    const page = await v.request('GET', '/public/nothing');
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });
});
