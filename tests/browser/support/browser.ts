import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../../test-results/screenshots');

/** Debian's Chromium, headless, with nothing reaching beyond this machine. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SENTRA_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Records, in the page, when each decision row first appears (the browser's
 * own clock, the same machine's clock as the backend's). Passed as source
 * text: it runs in the page, not in Node.
 */
const WATCH_DECISION_ROWS = `(() => {
  const seen = {};
  window.__decisionSeen = seen;
  const mark = () => {
    const now = Date.now();
    document.querySelectorAll('[data-testid^="decision-"]').forEach((row) => {
      const id = row.getAttribute('data-testid');
      if (seen[id] === undefined) seen[id] = now;
    });
  };
  mark();
  new MutationObserver(mark).observe(document.body, { childList: true, subtree: true });
})()`;

export async function watchDecisionRows(page: Page): Promise<void> {
  await page.evaluate(WATCH_DECISION_ROWS);
}

export async function decisionSeenAt(page: Page, seq: number): Promise<number | undefined> {
  return page.evaluate<number | undefined>(`window.__decisionSeen[${JSON.stringify(`decision-${seq}`)}]`);
}
