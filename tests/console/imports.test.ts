// 批量导入 in the console, on PGlite and PostgreSQL: upload, the dry run's issues, the progress panel htmx polls,
// the report, commit and cancel — the engine's functions, as the API uses them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAs, mainOf, textOf } from '../helpers/console.js';
import { households, surveyRow, xlsxOf, gbkCsvOf } from '../helpers/importFiles.js';
import { startService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.close();
});

const jobIdOf = (location: string) => /\/console\/imports\/([0-9a-f-]{36})$/.exec(location)![1];

describe('批量导入 page', () => {
  it('is in the enumerator’s menu with the template and the upload form, and only theirs', async () => {
    const c = await consoleAs(svc, 'enumerator');
    const page = await c.get('/console/imports');
    expect(page.status).toBe(200);
    expect(page.html).toContain('>批量导入</a>');
    expect(mainOf(page.html)).toContain('/console/imports/template.xlsx');
    expect(mainOf(page.html)).toContain('enctype="multipart/form-data"');
    expect(page.html).not.toMatch(/<script(?![^>]*src=)[^>]*>/); // no inline script (CSP)
    const template = await c.get('/console/imports/template.xlsx');
    expect(template.headers['content-type']).toContain('spreadsheetml');
    expect((await (await consoleAs(svc, 'officer')).get('/console/imports')).status).toBe(403);
  });

  it('uploads a file with errors: the issues per row and column, the report, no commit button; then cancels', async () => {
    const c = await consoleAs(svc, 'enumerator');
    await c.get('/console/imports');
    const file = gbkCsvOf([...households(1, 'p'), surveyRow({ key: 'q', name: '错', birth: '1950-03-15', labour: '能干活' })]);
    const up = await c.postMultipart('/console/imports', {}, { name: 'file', filename: '普查.csv', content: file });
    expect(up.status).toBe(303);
    const id = jobIdOf(up.location);
    await svc.engine.imports.settled(id);
    const page = await c.get(up.location);
    const text = textOf(mainOf(page.html));
    expect(text).toContain('状态： 已校验');
    expect(text).toContain('有错误 1 行');
    expect(text).toContain('4 劳动能力 “能干活”不是可选值');
    expect(page.html).not.toContain('提交导入</button>');
    expect(page.html).not.toContain('hx-trigger="every 1s"'); // done: no polling
    const report = await c.get(`/console/imports/${id}/report.xlsx`);
    expect(report.headers['content-type']).toContain('spreadsheetml');
    const cancelled = await c.post(`/console/imports/${id}/cancel`, {});
    expect(cancelled.status).toBe(303);
    expect(textOf(mainOf((await c.get(up.location)).html))).toContain('状态： 已取消');
  });

  it('a clean file: the panel polls while the job works, then commit; the cases exist', async () => {
    const c = await consoleAs(svc, 'enumerator');
    await c.get('/console/imports');
    const up = await c.postMultipart('/console/imports', {}, { name: 'file', filename: '明山村.xlsx', content: await xlsxOf(households(3, 'm')) });
    const id = jobIdOf(up.location);
    // While validating, the panel carries its polling trigger (the state right after the upload, before settling).
    const early = await c.get(`/console/imports/${id}/panel`);
    if (early.html.includes('data-status="validating"')) expect(early.html).toContain('hx-trigger="every 1s"');
    await svc.engine.imports.settled(id);
    const page = await c.get(up.location);
    expect(page.html).toContain('提交导入</button>');
    expect(textOf(mainOf(page.html))).toContain('试导入没有发现错误');
    expect((await c.post(`/console/imports/${id}/commit`, {})).status).toBe(303);
    await svc.engine.imports.settled(id);
    const done = await c.get(`/console/imports/${id}/panel`);
    expect(textOf(done.html)).toContain('状态： 已导入');
    expect(textOf(done.html)).toContain('新建案件 3 件');
    expect(done.html).toMatch(/<progress max="100" value="100"/);
  });

  it('a refused file shows its reason on the upload page', async () => {
    const c = await consoleAs(svc, 'enumerator');
    await c.get('/console/imports');
    const r = await c.postMultipart('/console/imports', {}, { name: 'file', filename: 'x.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]) });
    expect(r.status).toBe(400);
    expect(mainOf(r.html)).toContain('data-code="IMPORT_FORMAT_UNKNOWN"');
    expect(textOf(mainOf(r.html))).toContain('无法识别的文件格式');
  });
});
