// 公示查询与网上异议 in Chromium on a 375px phone: a villager opens the posted notice by its code (no sign-in), reads
// the households as posted, and lodges an objection online; the confirmation gives a receipt number; the officer's
// case page then shows it, labelled 网上提交. No script on the public pages, every control labelled, no sideways
// scrolling. SCREENSHOTS=1 writes docs/console/public-notice-phone.png and public-objection-phone.png for the README.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDocument, rows } from '../../src/db/index.js';
import { documentCodeOf } from '../../src/domain/documentCode.js';
import { maskResidentId } from '../../src/domain/residentId.js';
import { expectLabelled, PHONE_CONTEXT, shot, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowserHarness();
});
afterAll(async () => h?.close());

/** The 渑池县 洪阳村 demo case in its public notice, and a 公示名单 registered for it as the issuer records one. */
async function postedNotice() {
  const db = h.service.database.db;
  const [c] = rows<{ id: string; village_code: string }>(await db.execute(sql`select c.id, c.village_code from cases c join households h on h.id = c.household_id where h.poor_id = 'DEMO-OBJECTION'`));
  const officer = { id: '00000000-0000-4000-8000-000000000001', username: 'reader', roles: ['officer' as const], level: null, region: '411221' };
  const view = await h.service.engine.getCase(officer, c!.id);
  const head = view.household.members[0]!;
  const publicity = view.publicity as { openedAt: string; endsAt: string };
  const day = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 10);
  const doc = await insertDocument(db, {
    code: documentCodeOf(randomBytes(5)),
    kind: 'publicity_list',
    villageCode: c!.village_code,
    caseIds: [c!.id],
    sha256: createHash('sha256').update(randomBytes(32)).digest('hex'),
    issuedBy: officer.id,
    issuedAt: h.service.clock.now(),
    publicView: {
      villageName: '洪阳村', townshipName: '洪阳镇', countyName: '渑池县',
      rows: [{ caseNumber: view.caseNumber, name: head.name, maskedId: maskResidentId(head.idNumber!), sex: head.sex, categories: ['elderly', 'severe_disability'], mode: 'centralized_support' }],
      periodStart: day(publicity.openedAt), periodEnd: day(new Date(Date.parse(publicity.endsAt) - 1).toISOString()),
      objectTo: { office: '洪阳镇人民政府民政所', address: '渑池县洪阳镇政府路8号', telephone: '0398-4800000' },
    },
  });
  return { doc, caseNumber: view.caseNumber, head };
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
