/**
 * `scicurate quality-report` as a curator reads it: the HTML page opened in Debian's Chromium (from the
 * file, as the report is meant to be read offline), checked against the report's JSON and the dataset:
 * a section per filter rule, each histogram's bars adding up to the documents the rule judged, the
 * planted junk among the documents shown on the removed side of its rule, and no console error or
 * failed request. Built from real abstracts of the shared corpus with junk added.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { describe, expect, it } from "vitest"
import { FILTER_RULES } from "../../src/filter/rules.ts"
import { cli, corpusDir, hasCorpus, repoRoot, tempDir } from "../helpers.ts"
import { hasChromium, openBrowserPage } from "../serve/browser.ts"

const LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua."

describe.skipIf(!hasCorpus || !hasChromium("the browser test of the quality report"))("the quality report page in Chromium (needs ../shared/corpus)", () => {
  it("shows every rule with its distribution and the documents either side of the threshold, as the JSON says", async () => {
    const root = tempDir()
    const docs = path.join(root, "docs")
    fs.mkdirSync(docs)
    const abstracts = fs.readFileSync(path.join(corpusDir, "text/scitldr_A_train.jsonl"), "utf8").split("\n").filter(Boolean).slice(0, 200)
    fs.writeFileSync(path.join(docs, "abstracts.jsonl"), [...abstracts, JSON.stringify({ text: Array.from({ length: 12 }, () => LOREM).join(" ") })].join("\n") + "\n")
    const ingested = path.join(root, "ingested")
    expect(cli(["ingest", docs, "--out", ingested, "--workers", "2"]).status).toBe(0)
    const out = path.join(root, "report")
    const r = cli(["quality-report", ingested, "--out", out])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/201 documents in \d+ bundle\(s\); the filter stage would remove 1 \(0\.5%\)/)
    const report = JSON.parse(fs.readFileSync(path.join(out, "quality-report.json"), "utf8"))

    const { browser, page, problems } = await openBrowserPage()
    try {
      await page.goto(pathToFileURL(path.join(out, "index.html")).href, { waitUntil: "load" })
      fs.mkdirSync(path.join(repoRoot, ".test-results", "quality"), { recursive: true })
      await page.screenshot({ path: path.join(repoRoot, ".test-results", "quality", "report.png"), fullPage: true })
      expect(problems).toEqual([])
      expect(await page.locator("section.rule").count()).toBe(FILTER_RULES.length)
      // The bars of each rule's histogram add up to the documents it judged, bundle by bundle.
      for (const rule of report.rules as Array<{ rule: { name: string }; bundles: Array<{ bundle: string; judged: number }> }>) {
        const section = page.locator(`section.rule[id="${rule.rule.name}"]`)
        const charts = section.locator("figure.chart")
        expect(await charts.count(), rule.rule.name).toBe(rule.bundles.length)
        for (const [i, b] of rule.bundles.entries()) {
          const values = await charts.nth(i).locator("rect.bar").evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute("data-value"))))
          expect(values.reduce((a, v) => a + v, 0), `${rule.rule.name} in ${b.bundle}`).toBe(b.judged)
        }
      }
      // The lorem ipsum document is on the removed side of its rule, with its text.
      const lorem = page.locator('section.rule[id="c4.lorem_ipsum"] table.samples[data-side="removed"]')
      expect(await lorem.textContent()).toContain("Lorem ipsum dolor sit amet")
      // And the page's per-bundle table says what the stage would remove, as the JSON does.
      const removed = Object.values(report.filter_removed as Record<string, Record<string, number>>).flatMap((r) => Object.entries(r))
      expect(removed).toEqual([["lorem-ipsum", 1]])
      expect(await page.locator("table.reasons").textContent()).toContain("lorem-ipsum 1")
    } finally {
      await browser.close()
    }
  })
})
