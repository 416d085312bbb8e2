// Debian's chromium driven by playwright-core (no browser download), headless, with the
// settings that keep it quiet and fresh; axe-core on a page; screenshots into docs/console/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../support/project.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Outside CI a machine without chromium skips the browser tests (CI installs it and never skips). */
export const withoutChromium = (): boolean => !process.env.CI && !existsSync(CHROMIUM);

export const PHONE = { width: 375, height: 740 };
export const LAPTOP = { width: 1366, height: 860 };

export interface OpenBrowser {
  browser: Browser;
  /** A fresh context (its own cookies) and page; `phone` sizes it like a phone, with touch. */
  page(o?: { phone?: boolean }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<OpenBrowser> {
  // playwright gives every launch a fresh profile of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    browser,
    async page(o = {}) {
      const context = await browser.newContext(
        o.phone
          ? { viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 }
          : { viewport: LAPTOP },
      );
      return { context, page: await context.newPage() };
    },
    async close() {
      await browser.close();
    },
  };
}

export interface A11yProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical violations on the page as it is now (empty: none). */
export async function a11yProblems(page: Page): Promise<A11yProblem[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}

/** Writes docs/console/NAME.png (the README and docs show these). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ROOT, 'docs/console', `${name}.png`), fullPage: false });
}

/** Signs in through the sign-in page with a token, as a person would. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}
