/**
 * The curator's loop in a real browser (playwright-core driving Debian's Chromium) against a real
 * `scicurate serve --curators FILE` over a work folder the demo pipeline built here, with a signed
 * release in its releases/ folder: open the release list and a release, a bundle, a sample document
 * and a duplicate cluster; sign in with a curator token; approve with a note; reload and see
 * "approved" and the line in reviews.jsonl; rerun the pipeline on a changed input so the bundle's
 * content_sha256 changes, and see "needs review". Every page is saved as a screenshot under
 * .test-results/ui/review-flow/, and any console error, uncaught error or failed request fails the test.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { readReviewLog } from "../../src/review/log.ts"
import { cli, type CliResult, repoRoot, tempDir } from "../helpers.ts"
import { hasChromium, openBrowserPage } from "./browser.ts"
import { type ServeProcess, startServe } from "./serve-process.ts"

const SHOTS = path.join(repoRoot, ".test-results", "ui", "review-flow")
/** Reviewed in the browser. */
const BUNDLE = "chemistry"
/** Approved from the shell before the release, so the release has a bundle in it. */
const RELEASED = "materials-science"
const NOTE = "Read 9 documents: titrations and catalysis, clean text, licence CC0."

let root: string
let sample: string
let work: string
let token: string
let server: ServeProcess
let browser: Browser
let page: Page
/** Console errors, uncaught errors, failed requests and HTTP errors on the pages (browser.ts). */
let problems: string[]

const env = { SOURCE_DATE_EPOCH: "1700000000" }
const ok = (r: CliResult): CliResult => {
  expect(r.status, r.stderr).toBe(0)
  return r
}
const runPipeline = () => ok(cli(["run", path.join(repoRoot, "pipelines/demo.yaml"), "--work", work], { ...env, SCICURATE_SAMPLE: sample }))
const contentSha256 = (bundle: string): string => JSON.parse(fs.readFileSync(path.join(work, "bundles", bundle, "manifest.json"), "utf8")).content_sha256

/** Open `url` (or stay), check it loaded without console errors, and save its screenshot as NAME.png. */
async function visit(name: string, url?: string): Promise<void> {
  if (url !== undefined) {
    const res = await page.goto(`${server.url}${url}`)
    expect(res?.status(), `${url} status`).toBe(200)
  }
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
  expect(problems, `console errors or failed requests on ${page.url()}`).toEqual([])
}

/** The text of the first element `selector` matches on the page. */
const text = (selector: string): Promise<string> => page.locator(selector).first().innerText()
const stateShown = async (): Promise<string | null> => page.locator(".decision-panel [data-state]").first().getAttribute("data-state")

describe.skipIf(!hasChromium("the browser test of the review flow"))("the review flow in a browser", () => {
  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true })
    root = tempDir()
    sample = path.join(root, "sample")
    work = path.join(root, "work")
    await writeSampleCorpus(sample)
    runPipeline()

    const curatorsFile = path.join(root, "curators.txt")
    const added = ok(cli(["curators", "add", "alice", "--file", curatorsFile]))
    token = /^token: (\S+)$/m.exec(added.stdout)?.[1] ?? ""
    expect(token, added.stdout).not.toBe("")

    // A signed release of one bundle approved from the shell.
    ok(cli(["review", path.join(work, "bundles", RELEASED), "--approve", "--note", "approved from the shell", "--curator", "bob"]))
    ok(cli(["keygen", "--out", path.join(root, "release-key")]))
    ok(cli(["release", work, "--name", "demo-1", "--to", path.join(work, "releases"), "--key", path.join(root, "release-key.key")], env))

    server = await startServe([work, "--curators", curatorsFile])
    ;({ browser, page, problems } = await openBrowserPage())
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it("lists the releases and shows one with its approved bundle and signature", async () => {
    await visit("01-releases", "/ui/releases")
    expect(await text("table.releases")).toContain("demo-1")
    expect(await text("table.releases")).toContain("signed")
    await page.click("text=demo-1")
    await page.waitForURL("**/ui/releases/demo-1")
    await visit("02-release")
    expect(await text("table.release-bundles")).toContain(RELEASED)
    expect(await text("table.release-bundles")).toContain("approved from the shell")
    expect(await text("table.left-out")).toContain(BUNDLE)
    const indexHref = await page.locator("a:has-text('release.json')").first().getAttribute("href")
    expect(indexHref).toBe("/releases/demo-1/release.json")
    const index = await page.request.get(`${server.url}${indexHref}`)
    expect(index.status()).toBe(200)
    expect((await index.json()).bundles.map((b: { name: string }) => b.name)).toEqual([RELEASED])
  })

  it("opens a bundle, a sample document and a duplicate cluster", async () => {
    await visit("03-bundle", `/ui/bundles/${BUNDLE}`)
    expect(await text("h1")).toMatch(/chemistry/i)
    expect(await page.locator("#decision [data-state]").first().getAttribute("data-state")).toBe("needs-review")
    await page.click("text=random sample of 20")
    await page.waitForURL(/documents\?sample=20&seed=\d+/)
    await visit("04-documents")
    await page.locator("table a[href*='/documents/']").first().click()
    await page.waitForURL(/\/documents\/[0-9a-f]+/)
    await visit("05-document")
    expect((await text("pre.text")).trim()).not.toBe("")
    await visit("06-left-out", "/ui/left-out#duplicates")
    await page.locator("a[href^='/ui/duplicates/']").first().click()
    await page.waitForURL(/\/ui\/duplicates\//)
    await visit("07-duplicate-cluster")
  })

  it("signs in with a curator token and approves with a note on the bundle page; a reload shows approved and reviews.jsonl has the line", async () => {
    await visit("08-bundle-signed-out", `/ui/bundles/${BUNDLE}`)
    expect(await page.locator("form.decision-form").count()).toBe(0)
    await page.click("#decision a:has-text('Sign in')")
    await page.waitForURL(/\/ui\/sign-in/)
    await visit("09-sign-in")
    await page.fill("input[name=token]", token)
    await page.click("button:has-text('Sign in')")
    await page.waitForURL(`**/ui/bundles/${BUNDLE}`)
    await visit("10-bundle-signed-in")
    expect(await text("#decision")).toContain("As alice")
    expect(await text("header")).toContain("Signed in as alice")
    await page.fill("#decision textarea[name=note]", NOTE)
    await page.click("#decision button[value=approve]")
    await page.waitForURL(`**/ui/bundles/${BUNDLE}#decision`)
    expect(await stateShown()).toBe("approved")
    await page.reload()
    await visit("11-bundle-approved")
    expect(await stateShown()).toBe("approved")
    expect(await text("#decision table.history")).toContain(NOTE)
    // The panel on its own page says the same, with who is signed in in the header.
    await visit("12-review-approved", `/ui/bundles/${BUNDLE}/review`)
    expect(await stateShown()).toBe("approved")
    expect(await text("header")).toContain("Signed in as alice")

    const log = readReviewLog(work)
    expect(log.problems).toEqual([])
    expect(log.decisions.at(-1)).toMatchObject({ bundle: BUNDLE, decision: "approve", curator: "alice", via: "web", note: NOTE, content_sha256: contentSha256(BUNDLE) })
    const lastLine = fs.readFileSync(log.file, "utf8").trim().split("\n").at(-1)!
    expect(JSON.parse(lastLine)).toMatchObject({ bundle: BUNDLE, decision: "approve", curator: "alice" })
  })

  it("after a rerun on changed input the bundle needs review again, and a form from before the change is refused", async () => {
    const before = contentSha256(BUNDLE)
    // A form opened on the old content, submitted after the change below.
    await page.goto(`${server.url}/ui/bundles/${BUNDLE}/review`)
    fs.writeFileSync(
      path.join(sample, "notes", "acid-titration.txt"),
      "Potentiometric titration of acetic acid with sodium hydroxide gave a pKa of 4.76 at 25 C. Catalysis, reaction kinetics,\n" +
        "spectroscopy and the synthesis of organic compounds: the chemistry of weak acids and their buffers, measured with a glass electrode.\n"
    )
    runPipeline()
    expect(contentSha256(BUNDLE)).not.toBe(before)

    await page.fill("form.decision-form textarea[name=note]", "approving what I saw before the rerun")
    await page.click("form.decision-form button[value=approve]")
    expect(await text("main")).toContain("the bundle changed while you were reviewing it; reload")
    await page.screenshot({ path: path.join(SHOTS, "13-stale-form-refused.png"), fullPage: true })
    // The refusal is a 409 page: the browser logs its status, which is the expected outcome here.
    problems.splice(0, problems.length, ...problems.filter((e) => !/status of 409|HTTP 409: .*\/decision$/.test(e)))
    expect(readReviewLog(work).decisions.filter((d) => d.bundle === BUNDLE && d.content_sha256 !== before)).toEqual([])

    await visit("14-review-needs-review", `/ui/bundles/${BUNDLE}/review`)
    expect(await stateShown()).toBe("needs-review")
    expect(await text(".decision-panel")).toContain("changed since the last review")
    expect(await text("table.history")).toContain("other content")
    await visit("15-bundle-needs-review", `/ui/bundles/${BUNDLE}`)
    expect(await page.locator("#decision [data-state]").first().getAttribute("data-state")).toBe("needs-review")
  })
})
