// 入户普查 in the console: the form goes through the same engine call as POST /households.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { selfCareLevelTable } from '../../src/console/routes/survey.js';
import { idNumber, startService, V, type TestService } from '../helpers/service.js';
import { consoleAs, caseIdOf, inputValue } from '../helpers/console.js';

let svc: TestService;
let b: Awaited<ReturnType<typeof consoleAs>>;
beforeAll(async () => {
  svc = await startService();
  b = await consoleAs(svc, 'enumerator');
});
afterAll(async () => {
  await svc?.close();
});

const countCases = async () => Number(rows<{ n: string }>(await svc.database.db.execute(sql`select count(*)::text as n from cases`))[0].n);

/** A fresh form: its CSRF token and Idempotency-Key. */
async function openForm() {
  const page = await b.get('/console/survey');
  expect(page.status).toBe(200);
  return { csrf: inputValue(page.html, '_csrf'), key: inputValue(page.html, 'idempotencyKey'), html: page.html };
}

/** An elderly man living alone, as the form posts him (checkbox pairs as the browser sends them). */
function elderFields(csrf: string, key: string, id = idNumber('1940-01-01')): [string, string][] {
  return [
    ['_csrf', csrf], ['idempotencyKey', key],
    ['villageCode', V.sunjiagou], ['address', '孙家沟村5组1号'], ['poorId', ''],
    ['legalSupporter.name', ''], ['legalSupporter.relation', ''], ['legalSupporter.phone', ''], ['legalSupporter.address', ''],
    ['members[0].name', '王老汉'], ['members[0].idNumber', id], ['members[0].birthDate', '1940-01-01'], ['members[0].sex', 'male'],
    ['members[0].relation', '户主'], ['members[0].labourCapacity', 'none'],
    ['members[0].disabilities[0].type', ''], ['members[0].disabilities[0].grade', ''],
    ['members[0].disabilities[1].type', 'physical'], ['members[0].disabilities[1].grade', '2'],
    ['members[0].seriousIllness', ''],
    ['members[0].selfCareAssessed', '0'], ['members[0].selfCareAssessed', 'on'],
    ['members[0].selfCare.eating', 'on'], ['members[0].selfCare.dressing', 'on'],
  ];
}

describe('the survey form', () => {
  it('offers the villages of the jurisdiction by name, one member row, an Idempotency-Key and the self-care rule', async () => {
    const { html, key } = await openForm();
    expect(html).toContain('孙家沟村');
    expect(html).toContain('明山村');
    expect(html).not.toContain('示例村'); // another county
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(html).toContain('name="members[0].idNumber"');
    expect(html).toContain(`data-levels="${selfCareLevelTable.join('|')}"`);
    expect(selfCareLevelTable).toEqual(['生活自理', '部分失能', '部分失能', '部分失能', '完全失能', '完全失能', '完全失能']);
    expect(html).toContain('/console/assets/survey.js');
    expect(html).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+="/); // no inline scripts or handlers (CSP)
    const row = await b.get('/console/survey/member-row?i=1');
    expect(row.html).toContain('name="members[1].name"');
    expect(row.html).toContain('member-row?i=2'); // the next 添加成员 (out of band)
  });

  it('creates the case exactly as POST /households does: same state, household and audit record type', async () => {
    const { csrf, key } = await openForm();
    const res = await b.post('/console/survey', elderFields(csrf, key));
    expect(res.status, res.html).toBe(303);
    expect(res.location).toMatch(/^\/console\/survey\/[^/]+$/);
    const viaConsole = await caseIdOf(svc, 'enumerator', res.location);

    const api = await svc.as('enumerator', 'POST', '/households', {
      villageCode: V.sunjiagou, address: '孙家沟村5组1号',
      members: [{ name: '王老汉', idNumber: idNumber('1940-01-01'), birthDate: '1940-01-01', sex: 'male', relation: '户主', labourCapacity: 'none',
        disabilities: [{ type: 'physical', grade: 2 }], selfCare: { eating: true, dressing: true, toileting: false, bathing: false, indoorMobility: false, transferring: false } }],
    });
    expect(api.status).toBe(201);

    const a = await svc.engine.getCase(svc.principal('enumerator'), viaConsole);
    const c = await svc.engine.getCase(svc.principal('enumerator'), api.body.caseId);
    expect(a.state).toBe('survey');
    const strip = (v: typeof a) => ({ ...v.household, id: undefined, members: v.household.members.map((m) => ({ ...m, id: undefined, idNumber: undefined })) });
    expect(strip(a)).toEqual(strip(c));
    const auditA = await svc.engine.audit(svc.principal('enumerator'), viaConsole);
    const auditC = await svc.engine.audit(svc.principal('enumerator'), api.body.caseId);
    expect(auditA.map((r) => [r.eventType, r.actorRole, r.stateAfter])).toEqual(auditC.map((r) => [r.eventType, r.actorRole, r.stateAfter]));
    expect(auditA[0].requestId).toBeTruthy();

    const page = await b.get(res.location);
    expect(page.html).toContain('王老汉');
    expect(page.html).toContain('孙家沟村');
    expect(page.html).toContain('<td>完全失能</td>'); // 2 of 6 items managed alone: 4 unmet
    expect(page.html).not.toContain(viaConsole.slice(0, 8) + '</'); // the id is not shown as text
  });

  it('a wrong check character re-renders the form with the Chinese message at the field, and nothing is created', async () => {
    const { csrf, key } = await openForm();
    const good = idNumber('1941-03-04');
    const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const before = await countCases();
    const res = await b.post('/console/survey', elderFields(csrf, key, bad));
    expect(res.status).toBe(400);
    expect(res.html).toContain('id="m0-idNumber-error">身份证号码校验位不符，可能输入有误，请核对</p>');
    expect(res.html).toMatch(/id="m0-idNumber"[^>]*aria-invalid="true"[^>]*aria-describedby="m0-idNumber-error/);
    expect(res.html).toContain(`value="${bad}"`); // what was typed stays
    expect(res.html).toContain('value="王老汉"');
    expect(res.html).toContain(`name="idempotencyKey" value="${key}"`);
    expect(await countCases()).toBe(before);
    // A missing field: the schema's refusal, in Chinese, at its field.
    const noName = elderFields(csrf, key).filter(([k]) => k !== 'members[0].name');
    const r2 = await b.post('/console/survey', noName);
    expect(r2.status).toBe(400);
    expect(r2.html).toMatch(/id="m0-name-error">(必填|[^<]*不能为空)/);
    expect(await countCases()).toBe(before);
  });

  it('a double submit with the same Idempotency-Key opens one case', async () => {
    const { csrf, key } = await openForm();
    const fields = elderFields(csrf, key);
    const before = await countCases();
    const [one, two] = [await b.post('/console/survey', fields), await b.post('/console/survey', fields)];
    expect([one.status, two.status]).toEqual([303, 303]);
    expect(two.location).toBe(one.location);
    expect(await countCases()).toBe(before + 1);
  });

  it('提交普查 sends SUBMIT_SURVEY with If-Match, then shows the screening outcome', async () => {
    const { csrf, key } = await openForm();
    const res = await b.post('/console/survey', elderFields(csrf, key));
    const page = await b.get(res.location);
    expect(page.html).toContain('提交普查');
    const rowVersion = inputValue(page.html, 'rowVersion');
    // A stale version is refused (nothing sent), in Chinese.
    const stale = await b.post(`${res.location}/submit`, [['_csrf', csrf], ['rowVersion', String(Number(rowVersion) - 1)]]);
    expect(stale.status).toBe(409);
    expect(stale.html).toContain('此案件已被他人更新');
    const sent = await b.post(`${res.location}/submit`, [['_csrf', csrf], ['rowVersion', rowVersion]]);
    expect(sent.status).toBe(303);
    const after = await b.get(sent.location);
    expect(after.html).toContain('筛查结果：列入初步名单');
    expect(after.html).toMatch(/王老汉<\/strong>：贫困老年人、重度残疾人/);
    const id = await caseIdOf(svc, 'enumerator', res.location);
    expect((await svc.engine.getCase(svc.principal('enumerator'), id)).state).toBe('preliminary');
  });

  it('修改普查信息: the saved survey comes back in the form and is corrected with UPDATE_SURVEY; a stale form is refused', async () => {
    const { csrf, key } = await openForm();
    const res = await b.post('/console/survey', elderFields(csrf, key));
    const result = await b.get(res.location);
    expect(result.html).toContain(`href="${res.location}/edit"`);
    const edit = await b.get(`${res.location}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.html).toContain('value="王老汉"');
    expect(edit.html).toContain('value="孙家沟村5组1号"');
    const version = inputValue(edit.html, 'rowVersion');
    const fields = (v: string, address: string): [string, string][] => [
      ...elderFields(csrf, inputValue(edit.html, 'idempotencyKey')).map(([k, x]): [string, string] => (k === 'address' ? [k, address] : [k, x])),
      ['rowVersion', v],
    ];
    const saved = await b.post(`${res.location}/edit`, fields(version, '孙家沟村5组2号'));
    expect(saved.status, saved.html).toBe(303);
    const id = await caseIdOf(svc, 'enumerator', res.location);
    expect((await svc.engine.getCase(svc.principal('enumerator'), id)).household.address).toBe('孙家沟村5组2号');
    const trail = await svc.engine.audit(svc.principal('enumerator'), id);
    expect(trail.map((r) => r.eventType)).toEqual(['OPEN_CASE', 'UPDATE_SURVEY']);
    // The same version again (another tab, the old page): refused, nothing changed.
    const again = await b.post(`${res.location}/edit`, [...fields(version, '别的地址').filter(([k]) => k !== 'idempotencyKey'), ['idempotencyKey', '00000000-0000-4000-8000-000000000001']]);
    expect(again.status).toBe(409);
    expect(again.html).toContain('此案件已被他人更新');
    expect((await svc.engine.getCase(svc.principal('enumerator'), id)).household.address).toBe('孙家沟村5组2号');
  });

  it('a household with a worker is screened out, with the reason naming the member (not an id)', async () => {
    const { csrf, key } = await openForm();
    const fields = elderFields(csrf, key).map(([k, v]): [string, string] => (k === 'members[0].labourCapacity' ? [k, 'full'] : [k, v]));
    const res = await b.post('/console/survey', fields);
    const page = await b.get(res.location);
    const sent = await b.post(`${res.location}/submit`, [['_csrf', csrf], ['rowVersion', inputValue(page.html, 'rowVersion')]]);
    const after = await b.get(sent.location);
    expect(after.html).toContain('筛查结果：未通过筛查');
    expect(after.html).toContain('王老汉有劳动能力');
    expect(after.html).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}<\/li>/);
  });

  it('a post without the CSRF token is refused and creates nothing', async () => {
    const { key } = await openForm();
    const before = await countCases();
    const res = await b.post('/console/survey', elderFields('', key).filter(([k]) => k !== '_csrf'), { token: null });
    expect(res.status).toBe(403);
    expect(await countCases()).toBe(before);
  });
});
