// 文书 on the console: the case page offers the documents the person may print now; a button answers the
// registered PDF; the timeline names the issuance in Chinese; the village's 公示名单 prints from a case in the
// notice. Real sessions, on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDocumentByCode } from '../../src/db/index.js';
import { consoleAs, mainOf, textOf } from '../helpers/console.js';
import { startService, sunSurvey, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

const send = async (who: TestUser, caseId: string, body: object) => {
  const r = await svc.as(who, 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

async function inPublicity() {
  const r = await svc.as('enumerator', 'POST', '/households', sunSurvey());
  const caseId = r.body.caseId as string;
  await send('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await send('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) await send('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
  await send('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of ['village', 'township', 'county'] as const) await send(who, caseId, { type: 'APPROVE' });
  return { id: caseId, number: r.body.caseNumber as string };
}

describe('文书 on the console', { timeout: 120_000 }, () => {
  it('an officer prints the 公示名单 from a case in the notice; the timeline shows 出具文书 with the code', async () => {
    const c = await inPublicity();
    const officer = await consoleAs(svc, 'officer');
    const page = await officer.get(`/console/c/${c.number}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-document="publicity_list"');
    expect(page.html).not.toContain('data-document="refusal_notice"');
    const printed = await officer.post(`/console/villages/${V.sunjiagou}/publicity-list`, {});
    expect(printed.status, printed.html.slice(0, 300)).toBe(200);
    expect(String(printed.headers['content-type'])).toMatch(/^application\/pdf/);
    expect(printed.html.startsWith('%PDF-')).toBe(true);
    const code = String(printed.headers['x-document-code']);
    expect((await findDocumentByCode(svc.database.db, code))?.caseIds).toContain(c.id);
    const after = textOf(mainOf((await officer.get(`/console/c/${c.number}`)).html));
    expect(after).toContain(`出具文书：兜底保障对象认定公示（编号 ${code.slice(0, 4)}-${code.slice(4)}）`);
    expect(after).toContain(`${code.slice(0, 4)}-${code.slice(4)}`);
    // A visitor sees no print button for the list, and is refused if they post anyway.
    const visitor = await consoleAs(svc, 'visitor');
    expect((await visitor.get(`/console/c/${c.number}`)).html).not.toContain('data-document="publicity_list"');
    const refused = await visitor.post(`/console/villages/${V.sunjiagou}/publicity-list`, {});
    expect(refused.status).toBe(403);
  });

  it('a rejected case offers the refusal notice to an officer', async () => {
    const r = await svc.as('enumerator', 'POST', '/households', sunSurvey());
    const id = r.body.caseId as string;
    await send('enumerator', id, { type: 'SUBMIT_SURVEY' });
    const c = await send('evaluator', id, { type: 'START_EVALUATION' });
    for (const m of c.household.members) await send('evaluator', id, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly'], labourCapacity: 'none', evidence: ['证明'] } });
    await send('evaluator', id, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    await send('village', id, { type: 'REJECT', reason: '有赡养能力' });
    const officer = await consoleAs(svc, 'officer');
    const page = await officer.get(`/console/c/${r.body.caseNumber}`);
    expect(page.html).toContain('data-document="refusal_notice"');
    const printed = await officer.post(`/console/c/${r.body.caseNumber}/documents/refusal_notice`, {});
    expect(printed.status).toBe(200);
    expect(printed.html.startsWith('%PDF-')).toBe(true);
    expect(textOf(mainOf((await officer.get(`/console/c/${r.body.caseNumber}`)).html))).toContain('出具文书：不予认定通知书');
  });
});

describe('管理 · 文书设置', { timeout: 120_000 }, () => {
  it('an admin sets the township’s objection office and the issuer; the next 公示名单 prints them; a stale page is refused', async () => {
    const admin = await consoleAs(svc, 'admin');
    const page = await admin.get('/console/admin/documents');
    expect(page.status).toBe(200);
    expect(textOf(mainOf(page.html))).toContain('{county}民政局'); // the default, filled with the county's name when printed
    const saved = await admin.post('/console/admin/documents', { scope: '411282', version: '0', issuer: '灵宝市民政局（示例）', township: '411282108', office: '苏村乡民政所', address: '苏村乡政府院内', telephone: '0398-1234567' });
    expect(saved.status, saved.html.slice(0, 500)).toBe(303);
    const after = textOf(mainOf((await admin.get(saved.location)).html));
    for (const s of ['已保存', '苏村乡民政所', '0398-1234567', '灵宝市民政局（示例）']) expect(after).toContain(s);
    const stale = await admin.post('/console/admin/documents', { scope: '411282', version: '0', issuer: 'x' });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain('data-code="SETTING_VERSION_CONFLICT"');
    const bad = await admin.post('/console/admin/documents', { scope: '411282', version: '1', reviewDays: '0' });
    expect(bad.status).toBe(400);
    // Not an admin of 灵宝市: read-only elsewhere, refused to change it.
    const mc = await consoleAs(svc, 'mcAdmin');
    expect((await mc.post('/console/admin/documents', { scope: '411282', version: '1', issuer: 'y' })).status).toBe(403);

    await inPublicity();
    const officer = await consoleAs(svc, 'officer');
    const printed = await officer.post(`/console/villages/${V.sunjiagou}/publicity-list`, {});
    expect(printed.status).toBe(200);
    const doc = await findDocumentByCode(svc.database.db, String(printed.headers['x-document-code']));
    expect(doc?.publicView?.objectTo).toEqual({ office: '苏村乡民政所', address: '苏村乡政府院内', telephone: '0398-1234567' });
  });
});
