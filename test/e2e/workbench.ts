import { type Browser, chromium, type Frame, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Opens the workbench and waits until the extension host has started our extension. */
export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(30_000);
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.statusbar').waitFor();
  return page;
}

/** Runs a command from the command palette by its title, as a user would (retrying while the workbench is still registering commands). */
export async function runCommand(page: Page, title: string) {
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 5000 });
    } catch (e) {
      if (attempt >= 5) throw e;
      continue;
    }
    await input.press('Enter');
    return;
  }
}

/** The content frame of the webview whose page has `title`: VS Code nests it in iframe.webview.ready (pre/index.html) → the active frame. */
export async function webviewFrame(page: Page, title: string): Promise<Frame> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const host of page.frames().filter((f) => f.url().includes('/webview/browser/pre/index.html'))) {
      const ready = await host.frameElement().then(
        (e) => e.evaluate((el) => (el as Element).classList.contains('ready')),
        () => false,
      );
      if (!ready) continue;
      for (const inner of host.childFrames()) {
        if ((await inner.title().catch(() => '')) === title) return inner;
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no webview titled "${title}"`);
}

/** Brings a view container of the activity bar into view by its title. */
export async function showViewContainer(page: Page, title: string) {
  const item = page.locator(`.activitybar .action-item a[aria-label^="${title}"]`).first();
  await item.click();
}

/** Opens a workspace file by quick open. */
export async function openFile(page: Page, name: string) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await input.press('Enter');
  await page.locator(`.tab.active[aria-label^="${name}"]`).waitFor();
}

/**
 * The text of a notification containing `text`: a toast, or — when the workbench held the toast
 * back (it does while a modal dialog or quick input has focus) — its entry in the notification center.
 */
export async function notification(page: Page, text: string, timeoutMs = 30_000): Promise<string> {
  const start = Date.now();
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  const listed = page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
  let opened = false;
  try {
    while (Date.now() - start < timeoutMs) {
      if (await toast.isVisible()) return await toast.innerText();
      if (opened && (await listed.isVisible())) return await listed.innerText();
      if (!opened && Date.now() - start > 5000) {
        await runCommand(page, 'Notifications: Show Notifications');
        opened = true;
      }
      await page.waitForTimeout(200);
    }
    // What the workbench did say, so that a failure names the message that came instead.
    const seen = [
      ...(await page.locator('.notification-toast').allInnerTexts()),
      ...(await page.locator('.notifications-center .notification-list-item').allInnerTexts()),
    ];
    throw new Error(`no notification with "${text}" within ${timeoutMs} ms; shown: ${JSON.stringify(seen)}`);
  } finally {
    if (opened) await runCommand(page, 'Notifications: Hide Notifications').catch(() => undefined);
  }
}

/**
 * Answers the quick inputs of Launch/Validate Study: ticks the recipes (all of them through the
 * toggle-all box, or each by name), waits until each shows ticked, then names the study.
 */
export async function pickRecipes(page: Page, recipes: readonly string[], study: string, all = false) {
  const input = page.locator('.quick-input-widget input.input');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: recipes[0] }).waitFor();
  if (all) await page.locator('.quick-input-widget [role="checkbox"][aria-label="Toggle all checkboxes"]').click();
  else for (const r of recipes) await page.locator(`.quick-input-widget .monaco-checkbox[aria-label="${r}"]`).click();
  for (const r of recipes)
    await page.locator(`.quick-input-widget .monaco-checkbox[aria-label="${r}"][aria-checked="true"]`).waitFor();
  await input.press('Enter');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: 'Study name' }).waitFor();
  await input.fill(study);
  await input.press('Enter');
}
