/**
 * Debian's Chromium driven by playwright-core, for the browser tests of the curators' pages: one page
 * whose problems (console errors, uncaught errors, failed requests, HTTP errors) are collected, so a
 * test fails on any of them.
 */
import * as fs from "node:fs"
import { chromium, type Browser, type Page } from "playwright-core"
import { requirePresent } from "../helpers.ts"

export const CHROMIUM = "/usr/bin/chromium"

/** Whether Chromium is there; says so loudly (and fails a CI run) when it is not. */
export const hasChromium = (skipped: string): boolean => requirePresent(`chromium (${CHROMIUM}; apt-get install chromium)`, fs.existsSync(CHROMIUM), skipped)

export interface BrowserPage {
  readonly browser: Browser
  readonly page: Page
  /** What went wrong on the pages so far; a test empties it when it opens the next page. */
  readonly problems: string[]
}

export async function openBrowserPage(): Promise<BrowserPage> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
  })
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const problems: string[] = []
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`)
  })
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`))
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`))
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`)
  })
  return { browser, page, problems }
}
