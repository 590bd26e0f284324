// Printed documents over HTTP, on both databases: each produced from a real case walked through the engine, its
// text extracted with pdftotext and checked (names, masked ID numbers, dates, periods, the code), no full ID number
// anywhere in the file, the registry row and the DOCUMENT_ISSUED audit record, role and jurisdiction refusals.
// PDFs are drawn with fonts subset each time (0.5–2.5 s a document): tests here have 120 s, not the default 30 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDocumentByCode, findDocumentBySha256, listAudit } from '../../src/db/index.js';
import { maskResidentId } from '../../src/domain/residentId.js';
import { createDocumentIssuer, sha256Hex } from '../../src/engine/documentIssue.js';
import { testDbKind } from '../helpers/db.js';
import { pdfPages, pdfText } from '../helpers/pdfText.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ env: { PUBLIC_BASE_URL: 'https://doudi.example.cn' } });
});
afterAll(async () => {
  await svc?.close();
});

const today = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const send = (who: TestUser, caseId: string, body: object) => svc.as(who, 'POST', `/cases/${caseId}/events`, body);
async function ok(who: TestUser, caseId: string, body: object) {
  const r = await send(who, caseId, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** A POST that answers a PDF (or an error as JSON). */
async function pdfPost(who: TestUser | null, url: string, body?: object) {
  const res = await svc.app.inject({ method: 'POST', url, ...(body ? { payload: body } : {}), headers: who ? { authorization: `Bearer ${svc.token(who)}` } : {} });
  const isPdf = String(res.headers['content-type']).startsWith('application/pdf');
  return { status: res.statusCode, headers: res.headers, pdf: isPdf ? res.rawPayload : null, body: isPdf ? null : JSON.parse(res.body) };
}

interface Person { name: string; idNumber: string; birthDate: string; sex: 'male' | 'female' }
const person = (name: string, birthDate: string, sex: 'male' | 'female' = 'male'): Person => ({ name, birthDate, sex, idNumber: idNumber(birthDate, sex) });

/** A one-person household surveyed, evaluated and approved at three levels: now in the public notice. */
async function inPublicity(p: Person, villageCode: string = V.sunjiagou) {
  const r = await svc.as('enumerator', 'POST', '/households', {
    villageCode,
    address: '3组12号',
    legalSupporter: null,
    members: [{ ...p, relation: '户主', labourCapacity: 'none' }],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const caseId = r.body.caseId as string;
  await ok('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
  const c = await ok('evaluator', caseId, { type: 'START_EVALUATION' });
  for (const m of c.household.members) {
    await ok('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: m.id, categories: ['elderly', 'severe_disability'], labourCapacity: 'none', evidence: ['残疾证'] } });
  }
  await ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
  for (const who of ['village', 'township'] as const) await ok(who, caseId, { type: 'APPROVE' });
  const last = await ok('county', caseId, { type: 'APPROVE' });
  expect(last.state).toMatch(/^publicity/);
  return { caseId, caseNumber: r.body.caseNumber as string, publicity: last.publicity as { openedAt: string; endsAt: string } };
}

/** Checks the file: a PDF, registered under the code it prints, hash of these bytes; no full ID number in it. */
async function registered(r: Awaited<ReturnType<typeof pdfPost>>, kind: string, people: Person[]) {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const pdf = r.pdf!;
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const code = String(r.headers['x-document-code']);
  const text = pdfText(pdf);
  const doc = await findDocumentByCode(svc.database.db, code);
  expect(doc).toMatchObject({ kind, sha256: sha256Hex(pdf) });
  expect((await findDocumentBySha256(svc.database.db, sha256Hex(pdf)))?.id).toBe(doc!.id);
  expect(r.headers['x-document-sha256']).toBe(doc!.sha256);
  // The code as printed (grouped) and the QR code's page.
  expect(text).toContain(`${code.slice(0, 4)}-${code.slice(4)}`);
  expect(text).toContain(`https://doudi.example.cn/public/documents/${code}`);
  for (const p of people) {
    expect(text).toContain(p.name);
    expect(text).toContain(maskResidentId(p.idNumber));
    // Never the full number: not in the text, not anywhere in the bytes (uncompressed streams, metadata).
    expect(text).not.toContain(p.idNumber);
    expect(pdf.includes(Buffer.from(p.idNumber))).toBe(false);
    // Nor the birth date, which beside the mask would give the number back.
    expect(text).not.toContain(p.birthDate);
    expect(text).not.toContain(p.birthDate.replaceAll('-', ''));
  }
  return { pdf, text, code, doc: doc! };
}

async function auditOf(caseId: string, code: string) {
  return (await listAudit(svc.database.db, caseId)).find((a) => a.eventType === 'DOCUMENT_ISSUED' && (a.payload as { code?: string }).code === code);
}

describe(`printed documents (${testDbKind()})`, { timeout: 120_000 }, () => {
  it('prints the 公示名单 of a village with every case in the notice, registers its public view, audits each case', async () => {
    const a = person('王秀兰', '1941-05-06', 'female');
    const b = person('李䶮', '1950-11-23');
    const ca = await inPublicity(a);
    const cb = await inPublicity(b);
    const r = await pdfPost('officer', `/villages/${V.sunjiagou}/publicity-list.pdf`, { proposedModes: { [ca.caseNumber]: 'dispersed_care' } });
    const { text, code, doc } = await registered(r, 'publicity_list', [a, b]);
    const start = today();
    const end = new Date(Date.parse(ca.publicity.endsAt) - 1 + 8 * 3600_000).toISOString().slice(0, 10);
    expect(text).toContain(`公示期：${start} 至 ${end}`);
    expect(text).toContain('孙家沟村兜底保障对象认定公示');
    for (const s of [ca.caseNumber, cb.caseNumber, '分散托养', '待定', '贫困老年人', '重度残疾人', '女', '苏村乡人民政府民政办']) expect(text).toContain(s);
    expect(doc.caseIds.sort()).toEqual([ca.caseId, cb.caseId].sort());
    expect(doc.villageCode).toBe(V.sunjiagou);
    expect(doc.issuedBy).toBe(svc.users.officer.id);
    expect(doc.publicView).toEqual({
      villageName: '孙家沟村',
      townshipName: '苏村乡',
      countyName: '灵宝市',
      rows: [
        { caseNumber: ca.caseNumber, name: a.name, maskedId: maskResidentId(a.idNumber), sex: '女', categories: ['elderly', 'severe_disability'], mode: 'dispersed_care' },
        { caseNumber: cb.caseNumber, name: b.name, maskedId: maskResidentId(b.idNumber), sex: '男', categories: ['elderly', 'severe_disability'], mode: null },
      ],
      periodStart: start,
      periodEnd: end,
      objectTo: { office: '苏村乡人民政府民政办', address: '苏村乡人民政府', telephone: '请向苏村乡人民政府民政办询问' },
    });
    for (const c of [ca, cb]) {
      const audit = await auditOf(c.caseId, code);
      expect(audit).toMatchObject({ actorId: svc.users.officer.id, actorRole: 'officer', payload: { kind: 'publicity_list', code, sha256: doc.sha256 } });
    }
    // The case's timeline in the API names it.
    const view = await svc.as('officer', 'GET', `/cases/${ca.caseId}/audit`);
    if (view.status === 200) expect(JSON.stringify(view.body)).toContain('DOCUMENT_ISSUED');
  });

  it('takes the objection office from the township’s document texts, set by an admin (If-Match)', async () => {
    const put = await svc.as('admin', 'PUT', '/settings/documents/411282', { issuer: '灵宝市民政局', townships: { '411282108': { office: '苏村乡民政所', address: '苏村乡政府院内', telephone: '0398-8888123' } } }, { 'if-match': '"0"' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.effective).toMatchObject({ issuer: '灵宝市民政局', reviewDays: 60, litigationMonths: 6 });
    expect((await svc.as('admin', 'PUT', '/settings/documents/411282', { issuer: 'x' }, { 'if-match': '"0"' })).status).toBe(409);
    expect((await svc.as('admin', 'PUT', '/settings/documents/411282', { issuer: 'x' })).status).toBe(428);
    const bad = await svc.as('admin', 'PUT', '/settings/documents/411282', { issuer: '', colour: 'red', townships: { '411221100': { office: 'a', address: 'b', telephone: 'c' } } }, { 'if-match': '"1"' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.colour', 'body.issuer']);
    expect((await svc.as('mcAdmin', 'PUT', '/settings/documents/411282', {}, { 'if-match': '"1"' })).status).toBe(403);
    expect((await svc.as('officer', 'GET', '/settings/documents/411282')).status).toBe(403);
    const p = person('赵德明', '1944-02-02');
    await inPublicity(p, V.mingshan);
    const { text } = await registered(await pdfPost('officer', `/villages/${V.mingshan}/publicity-list.pdf`), 'publicity_list', [p]);
    for (const s of ['苏村乡民政所', '苏村乡政府院内', '0398-8888123']) expect(text).toContain(s);
  });

  it('prints the refusal notice of a rejected case with the reason, the rights and their limits', async () => {
    const p = person('陈国强', '1958-07-30');
    const r0 = await svc.as('enumerator', 'POST', '/households', { villageCode: V.sunjiagou, address: '5组', legalSupporter: null, members: [{ ...p, relation: '户主', labourCapacity: 'none' }] });
    const caseId = r0.body.caseId as string;
    await ok('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
    const c = await ok('evaluator', caseId, { type: 'START_EVALUATION' });
    await ok('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: c.household.members[0].id, categories: ['elderly'], labourCapacity: 'none', evidence: ['x'] } });
    await ok('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    // Not rejected yet: no refusal notice.
    const early = await pdfPost('officer', `/cases/${caseId}/documents/refusal-notice`);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('DOCUMENT_NOT_APPLICABLE');
    await ok('village', caseId, { type: 'REJECT', reason: '家中有劳动能力的赡养人，收入高于标准' });
    const r = await pdfPost('officer', `/cases/${caseId}/documents/refusal-notice`);
    const { text, code } = await registered(r, 'refusal_notice', [p]);
    for (const s of ['兜底保障不予认定通知书', '家中有劳动能力的赡养人，收入高于标准', '60日内', '灵宝市人民政府', '行政复议', '6个月内', '灵宝市人民法院', '行政诉讼', '灵宝市民政局', r0.body.caseNumber]) expect(text).toContain(s);
    expect(await auditOf(caseId, code)).toMatchObject({ actorRole: 'officer', payload: { kind: 'refusal_notice' } });
    // Only an officer prints it; a county-B officer does not even see the case.
    expect((await pdfPost('visitor', `/cases/${caseId}/documents/refusal-notice`)).status).toBe(403);
    const other = await pdfPost('mcOfficer', `/cases/${caseId}/documents/refusal-notice`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('CASE_NOT_FOUND');
    expect((await pdfPost(null, `/cases/${caseId}/documents/refusal-notice`)).status).toBe(401);
  });

  it('prints the three-party agreement, the revisit form blank and filled, and the exit notice', async () => {
    const p = person('孙桂芳', '1939-12-12', 'female');
    const { caseId, caseNumber } = await inPublicity(p);
    svc.clock.advanceDays(7);
    await ok('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
    const g = await svc.as('officer', 'POST', '/guardians', { regionCode: V.sunjiagou, name: '邻居张大娘', kind: 'neighbour', phone: '13800001111' });
    expect(g.status, JSON.stringify(g.body)).toBe(201);
    const startDate = today();
    await ok('officer', caseId, {
      type: 'PLACE', mode: 'dispersed_care', startDate, guardianId: g.body.id, appointedByTownship: true,
      agreement: { signedOn: startDate, startDate, termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } },
    });
    const zh = (iso: string) => `${Number(iso.slice(0, 4))}年${Number(iso.slice(5, 7))}月${Number(iso.slice(8, 10))}日`;

    const agreement = await registered(await pdfPost('officer', `/cases/${caseId}/documents/care-agreement`), 'care_agreement', [p]);
    for (const s of ['分散托养三方协议', '孙家沟村民委员会', '邻居张大娘', '13800001111', `自 ${zh(startDate)} 起，期限 12 个月`, '甲方（村民委员会）', '乙方（监护人）', '丙方（受托人或其代理人）', caseNumber]) expect(agreement.text).toContain(s);

    const blank = await registered(await pdfPost('visitor', `/cases/${caseId}/documents/revisit-form`), 'revisit_form', [p]);
    expect(blank.text).toContain('空白表');
    // Each fits one sheet, seal and signatures included.
    expect([pdfPages(agreement.pdf), pdfPages(blank.pdf)]).toEqual([1, 1]);
    expect(await auditOf(caseId, blank.code)).toMatchObject({ actorRole: 'visitor' });

    await ok('visitor', caseId, { type: 'RECORD_REVISIT', date: today(), livingConditions: '居室整洁，饮食正常', health: '血压偏高，按时服药', problems: '冬衣不足', reassessmentNeeded: false });
    const revisits = await svc.as('officer', 'GET', `/cases/${caseId}/revisits`);
    expect(revisits.status, JSON.stringify(revisits.body)).toBe(200);
    const revisitId = (revisits.body.revisits ?? revisits.body)[0].id;
    const filled = await registered(await pdfPost('visitor', `/cases/${caseId}/documents/revisit-form?revisitId=${revisitId}`), 'revisit_form', [p]);
    for (const s of ['居室整洁，饮食正常', '血压偏高，按时服药', '冬衣不足', zh(today()), 'visitor']) expect(filled.text).toContain(s);
    expect((await pdfPost('visitor', `/cases/${caseId}/documents/revisit-form?revisitId=99999`)).status).toBe(404);
    expect((await pdfPost('visitor', `/cases/${caseId}/documents/care-agreement`)).status).toBe(403);

    expect((await pdfPost('officer', `/cases/${caseId}/documents/exit-notice`)).body.code).toBe('DOCUMENT_NOT_APPLICABLE');
    await ok('officer', caseId, { type: 'EXIT', reason: 'moved_away', date: today() });
    const exit = await registered(await pdfPost('officer', `/cases/${caseId}/documents/exit-notice`), 'exit_notice', [p]);
    for (const s of ['孙家沟村兜底保障对象退出公告', '迁出', zh(today()), '公告期']) expect(exit.text).toContain(s);
  });

  it('refuses a list with no case in the notice, a village outside the jurisdiction, and bad input, changing nothing', async () => {
    const none = await pdfPost('officer', `/villages/${V.mianchi}/publicity-list.pdf`);
    expect(none.status).toBe(403);
    const empty = await pdfPost('mcOfficer', `/villages/${V.mianchi}/publicity-list.pdf`);
    expect(empty.status).toBe(409);
    expect(empty.body.code).toBe('DOCUMENT_NOT_APPLICABLE');
    const bad = await pdfPost('officer', `/villages/${V.sunjiagou}/publicity-list.pdf`, { proposedModes: { '411282-2026-999999': 'castle' }, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.extra', 'body.proposedModes.411282-2026-999999']);
    expect((await pdfPost('enumerator', `/villages/${V.sunjiagou}/publicity-list.pdf`)).status).toBe(403);
  });

  it('issues in parallel on one case: every issuance registered and audited, one after another in the chain', async () => {
    const p = person('周玉珍', '1943-09-09', 'female');
    const { caseId } = await inPublicity(p, V.sunjiagou);
    const before = (await listAudit(svc.database.db, caseId)).length;
    // Five lists of the village at once (each covers this case and the others in the notice): the case row locks
    // order them; none is lost, none forks the chain.
    const all = await Promise.all(Array.from({ length: 5 }, () => pdfPost('officer', `/villages/${V.sunjiagou}/publicity-list.pdf`)));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const codes = all.map((r) => String(r.headers['x-document-code']));
    expect(new Set(codes).size).toBe(5);
    const issued = (await listAudit(svc.database.db, caseId)).slice(before);
    expect(issued.map((a) => a.eventType)).toEqual(Array(5).fill('DOCUMENT_ISSUED'));
    expect(issued.map((a) => (a.payload as { code: string }).code).sort()).toEqual([...codes].sort());
    const verify = await svc.as('officer', 'GET', `/cases/${caseId}/audit/verify`);
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
  });

  it('draws again when a case changes between drawing and registering: the registered document is of the case as locked', async () => {
    const p = person('吴长顺', '1946-03-03');
    const { caseId } = await inPublicity(p);
    const issuer = createDocumentIssuer(svc.engine.deps);
    const drawnFrom: string[] = [];
    const issued = await issuer.issueDocument({ principal: svc.principal('officer') }, {
      kind: 'revisit_form',
      villageCode: V.sunjiagou,
      caseIds: [caseId],
      actorRole: 'officer',
      render: async (ctx) => {
        drawnFrom.push(ctx.cases[0]!.state);
        // The first drawing is overtaken: an objection is filed before the document is registered.
        if (drawnFrom.length === 1) await ok('officer', caseId, { type: 'FILE_OBJECTION', objectionId: 'o-race', lodgedBy: '村民', channel: 'paper', content: '有异议' });
        return { pdf: Buffer.from(`%PDF-1.7 drawn from ${ctx.cases[0]!.state} ${ctx.code}`) };
      },
    });
    expect(drawnFrom).toHaveLength(2);
    expect(drawnFrom[1]).not.toBe(drawnFrom[0]);
    expect(issued.pdf.toString()).toContain(drawnFrom[1]);
    const trail = (await listAudit(svc.database.db, caseId)).map((a) => a.eventType);
    expect(trail.slice(-2)).toEqual(['FILE_OBJECTION', 'DOCUMENT_ISSUED']);
  });
});
