// 公示查询与网上异议 in Chromium on a 375px phone: a villager opens the posted notice by its code (no sign-in), reads
// the households as posted, and lodges an objection online; the confirmation gives a receipt number; the officer's
// case page then shows it, labelled 网上提交. No script on the public pages, every control labelled, no sideways
// scrolling. SCREENSHOTS=1 writes docs/console/public-notice-phone.png and public-objection-phone.png for the README.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/index.js';
import { expectLabelled, PHONE_CONTEXT, shot, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowserHarness();
});
afterAll(async () => h?.close());

/** The 渑池县 洪阳村 demo case in its public notice, and its village's 公示名单 printed as an officer prints it. */
async function postedNotice() {
  const db = h.service.database.db;
  const [c] = rows<{ id: string; village_code: string }>(await db.execute(sql`select c.id, c.village_code from cases c join households h on h.id = c.household_id where h.poor_id = 'DEMO-OBJECTION'`));
  const officer = { id: '00000000-0000-4000-8000-000000000001', username: 'reader', roles: ['officer' as const], level: null, region: '411221' };
  const view = await h.service.engine.getCase(officer, c!.id);
  const issued = await h.service.engine.documents.issuePublicityList({ principal: officer, requestId: null }, c!.village_code, { [view.caseNumber]: 'centralized_support' });
  return { doc: issued.document, caseNumber: view.caseNumber, head: view.household.members[0]! };
}

describe('公示查询与网上异议 on a phone', () => {
  it('opens the notice by its code, files an objection and gets a receipt; the officer sees it labelled 网上提交', async () => {
    const { doc, caseNumber, head } = await postedNotice();
    const page = await h.newPage(PHONE_CONTEXT);
    await page.goto('/public/');
    await page.getByLabel('查询码').fill(`${doc.code.slice(0, 4)}-${doc.code.slice(4)}`.toLowerCase());
    await Promise.all([page.waitForURL(/\/public\/documents\//), page.getByRole('button', { name: '查询' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toContain('洪阳村');
    const body = await page.locator('main').innerText();
    expect(body).toContain(head.name);
    expect(body).toContain('公示中');
    expect(body).not.toContain(head.idNumber!);
    expect(await page.locator('script').count()).toBe(0);
    // Fits a phone: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot(page, 'public-notice-phone');

    await page.getByRole('link', { name: '对此户提出异议' }).click();
    await page.waitForURL(/\/objection\?case=/);
    await expectLabelled(page);
    await page.getByLabel('您的姓名（必填）').fill('赵村民');
    await page.getByLabel(/联系方式/).fill('13700001111');
    await page.getByLabel(/异议内容/).fill('该户女儿已在县城购房，经济条件较好，请核实赡养能力。');
    await Promise.all([page.waitForURL(/\/objection$/), page.getByRole('button', { name: '提交异议' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('异议已提交');
    const receipt = (await page.locator('[data-receipt]').textContent())!.trim();
    expect(receipt).toMatch(/^W\d{8}[0-9A-Z]{6}$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot(page, 'public-objection-phone');

    const officer = await h.as('mc-officer');
    await officer.goto(`/console/c/${caseNumber}`);
    const records = await officer.locator('#h-publicity').locator('..').innerText();
    expect(records).toContain(receipt);
    expect(records).toContain('网上提交');
    expect(records).toContain('13700001111');
  });
});
