/**
 * Real headless Chromium for a mocha suite (Debian's `chromium` package, driven by playwright-core):
 *
 * ```ts
 * describe("my page", () => {
 *   const browser = useChromium();
 *   it("…", async () => { const page = await browser.page(); … });
 * });
 * ```
 * Launched once before the suite's tests with a fresh profile folder, closed after them (and the profile
 * removed) whether they passed or failed. Where /usr/bin/chromium is missing the suite is skipped
 * with a line saying what to install: a missing external tool is the only reason a test may skip.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Where the tests write their screenshots (git-ignored). */
export const SCREENSHOTS = path.join(__dirname, "..", "..", "tmp", "screenshots");

export interface SuiteBrowser {
  /** A new page of 1400×900 (closed with the browser). */
  page(): Promise<Page>;
}

/** Registers before/after hooks in the current `describe` that launch and close Chromium. */
export function useChromium(): SuiteBrowser {
  let browser: BrowserContext | undefined;
  let profile: string | undefined;
  before(async function () {
    this.timeout(60_000);
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`  skipped: no ${CHROMIUM}; install Debian's browser: apt-get install -y chromium`);
      this.skip();
    }
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
    // A persistent context is how Playwright takes a profile folder (it refuses --user-data-dir in args).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1400, height: 900 },
      headless: true,
      timeout: 30_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    browser = undefined;
    if (profile !== undefined) fs.rmSync(profile, { recursive: true, force: true });
  });
  return {
    page: async () => {
      const page = await browser!.newPage();
      page.setDefaultTimeout(30_000);
      return page;
    },
  };
}

/** Saves a screenshot of `page` (the whole page, or what the window shows) as tmp/screenshots/`name`.png; returns its path. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
