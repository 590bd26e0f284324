// The public pages (公示查询与网上异议), end to end on both databases: a case walked to its public notice, a
// 公示名单 registered for it, a villager (no account) opens the notice by its code and lodges an objection online;
// the end-of-notice timer then does not approve the case; an officer resolves the objection (dismissed: approved;
// upheld: back to evaluation). The printed list checked by upload; what the pages never show (personal data).
// Refusals and limits: tests/http/publicAbuse.test.ts.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDocumentBySha256, insertDocument, rows } from '../../src/db/index.js';
import { documentCodeOf } from '../../src/domain/documentCode.js';
import { createTimerWorker } from '../../src/scheduler/timerWorker.js';
import { textOf } from '../helpers/console.js';
import { caseInPublicity, errorCodeOn, receiptOn, registerPublicityList, villager } from '../helpers/publicNotice.js';
import { startService, V, type TestService } from '../helpers/service.js';
import { testDbKind } from '../helpers/db.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const stateOf = async (caseId: string) => (await svc.engine.getCase(svc.principal('officer'), caseId)).state;

describe(`public notice and online objection (${testDbKind()})`, () => {
  it('a villager opens the notice by its code, objects online; the notice does not end; an officer dismisses it and the case proceeds', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const officerView = await svc.engine.getCase(svc.principal('officer'), caseId);
    const head = officerView.household.members[0]!;
    const v = villager(svc, '198.51.100.1');

    // The notice, by the code as printed (dash, lower case), without any credential.
    const page = await v.request('GET', `/public/documents/${doc.code.slice(0, 4).toLowerCase()}-${doc.code.slice(4)}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const text = textOf(page.html);
    expect(text).toContain('孙家沟村');
    expect(text).toContain(head.name);
    expect(text).toContain(`${head.idNumber!.slice(0, 6)}`);
    expect(text).toContain('公示中');
    // Nothing beyond the paper: no full ID number, no birth date, no address, no script.
    expect(page.html).not.toContain(head.idNumber!);
    expect(page.html).not.toContain(head.birthDate!);
    expect(page.html).not.toContain(head.birthDate!.replaceAll('-', ''));
    expect(page.html).not.toContain(officerView.household.address);
    expect(page.html).not.toMatch(/<script/i);
    expect(page.html).not.toContain(caseId);

    // The objection, through the form.
    const sent = await v.object(doc.code, caseNumber, { name: '王某村民', contact: '13912345678' });
    expect(sent.status, sent.html).toBe(201);
    const receipt = receiptOn(sent.html)!;
    expect(receipt).toMatch(/^W20260302[0-9A-Z]{6}$/);
    expect(sent.html).not.toContain('13912345678');
    // The notice, the JSON and the check never show who objected.
    for (const url of [`/public/documents/${doc.code}`, `/public/api/notices/${doc.code}`, `/public/check?code=${doc.code}`, `/public/api/check?code=${doc.code}`]) {
      const r = await v.request('GET', url);
      expect(r.status, url).toBe(200);
      for (const secret of ['王某村民', '13912345678', receipt]) expect(r.html, url).not.toContain(secret);
    }

    // Filed on the case as any objection: state, audit record (actor public, channel online), officer notified.
    expect(await stateOf(caseId)).toBe('publicity.objected');
    const audit = await svc.engine.audit(svc.principal('officer'), caseId);
    const filed = audit.find((r) => r.eventType === 'FILE_OBJECTION')!;
    expect(filed).toMatchObject({ actorId: 'public', actorRole: 'public', stateAfter: 'publicity.objected' });
    expect(filed.payload).toMatchObject({ objectionId: receipt, channel: 'online', lodgedBy: '群众（网上提交）' });
    expect(JSON.stringify(filed.payload)).not.toContain('王某村民');
    expect(JSON.stringify(filed.payload)).not.toContain('13912345678'); // the contact lives only in public_objections
    expect((await svc.engine.audit(svc.principal('officer'), caseId)).length).toBe(audit.length);
    const inbox = await svc.engine.notifications(svc.principal('officer'), { limit: 20 });
    const note = inbox.items.find((n: { title: string }) => n.title === `收到网上提交的异议：${caseNumber}`);
    expect(note).toBeTruthy();
    expect(JSON.stringify(note)).not.toContain('王某村民');
    // An officer of another county is not told.
    expect((await svc.engine.notifications(svc.principal('mcOfficer'), { limit: 20 })).items.filter((n: { title: string }) => n.title.includes(caseNumber))).toEqual([]);
    // The lodger's contact: for officers of the jurisdiction only.
    expect(await svc.engine.onlineObjectionContacts(svc.principal('officer'), caseId, officerView.household.villageCode, [receipt])).toEqual(new Map([[receipt, { name: '王某村民', contact: '13912345678' }]]));
    expect((await svc.engine.onlineObjectionContacts(svc.principal('mcOfficer'), caseId, officerView.household.villageCode, [receipt])).size).toBe(0);
    expect((await svc.engine.onlineObjectionContacts(svc.principal('supervisor'), caseId, officerView.household.villageCode, [receipt])).size).toBe(0);
    // Never in the logs.
    expect(svc.logLines.join('\n')).not.toContain('13912345678');
    expect(svc.logLines.join('\n')).not.toContain('王某村民');

    // Seven days on, the end-of-notice timer fires and is refused by the open objection: no approval.
    svc.clock.advanceDays(7);
    const worker = createTimerWorker({ clock: svc.clock, logger: svc.app.log as never, engine: svc.engine });
    await worker.runOnce();
    expect(await stateOf(caseId)).toBe('publicity.objected');
    const [timer] = rows<{ status: string; outcome: string }>(await svc.database.db.execute(sql`select status, outcome from timers where case_id = ${caseId} and kind = 'notice_end'`));
    expect(timer.outcome).toContain('OPEN_OBJECTION');

    // The notice is over now: the page says so, and the form is refused.
    const after = await v.request('GET', `/public/documents/${doc.code}`);
    expect(textOf(after.html)).toContain('公示已结束');
    const late = await v.openForm(doc.code, caseNumber);
    expect(late.page.status).toBe(409);
    expect(errorCodeOn(late.page.html)).toBe('PUBLIC_NOTICE_CLOSED');

    // The officer dismisses it with a reason (the API's own command, as the console's form sends it): approved.
    const resolved = await svc.as('officer', 'POST', `/cases/${caseId}/events`, { type: 'RESOLVE_OBJECTION', objectionId: receipt, outcome: 'dismissed', reason: '经核实，其子无稳定收入，异议不成立' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.state).toBe('awaitingPlacement');
  });

  it('the printed 公示名单: its code opens the notice, the uploaded PDF checks 一致, an altered copy 不一致; a non-public document says only when and by whom', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc, V.mingshan);
    const printed = await svc.app.inject({ method: 'POST', url: `/villages/${V.mingshan}/publicity-list.pdf`, headers: { authorization: `Bearer ${svc.token('officer')}` }, payload: {} });
    expect(printed.statusCode, printed.body.slice(0, 300)).toBe(200);
    const pdf = printed.rawPayload;
    const sha = createHash('sha256').update(pdf).digest('hex');
    const doc = (await findDocumentBySha256(svc.database.db, sha))!;
    expect(doc.caseIds).toEqual([caseId]);
    const v = villager(svc, '198.51.100.20');

    const page = await v.request('GET', `/public/documents/${doc.code}`);
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain('明山村');
    expect(textOf(page.html)).toContain(caseNumber);

    const upload = (bytes: Buffer) => {
      const boundary = '----public-check';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="公示.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return svc.app.inject({ method: 'POST', url: '/public/check', remoteAddress: '198.51.100.20', payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    };
    const same = await upload(pdf);
    expect(same.statusCode).toBe(200);
    expect(same.body).toContain('data-match="yes"');
    expect(textOf(same.body)).toContain('一致');
    expect(textOf(same.body)).toContain('公示名单');
    const altered = Buffer.from(pdf);
    altered[altered.length - 20] ^= 1;
    const changed = await upload(altered);
    expect(changed.body).toContain('data-match="no"');
    expect(textOf(changed.body)).toContain('不一致');
    // Typed: the code with the right hash, with a wrong one; a hash alone.
    expect((await v.request('GET', `/public/check?code=${doc.code}&sha256=${sha.toUpperCase()}`)).html).toContain('data-match="yes"');
    expect((await v.request('GET', `/public/check?code=${doc.code}&sha256=${'a'.repeat(64)}`)).html).toContain('data-match="no"');
    expect((await v.request('GET', `/public/check?sha256=${sha}`)).html).toContain('data-match="yes"');
    const bad = await v.request('GET', '/public/check?sha256=xyz');
    expect(bad.status).toBe(400);
    expect(textOf(bad.html)).toContain('SHA-256 为 64 位十六进制数字');

    // A refusal notice (not public): the check says when and by which office, and nothing else.
    const secret = await insertDocument(svc.database.db, {
      code: documentCodeOf(randomBytes(5)), kind: 'refusal_notice', villageCode: V.mingshan, caseIds: [caseId],
      sha256: createHash('sha256').update('refusal').digest('hex'), issuedBy: svc.users.officer.id, issuedAt: svc.clock.now(), publicView: null,
    });
    const checked = await v.request('GET', `/public/check?code=${secret.code}`);
    expect(checked.html).toContain('data-match="yes"');
    const said = textOf(checked.html);
    expect(said).toContain('灵宝市民政局');
    for (const hidden of ['不予认定', '明山村', caseNumber, '孙某']) expect(said).not.toContain(hidden);
    // And it is no notice: the notice page and the form refuse its code as unknown.
    expect((await v.request('GET', `/public/documents/${secret.code}`)).status).toBe(404);
    expect((await v.openForm(secret.code, caseNumber)).page.status).toBe(404);

    // The objection on the printed list, as on any.
    const sent = await v.object(doc.code, caseNumber);
    expect(sent.status, sent.html).toBe(201);
    expect(await stateOf(caseId)).toBe('publicity.objected');
  });

  it('an upheld online objection sends the case back to evaluation', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const sent = await villager(svc, '198.51.100.2').object(doc.code, caseNumber);
    expect(sent.status, sent.html).toBe(201);
    const r = await svc.as('officer', 'POST', `/cases/${caseId}/events`, { type: 'RESOLVE_OBJECTION', objectionId: receiptOn(sent.html), outcome: 'upheld', reason: '经核实，其子有稳定工作' });
    expect(r.body.state).toBe('evaluation');
    // The old paper is no longer the notice running (a new notice follows the new review).
    const page = await villager(svc).request('GET', `/public/documents/${doc.code}`);
    expect(textOf(page.html)).toContain('公示已结束');
  });

  it('the case page shows an online objection, labelled 网上提交, with the lodger for the officer', async () => {
    const { caseId, caseNumber } = await caseInPublicity(svc);
    const { doc } = await registerPublicityList(svc, [caseId]);
    const sent = await villager(svc, '198.51.100.3').object(doc.code, caseNumber, { name: '李某', contact: '李家庄5号' });
    expect(sent.status).toBe(201);
    const { consoleAs } = await import('../helpers/console.js');
    const officer = await consoleAs(svc, 'officer');
    const page = await officer.get(`/console/c/${caseNumber}`);
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    expect(text).toContain('网上提交');
    expect(text).toContain('李家庄5号');
    expect(text).toContain('李某');
    const supervisor = await consoleAs(svc, 'supervisor');
    const seen = await supervisor.get(`/console/c/${caseNumber}`);
    expect(textOf(seen.html)).toContain('网上提交');
    expect(textOf(seen.html)).not.toContain('李家庄5号');
    expect(textOf(seen.html)).not.toContain('李某');
  });
});
