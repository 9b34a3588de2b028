// Headless Chromium for the console's browser tests: Debian's `chromium` driven by
// playwright-core, with a fresh profile each time and nothing reaching out to the network.
// close() always ends the browser and removes the profile, even after a failed test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type Browser = { context: BrowserContext; page: Page; close: () => Promise<void> };

export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'console-chromium-'));
  let context: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    try {
      await context?.close();
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  };
  try {
    // A persistent context is how playwright takes a --user-data-dir of our choosing.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--lang=zh-CN'],
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Polls until `check` returns a value (not undefined/false), or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A card taller than the window sits in the scrolling message list, where an element screenshot
 * would be cut: the window grows to hold it for the picture, then shrinks back.
 */
export async function screenshotWhole(page: Page, element: Locator, path: string): Promise<void> {
  const before = page.viewportSize() ?? { width: 1280, height: 900 };
  const box = await element.boundingBox();
  await page.setViewportSize({ width: before.width, height: Math.max(before.height, Math.ceil((box?.height ?? 0) + 400)) });
  try {
    await element.scrollIntoViewIfNeeded();
    await element.screenshot({ path, animations: 'disabled' });
  } finally {
    await page.setViewportSize(before);
  }
}
