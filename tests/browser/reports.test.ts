// 报表 in Chromium: the overview and a report page render their server-side ECharts SVG with Chinese labels that
// take up room on the page (a font renders them), every control is labelled, and nothing needs a script.
// SCREENSHOTS=1 writes docs/console/reports.png and reports-flows.png for the README.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLabelled, hasCjk, shot, startBrowserHarness, type BrowserHarness } from '../helpers/browser.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowserHarness();
});
afterAll(async () => h?.close());

/** The Chinese text elements of the page's charts, with their rendered widths. */
const chartTexts = (page: Awaited<ReturnType<BrowserHarness['as']>>) =>
  page.$$eval('figure.chart svg text', (els) => els.map((e) => ({ text: e.textContent ?? '', width: (e as SVGTextElement).getBBox().width })));

describe('报表 in a browser', () => {
  it('the city supervisor’s overview: people by placement mode with a chart whose Chinese labels render', async () => {
    const page = await h.as('city-supervisor');
    await page.getByRole('link', { name: '报表' }).click();
    await page.waitForURL(/\/console\/reports$/);
    const texts = (await chartTexts(page)).filter((t) => hasCjk(t.text));
    expect(texts.map((t) => t.text)).toEqual(expect.arrayContaining(['集中供养', '集中救治', '分散托养']));
    for (const t of texts) expect(t.width, t.text).toBeGreaterThan(8);
    await expectLabelled(page);
    await shot(page, 'reports');
  });

  it('a report page: monthly flows as a line chart and a table, the period form labelled', async () => {
    const page = await h.as('lb-supervisor');
    await page.goto('/console/reports/monthly-flows');
    const texts = (await chartTexts(page)).filter((t) => hasCjk(t.text));
    expect(texts.map((t) => t.text)).toEqual(expect.arrayContaining(['普查提交', '审批通过']));
    for (const t of texts) expect(t.width, t.text).toBeGreaterThan(8);
    expect(await page.locator('table.report tbody tr').count()).toBe(12);
    await expectLabelled(page);
    await shot(page, 'reports-flows');
  });
});
