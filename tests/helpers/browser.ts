/**
 * Browser tests of the console: the real service, listening on a free port of 127.0.0.1, over a test database
 * of its own (PGlite, or PostgreSQL when DATABASE_URL is set) seeded with the DEMO data (src/seed: the
 * lb-* users of 灵宝市, the mc-* users of 渑池县, their cases), driven by Debian's Chromium through
 * playwright-core. No browser is ever downloaded: CHROMIUM_PATH (default /usr/bin/chromium) must exist.
 *
 * One service and one browser per test file (`startBrowserHarness` in beforeAll, `close` in afterAll); one
 * browser context per demo user (`as(username)`), so each person has a session (cookies) of their own.
 *
 * Waiting: Playwright's locators wait for their element (click, fill, waitFor); for anything else use
 * `page.waitForURL`, `page.waitForResponse`, `page.waitForFunction` or vitest's `expect.poll`. Never sleep.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { DEMO_PASSWORD, seedDemo } from '../../src/seed/index.js';
import { createService, loadTimeSettings } from '../../src/service.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestDb } from './db.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--lang=zh-CN', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The demo's "now": a Monday, 09:00 in China. Fixed, so deadline badges (and screenshots) do not drift. */
export const DEMO_NOW = '2026-03-02T01:00:00Z';

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 812 } as const;
/** A phone context: the viewport, touch and the mobile meta-viewport handling. */
export const PHONE_CONTEXT: BrowserContextOptions = { viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const SCREENSHOT_DIR = new URL('../../docs/console/', import.meta.url);

/** Chromium from the system (Debian's `chromium` package), with flags for a headless CI container. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH); BROWSER_TESTS=off leaves them out`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The service as main.ts builds it (migrations, time settings, demo seed), listening on 127.0.0.1:<free port>. */
export async function startDemoService() {
  const database = await createTestDb();
  const clock = new ManualClock(DEMO_NOW);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // One browser signs in as a dozen people from one address within a minute: the per-address request limits are off
  // here (they have their own tests in tests/http/protections.test.ts).
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: 'test-secret-test-secret-test-secret-42', RATE_LIMIT: '0', RATE_LIMIT_PUBLIC: '0' });
  const logger = createLogger(config, sink);
  const service = createService({ config, logger, database, clock });
  const { app, engine } = service;
  try {
    await loadTimeSettings(service);
    const seeded = await seedDemo({ db: database.db, engine, clock, logger });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return {
      app,
      engine,
      clock,
      database,
      logLines,
      seeded,
      base: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await app.close();
    await database.close();
    throw error;
  }
}

export type DemoService = Awaited<ReturnType<typeof startDemoService>>;

export interface BrowserHarness {
  service: DemoService;
  browser: Browser;
  /** http://127.0.0.1:<port> */
  base: string;
  /** A fresh context (cookies of its own) and page; `baseURL` is the service, so `page.goto('/console/')` works. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** A page signed in as a demo user, in a context of its own (desktop unless `options` say otherwise). */
  as(username: string, options?: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

/** The service and a browser for one test file. */
export async function startBrowserHarness(): Promise<BrowserHarness> {
  const [service, browser] = await Promise.all([startDemoService(), launchChromium()]);
  const contexts: BrowserContext[] = [];
  const newPage = async (options: BrowserContextOptions = {}) => {
    const context = await browser.newContext({ baseURL: service.base, viewport: DESKTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context.newPage();
  };
  return {
    service,
    browser,
    base: service.base,
    newPage,
    as: async (username, options) => {
      const page = await newPage(options);
      await signIn(page, username);
      return page;
    },
    close: async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await service.close();
    },
  };
}

/** Signs in through the /console/login form and waits for the page it lands on (the inbox by default). */
export async function signIn(page: Page, username: string, password: string = DEMO_PASSWORD, next?: string): Promise<void> {
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/console/login')) {
    await page.goto(next ? `/console/login?next=${encodeURIComponent(next)}` : '/console/login');
  }
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/console/login')), page.getByRole('button', { name: '登录' }).click()]);
}

/**
 * A screenshot for the docs, docs/console/<name>.png, taken only when SCREENSHOTS=1 (so that ordinary runs do
 * not rewrite the committed images). Waits for fonts and for htmx to be idle first.
 */
export async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await page.waitForFunction(() => !document.querySelector('.htmx-request'));
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: options.fullPage ?? true, animations: 'disabled', caret: 'hide' });
}

/** Form controls of the page that a person can see and use, but that have no label a screen reader would read. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea'))) {
      if (el instanceof HTMLInputElement && ['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
      const labelled =
        (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
        el.closest('label') ||
        (el.getAttribute('aria-label') ?? '').trim() ||
        (el.getAttribute('aria-labelledby') ?? '')
          .split(/\s+/)
          .filter(Boolean)
          .some((id) => (document.getElementById(id)?.textContent ?? '').trim());
      if (!labelled) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/**
 * Every input, select and textarea on the page (hidden fields and buttons aside) has a label: a <label for>,
 * a wrapping <label>, aria-label or aria-labelledby. Call it on each page a test visits.
 */
export async function expectLabelled(page: Page): Promise<void> {
  expect(await unlabelledControls(page), `unlabelled form controls on ${page.url()}`).toEqual([]);
}

/** True when the text has a CJK character (a Chinese message rather than an English fallback). */
export const hasCjk = (text: string | null | undefined) => /[\u3400-\u9fff\uf900-\ufaff]/.test(text ?? '');
