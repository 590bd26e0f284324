// The Sun household (../domain: the article's 孙家沟村 family) walked from the survey to placement and a
// revisit through the console alone, each step by the right demo user in their own browser session:
// 普查员 → 评定人员 → 村委会 / 乡镇 / 县级审核 → (7-day notice) → 经办人 → 回访干部 on a phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { PHONE, PHONE_CONTEXT, expectLabelled, shot, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowserHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const id = (first17: string) => first17 + residentIdCheckChar(first17);
const FATHER = id('41128219470210771');
const SON = id('41128219750821773');

/** Every confirmation a form asks is answered yes (the person read it and went on). */
function acceptDialogs(page: Page): Page {
  page.on('dialog', (d) => void d.accept());
  return page;
}

/** Open the case from the person's own 待办 list: the row of the household, by its number. */
async function openFromInbox(page: Page, caseNumber: string) {
  await page.goto('/console/');
  await page.getByRole('link', { name: caseNumber }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(caseNumber) }).waitFor();
}

/** Submit one action form on the case page and wait for the page that says it was done. */
async function act(page: Page, summary: string, fill?: (form: ReturnType<Page['locator']>) => Promise<void>) {
  const details = page.locator('.actions details', { has: page.locator('summary', { hasText: summary }) }).first();
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  const form = details.locator('form');
  await fill?.(form);
  // Mark this document: the answer is either a new page (the form went through: ?done=) or an alert here.
  await page.evaluate(() => ((window as unknown as { stalePage: boolean }).stalePage = true));
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/events/')),
    form.locator('button[type=submit]').click(),
  ]);
  if (!res.headers()['hx-redirect']) throw new Error(`${summary} was refused: ${await page.locator('#alerts').innerText()}`);
  await page.waitForFunction(() => !(window as unknown as { stalePage?: boolean }).stalePage && document.readyState === 'complete');
  await page.getByRole('status').filter({ hasText: `已完成：${summary}` }).waitFor();
}

/** Choose the option whose text matches (option texts carry more than a name: relation, age, 已评定). */
async function choose(select: ReturnType<Page['locator']>, text: RegExp) {
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? '' })));
  const hit = options.find((o) => text.test(o.text));
  if (!hit) throw new Error(`no option ${text} among ${options.map((o) => o.text).join(' | ')}`);
  await select.selectOption(hit.value);
}

async function state(page: Page): Promise<string> {
  return (await page.locator('.state strong').innerText()).trim();
}

describe('the Sun household through the console', () => {
  it('from survey to placement and a revisit, each step by its own person', async () => {
    // 普查员: the survey, with the live checks filling in birth date and sex from the ID number.
    const enumerator = acceptDialogs(await h.as('lb-enumerator'));
    await enumerator.getByRole('link', { name: '入户普查' }).click();
    await enumerator.getByLabel('村', { exact: true }).selectOption({ label: '苏村乡 孙家沟村' });
    await enumerator.getByLabel('家庭住址').fill('灵宝市苏村乡孙家沟村3组12号');
    const m0 = enumerator.locator('#member-0');
    await m0.getByLabel('姓名').fill('孙某');
    await m0.getByLabel('身份证号').fill(FATHER);
    await m0.getByLabel('身份证号').blur();
    await expect.poll(() => m0.getByLabel('出生日期').inputValue()).toBe('1947-02-10');
    await m0.getByLabel('与户主关系').selectOption('户主');
    await m0.getByLabel('劳动能力').selectOption({ label: '无劳动能力' });
    await enumerator.getByRole('button', { name: '添加成员' }).click();
    const m1 = enumerator.locator('#member-1');
    await m1.waitFor();
    await m1.getByLabel('姓名').fill('孙某某');
    await m1.getByLabel('身份证号').fill(SON);
    await m1.getByLabel('身份证号').blur();
    await expect.poll(() => m1.getByLabel('出生日期').inputValue()).toBe('1975-08-21');
    await m1.getByLabel('与户主关系').selectOption('子');
    await m1.getByLabel('劳动能力').selectOption({ label: '无劳动能力' });
    await m1.getByLabel(/重特大疾病/).fill('慢性肾炎');
    await expectLabelled(enumerator);
    await shot(enumerator, 'survey');
    await Promise.all([enumerator.waitForURL(/\/console\/survey\/\d{6}-\d{4}-\d{6}/), enumerator.getByRole('button', { name: '保存普查信息' }).click()]);
    const caseNumber = /\/console\/survey\/(\d{6}-\d{4}-\d{6})/.exec(enumerator.url())![1];
    await Promise.all([enumerator.waitForURL(/submitted=1/), enumerator.getByRole('button', { name: '提交普查' }).click()]);
    await enumerator.getByRole('heading', { name: /筛查结果：列入初步名单/ }).waitFor();
    await shot(enumerator, 'survey-result');

    // 评定人员: start, assess both members with evidence, conclude.
    const evaluator = acceptDialogs(await h.as('lb-evaluator'));
    await openFromInbox(evaluator, caseNumber);
    expect(await state(evaluator)).toBe('初步名单');
    await act(evaluator, '开始评定');
    await act(evaluator, '记录评定', async (f) => {
      await choose(f.getByLabel('评定对象'), /^孙某（户主/);
      await f.getByLabel('贫困老年人').check();
      await f.getByLabel(/证明材料/).fill('户口簿：1947年2月出生');
    });
    await act(evaluator, '记录评定', async (f) => {
      await choose(f.getByLabel('评定对象'), /^孙某某/);
      await f.getByLabel('重特大病人').check();
      await f.getByLabel(/证明材料/).fill('县医院诊断证明：慢性肾炎');
    });
    await act(evaluator, '提交评定结论', (f) => f.getByLabel(/评定结论/).fill('经入户核查，该户符合兜底保障条件'));
    expect(await state(evaluator)).toBe('逐级审核');

    // Three levels of review, each reviewer in their own session.
    for (const who of ['lb-reviewer-village', 'lb-reviewer-township', 'lb-reviewer-county']) {
      const reviewer = acceptDialogs(await h.as(who));
      await openFromInbox(reviewer, caseNumber);
      // A reviewer sees the members' ID numbers masked.
      expect(await reviewer.locator('main').innerText()).not.toContain(FATHER);
      if (who === 'lb-reviewer-township') await shot(reviewer, 'case-review');
      await act(reviewer, '审核通过');
    }

    // The 7-day public notice runs; then the scheduler ends it (here: the clock moves and the due timers fire,
    // as the worker does; with DEMO_CLOCK an administrator moves the clock from the 演示时钟 page).
    const officerBefore = await h.as('lb-officer');
    await officerBefore.goto(`/console/c/${caseNumber}`);
    expect(await state(officerBefore)).toBe('公示中');
    h.service.clock.advance(8 * 86_400_000);
    for (const timer of await h.service.engine.dueTimerIds(100)) await h.service.engine.fireTimer(timer);

    // 经办人: the household is placed in a care facility with free beds.
    const officer = acceptDialogs(await h.as('lb-officer'));
    await openFromInbox(officer, caseNumber);
    expect(await state(officer)).toBe('待安置');
    await act(officer, '安置', async (f) => {
      await f.getByLabel('安置方式').selectOption('centralized_support');
      await choose(f.getByLabel(/机构/), /^苏村社区安置点/);
    });
    expect(await state(officer)).toBe('定期回访中');
    await shot(officer, 'case-placed');

    // 回访干部, on a phone: the case is on the due list after a month; the revisit is recorded.
    h.service.clock.advance(30 * 86_400_000);
    const visitor = acceptDialogs(await h.as('lb-visitor', PHONE_CONTEXT));
    await visitor.getByRole('link', { name: '回访', exact: true }).click();
    await visitor.locator('main').getByText('孙某').first().waitFor();
    expect(await visitor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(visitor, 'revisits-phone');
    await visitor.locator('main a', { hasText: '孙某' }).first().click();
    await visitor.getByLabel(/生活/).first().fill('饮食起居正常，敬老院照料到位');
    await visitor.getByLabel(/健康/).first().fill('慢性肾炎病情稳定，按时服药');
    expect(await visitor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(visitor, 'revisit-form-phone');
    await Promise.all([visitor.waitForURL(/\/console\/revisits\?saved=/), visitor.locator('main form button[type=submit]').last().click()]);

    // The case page shows the whole path and the revisit, the audit chain intact (a month later: a new session).
    const officerLater = await h.as('lb-officer');
    await officerLater.goto(`/console/c/${caseNumber}`);
    const text = await officerLater.locator('main').innerText();
    expect(text).toContain('回访记录（1 次）');
    expect(text).toContain('审计链校验通过');
    for (const step of ['登记入户普查', '提交普查', '开始评定', '提交评定结论', '审核通过', '公示期满', '安置', '记录回访']) expect(text).toContain(step);
  }, 120_000);
});
