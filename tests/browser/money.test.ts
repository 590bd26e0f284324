// The money pages in a real browser against the demo data: the Sun household's 收入 (12,284 yuan, recorded by the
// seed through the engine) and 护理人员与资金测算 with a what-if, every control labelled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/index.js';
import { expectLabelled, shot, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowserHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('收入 and 资金测算', () => {
  it('the Sun household’s year on its case page, with the form for the officer', async () => {
    const [sun] = rows<{ case_number: string }>(
      await h.service.database.db.execute(sql`select c.case_number from cases c join households h on h.id = c.household_id where h.poor_id = 'DEMO-SUN'`),
    );
    const page = await h.as('lb-officer');
    await page.goto(`/console/c/${sun.case_number}#h-income`);
    const section = page.locator('#income');
    await expect.poll(() => section.locator('[data-total]').innerText()).toBe('12,284.00 元');
    expect(await section.locator('[data-per-person]').innerText()).toBe('6,142.00 元');
    expect(await section.locator('[data-dividend-check]').getAttribute('data-dividend-check')).toBe('ok');
    expect(await page.getByLabel('集体经济分红：金额（元）').inputValue()).toBe('2000.00');
    await expectLabelled(page);
    if (process.env.SCREENSHOTS === '1') await section.screenshot({ path: new URL('../../docs/console/case-income.png', import.meta.url).pathname, animations: 'disabled', caret: 'hide' });
  });

  it('a what-if for the city: 12,000 households → 3,000 workers → 144,000,000 yuan', async () => {
    const page = await h.as('city-supervisor');
    await page.getByRole('link', { name: '资金测算' }).click();
    await page.getByRole('heading', { name: '护理人员与资金测算', level: 1 }).waitFor();
    await expectLabelled(page);
    const counties = await page.locator('input[name^="households_"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).name));
    expect(counties.length).toBe(6);
    for (const [i, name] of counties.entries()) await page.locator(`input[name="${name}"]`).fill(String([1200, 1600, 2000, 2400, 800, 4000][i]));
    await Promise.all([page.waitForURL('**/console/projection/what-if'), page.getByRole('button', { name: '测算' }).click()]);
    const result = page.locator('table[data-projection="what_if"]');
    expect(await result.locator('[data-workers]').innerText()).toBe('3000');
    expect(await result.locator('[data-wage-bill]').innerText()).toBe('144,000,000.00 元');
    expect(await result.locator('[data-city-share]').innerText()).toBe('57,600,000.00 元');
    expect(await result.locator('[data-counties-share]').innerText()).toBe('86,400,000.00 元');
    await shot(page, 'projection');
  });
});
