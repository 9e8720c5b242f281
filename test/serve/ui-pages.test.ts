/**
 * The curators' read-only pages in a real browser: Debian's Chromium driven by playwright-core against
 * a real `scicurate serve` (a child process on a free port) over a work folder this file makes with the
 * real pipeline: the demo sample (rejects, exact duplicates), plus a near-duplicate pair, a document
 * whose text carries script and markup, a long document, a too-short input, and (when the shared corpus
 * is there) a few real simulation outputs; and an earlier run of the same inputs, slightly different,
 * reviewed and released as v1 (`scicurate review`, `scicurate release`) to compare against. Each page kind is opened, what it shows is checked against
 * the files on disk (manifests, shards, rejects, dedup's removed list, read independently with DuckDB),
 * a screenshot is saved under .test-results/ui/, and any console error or failed request fails the test.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { openDuckDB, sqlString } from "../../src/core/duckdb.ts"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { appendDecision } from "../../src/review/log.ts"
import { cli, corpusDir, hasCorpus, readRejects, repoRoot, tempDir } from "../helpers.ts"
import { hasChromium, openBrowserPage } from "./browser.ts"
import { type ServeProcess, startServe } from "./serve-process.ts"

const SHOTS = path.join(repoRoot, ".test-results", "ui")
const pipeline = path.join(repoRoot, "pipelines/demo.yaml")

/** A deterministic chemistry paragraph (the chemistry lexicon routes it), `n` sentences long. */
function chemistryText(n: number, salt: number): string {
  const subjects = ["Zeolite catalysts", "Copper catalysts", "Iron-oxo sites", "Platinum nanoparticles", "Mixed oxide catalysts", "Supported gold clusters"]
  const verbs = ["convert", "oxidise", "activate", "dehydrogenate", "stabilise", "adsorb"]
  const objects = ["methanol", "methane", "carbon monoxide", "ethylene", "hydrogen peroxide", "formaldehyde"]
  const methods = ["Raman spectroscopy", "infrared spectroscopy", "mass spectrometry", "X-ray absorption spectroscopy", "NMR spectroscopy", "kinetic isotope effects"]
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const k = i * 7 + salt
    out.push(`${subjects[k % 6]} ${verbs[(k >> 1) % 6]} ${objects[(k >> 2) % 6]} at ${300 + ((k * 13) % 200)} kelvin, as ${methods[(k >> 3) % 6]} shows in run ${k}.`)
  }
  return out.join(" ")
}

/** A long climate report in other words than the chemistry texts (so dedup does not cluster it with them). */
function climateText(n: number): string {
  const places = ["the North Atlantic", "the Southern Ocean", "the tropical Pacific", "the Arctic shelf", "the Indian Ocean monsoon belt", "the Sahel"]
  const fields = ["sea surface temperature", "ocean heat content", "precipitation anomalies", "sea ice extent", "aerosol optical depth", "soil moisture"]
  const verbs = ["rose steadily", "fell sharply", "oscillated", "stalled", "recovered", "diverged from the reanalysis"]
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(`In ${places[i % 6]}, ${fields[(i >> 1) % 6]} ${verbs[(i >> 2) % 6]} during record ${i} of the station archive.`)
  return out.join(" ")
}

const NEAR_BASE = chemistryText(30, 3)
/** The removed copy: two words replaced and one inserted (still far above the 0.7 Jaccard threshold). */
const NEAR_COPY = NEAR_BASE.replace("Zeolite catalysts", "Zeolitic catalysts").replace("run 3.", "run 3 indeed.").replace(/methane/, "propane")
const INJECTION = `Notes on zeolite catalysts and methanol oxidation studied by Raman spectroscopy. <script>window.__injected = 1</script><img src="/x-injected" onerror="window.__injected = 2"> The catalysts were characterised by infrared spectroscopy & mass spectrometry.`

const LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua."
const jsonl = (records: Array<Record<string, unknown>>) => records.map((r) => JSON.stringify(r)).join("\n") + "\n"

/** Files added to the demo sample for these pages (relative to the sample root). */
function extraFiles(): Record<string, string> {
  return {
    "ui/near.jsonl": jsonl([
      { id: "near-a", title: "Catalytic conversion over zeolites, first report", text: NEAR_BASE },
      { id: "near-b", title: "Catalytic conversion over zeolites, second report", text: NEAR_COPY },
      { id: "inject", title: "Injection <b>title</b>", text: INJECTION }
    ]),
    "ui/long-review.txt": climateText(700),
    "ui/tiny.txt": "too short\n",
    // Left out by the filter stage (lorem-ipsum): the page shows its text and the scores behind the decision.
    "ui/placeholder.txt": `${LOREM} ${LOREM}\n`
  }
}

async function sql<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const { instance, connection } = await openDuckDB()
  try {
    return ((await connection.runAndReadAll(text)).getRowObjectsJS() as Array<Record<string, unknown>>).map(
      (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])) as T
    )
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
/** The one row a query returns (a count, a lookup by id). */
async function one<T = Record<string, unknown>>(text: string): Promise<T> {
  const rows = await sql<T>(text)
  if (rows.length === 0) throw new Error(`no row from ${text}`)
  return rows[0]!
}
const shardsOf = (bundleDir: string) => `read_parquet(${sqlString(path.join(bundleDir, "data", "*.parquet"))})`
const manifestOf = (bundleDir: string) => JSON.parse(fs.readFileSync(path.join(bundleDir, "manifest.json"), "utf8"))
const numberIn = (s: string | null) => Number((s ?? "").replace(/[^\d.-]/g, ""))

describe.skipIf(!hasChromium("the browser tests of the curators' pages"))("curators' pages in Chromium against `scicurate serve`", () => {
  let work: string
  let bundles: string
  let server: ServeProcess
  let base: string
  let browser: Browser
  let page: Page
  let problems: string[]
  /** The bundle that holds the near duplicate's kept copy (chemistry, by the lexicon), found from the shards. */
  let nearBundle: string
  let injectionBundle: string
  let injectionId: string
  let longBundle: string
  let longId: string

  async function run(sample: string, dir: string): Promise<void> {
    // The texts these pages need are made from templates, and the filter rightly calls template prose
    // repetitive and short of stop words: the run keeps them by turning those rules off (the demo pipeline otherwise).
    const file = path.join(path.dirname(dir), "ui-demo.yaml")
    const text = fs.readFileSync(pipeline, "utf8").replace("${SCICURATE_SAMPLE:-../work/sample}", sample)
    fs.writeFileSync(file, text.replace(/(- stage: filter[^\n]*\n    tasks: \d+\n)/, "$1    disabled: [repetition, gopher.min_stop_words]\n"))
    const r = cli(["run", file, "--work", dir, "--workers", "2"], { SOURCE_DATE_EPOCH: "1700000000" })
    if (r.status !== 0) throw new Error(`pipeline failed: ${r.stderr}`)
  }

  async function bundleHolding(where: string): Promise<{ bundle: string; id: string }> {
    for (const name of fs.readdirSync(bundles).sort()) {
      const rows = await sql<{ id: string }>(`SELECT id FROM ${shardsOf(path.join(bundles, name))} WHERE ${where} LIMIT 1`)
      if (rows.length > 0) return { bundle: name, id: rows[0]!.id }
    }
    throw new Error(`no bundle holds a document where ${where}`)
  }

  /** Open a page, wait for it, save its screenshot, and fail on any console error or failed request it caused. */
  async function visit(url: string, shot: string): Promise<void> {
    problems.length = 0
    const response = await page.goto(url.startsWith("http") ? url : `${base}${url}`, { waitUntil: "load" })
    expect(response?.status(), url).toBe(200)
    await shotOnly(shot)
  }
  async function shotOnly(shot: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: true })
    expect(problems, `console errors or failed requests on ${page.url()}`).toEqual([])
  }

  beforeAll(async () => {
    const root = tempDir("scicurate-ui-")
    // The run a curator reviews now: the demo sample and the extra files (and real simulation outputs).
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    for (const [rel, text] of Object.entries(extraFiles())) {
      fs.mkdirSync(path.dirname(path.join(sample, rel)), { recursive: true })
      fs.writeFileSync(path.join(sample, rel), text)
    }
    if (hasCorpus)
      for (const f of ["psi4_water_mp2.out", "molpro2006_h2o_mp2.out", "plumed_p.log", "sunspots.csv"])
        fs.copyFileSync(path.join(corpusDir, "simulation", f), path.join(sample, "ui", f))
    work = path.join(root, "work")
    await run(sample, work)
    bundles = path.join(work, "bundles")

    const near = await bundleHolding(`text LIKE ${sqlString(NEAR_BASE.slice(0, 60) + "%")} OR text LIKE ${sqlString(NEAR_COPY.slice(0, 60) + "%")}`)
    nearBundle = near.bundle
    ;({ bundle: injectionBundle, id: injectionId } = await bundleHolding(`text LIKE '%<script>window.__injected%'`))
    ;({ bundle: longBundle, id: longId } = await bundleHolding(`length(text) > 40000`))

    // An earlier run of the same inputs, served as release v1: without the near duplicates and with one
    // abstract of the compared bundle worded differently (same line, other id: a "changed" document).
    // (Its input root has the same name, "sample": source paths start with it.)
    const earlier = path.join(root, "v1", "sample")
    await writeSampleCorpus(earlier)
    const abstracts = path.join(earlier, "abstracts", "abstracts.jsonl")
    const { text: changedText } = await one<{ text: string }>(
      `SELECT text FROM ${shardsOf(path.join(bundles, nearBundle))} WHERE source_path LIKE '%abstracts.jsonl' ORDER BY id LIMIT 1`
    )
    const lines = fs.readFileSync(abstracts, "utf8").split("\n")
    const changedLine = lines.findIndex((l) => {
      try {
        return JSON.parse(l).text === changedText
      } catch {
        return false
      }
    })
    expect(changedLine).toBeGreaterThanOrEqual(0)
    const record = JSON.parse(lines[changedLine]!)
    lines[changedLine] = JSON.stringify({ ...record, text: `${record.text} An earlier wording of this abstract.` })
    fs.writeFileSync(abstracts, lines.join("\n"))
    const v1 = path.join(root, "work-v1")
    await run(earlier, v1)
    // v1's copy of the compared bundle was approved there and released with the real commands.
    const approved = cli(["review", path.join(v1, "bundles", nearBundle), "--approve", "--note", "v1 looked fine", "--curator", "ada"])
    if (approved.status !== 0) throw new Error(`review failed: ${approved.stderr}`)
    const released = cli(["release", v1, "--name", "v1", "--to", path.join(work, "releases")], { SOURCE_DATE_EPOCH: "1700000000" })
    if (released.status !== 0) throw new Error(`release failed: ${released.stderr}`)
    const release = path.join(work, "releases", "v1")

    // Review states: the compared bundle was approved as it was in v1 (so it changed since), another approved as it is.
    const approvedNow = fs.readdirSync(bundles).find((n) => n !== nearBundle && n !== "unrouted")!
    appendDecision(work, { bundle: nearBundle, content_sha256: manifestOf(path.join(release, "bundles", nearBundle)).content_sha256, decision: "approve", note: "v1 looked fine", curator: "ada", via: "cli" })
    appendDecision(work, { bundle: approvedNow, content_sha256: manifestOf(path.join(bundles, approvedNow)).content_sha256, decision: "approve", note: "ok", curator: "ada", via: "cli" })

    server = await startServe([work])
    base = server.url

    fs.mkdirSync(SHOTS, { recursive: true })
    ;({ browser, page, problems } = await openBrowserPage())
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it("lists every bundle with the manifest's numbers and its review state", async () => {
    await visit("/ui/", "bundles")
    const names = fs.readdirSync(bundles).filter((n) => fs.existsSync(path.join(bundles, n, "manifest.json"))).sort()
    expect(await page.locator("#bundles tbody tr").count()).toBe(names.length)
    for (const name of names) {
      const m = manifestOf(path.join(bundles, name))
      const row = page.locator(`#bundles tr[data-bundle="${name}"]`)
      expect(numberIn(await row.locator('[data-field="documents"]').textContent())).toBe(m.totals.documents)
      expect(numberIn(await row.locator('[data-field="tokens"]').textContent())).toBe(m.totals.tokens)
      expect(numberIn(await row.locator('[data-field="shards"]').textContent())).toBe(m.totals.shards)
    }
    // Approved on v1's content, then changed: needs review again, flagged as changed.
    const changed = page.locator(`#bundles tr[data-bundle="${nearBundle}"]`)
    expect(await changed.locator("[data-state]").first().getAttribute("data-state")).toBe("needs-review")
    await expect.poll(() => changed.locator(".changed").count()).toBe(1)
    expect(await page.locator('#bundles [data-state="approved"]').count()).toBe(1)
  })

  it("shows a bundle's manifest: totals, splits, shards, charts computed from its shards, samples, card and the decision slot", async () => {
    await visit(`/ui/bundles/${nearBundle}`, "bundle")
    const dir = path.join(bundles, nearBundle)
    const m = manifestOf(dir)
    expect(numberIn(await page.locator('#totals [data-field="documents"]').textContent())).toBe(m.totals.documents)
    expect(numberIn(await page.locator('#totals [data-field="tokens"]').textContent())).toBe(m.totals.tokens)
    expect(numberIn(await page.locator('#splits [data-field="train-documents"]').textContent())).toBe(m.totals.train.documents)
    expect(numberIn(await page.locator('#splits [data-field="validation-documents"]').textContent())).toBe(m.totals.validation.documents)
    expect(await page.locator("#shards tbody tr").count()).toBe(m.shards.length)
    expect(await page.locator("#content-sha256").textContent()).toBe(m.content_sha256)
    expect(await page.locator("section#decision").count()).toBe(1)
    // The length histogram counts every document once; its bins agree with the shards read here.
    const lengthBars = page.locator('figure:has(figcaption:text-is("Document length (characters)")) rect.bar')
    const values = await lengthBars.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-value"))))
    expect(values.reduce((a, b) => a + b, 0)).toBe(m.totals.documents)
    const bins = await sql<{ n: number }>(`SELECT count(*) AS n FROM ${shardsOf(dir)} GROUP BY floor(log2(greatest(length(text), 1))) ORDER BY floor(log2(greatest(length(text), 1)))`)
    expect(values.filter((v) => v > 0)).toEqual(bins.map((b) => b.n))
    const tokenBars = page.locator('figure:has(figcaption:text-is("Tokens per document")) rect.bar')
    expect((await tokenBars.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-value"))))).reduce((a, b) => a + b, 0)).toBe(m.totals.documents)
    // Breakdowns and routing come from the manifest.
    for (const [format, v] of Object.entries(m.by_format as Record<string, { documents: number }>))
      expect(await page.locator(`figure:has(figcaption:text-is("By format (documents)")) rect[data-label="${format}"]`).getAttribute("data-value")).toBe(String(v.documents))
    const routed = await page.locator('figure:has(figcaption:text-is("Routing score")) rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-value"))))
    expect(routed).toEqual(m.routing.histogram.map((h: { documents: number }) => h.documents))
    expect(await page.locator("figure svg").count()).toBeGreaterThanOrEqual(8)
    expect(await page.locator("#samples tbody tr").count()).toBe(m.samples.length)
    expect(await page.locator("#card table").count()).toBeGreaterThan(0)
    expect(await page.locator("#card").textContent()).toContain(m.content_sha256)
  })

  it("shows the simulation programs of a bundle that has them (needs the shared corpus)", async () => {
    if (!hasCorpus) return
    const withPrograms = await sql<{ b: string }>(
      `SELECT DISTINCT bundle AS b FROM read_parquet(${sqlString(path.join(bundles, "*", "data", "*.parquet"))}) WHERE json_extract_string(metadata, '$.program') IS NOT NULL ORDER BY 1 LIMIT 1`
    )
    expect(withPrograms.length).toBe(1)
    const name = withPrograms[0]!.b ?? "unrouted"
    await visit(`/ui/bundles/${name}`, "bundle-programs")
    expect(await page.locator('figure:has(figcaption:text-is("By program (documents)")) rect.bar').count()).toBeGreaterThan(0)
  })

  it("shows the unrouted bundle's top terms, each found in its documents", async () => {
    await visit("/ui/bundles/unrouted", "unrouted")
    const terms = await page.locator("#top-terms li .term").allTextContents()
    expect(terms.length).toBeGreaterThan(5)
    const { n } = await one<{ n: number }>(`SELECT count(*) AS n FROM ${shardsOf(path.join(bundles, "unrouted"))} WHERE lower(text) LIKE ${sqlString(`%${terms[0]}%`)}`)
    expect(n).toBeGreaterThan(0)
    expect(terms).not.toContain("the")
  })

  it("samples documents at random with a seed shown in the address, so a reload repeats the sample", async () => {
    await visit(`/ui/bundles/${nearBundle}/documents?sample=5`, "documents-sample")
    const seed = new URL(page.url()).searchParams.get("seed")
    expect(seed).toMatch(/^\d+$/)
    expect(await page.locator("#sample-seed").textContent()).toContain(seed!)
    const ids = await page.locator("#documents tbody a").evaluateAll((as) => as.map((a) => a.getAttribute("href")))
    expect(ids.length).toBe(Math.min(5, manifestOf(path.join(bundles, nearBundle)).totals.documents))
    await page.reload()
    await shotOnly("documents-sample-reloaded")
    expect(await page.locator("#documents tbody a").evaluateAll((as) => as.map((a) => a.getAttribute("href")))).toEqual(ids)
  })

  it("finds documents by a word taken from a shard, and treats %, _ and quotes in a search literally", async () => {
    const dir = path.join(bundles, nearBundle)
    const [doc] = await sql<{ id: string; text: string }>(`SELECT id, text FROM ${shardsOf(dir)} WHERE source_path LIKE '%abstracts.jsonl' ORDER BY id DESC LIMIT 1`)
    const word = doc!.text.split(/[^A-Za-z]+/).sort((a, b) => b.length - a.length || a.localeCompare(b))[0]!
    await visit(`/ui/bundles/${nearBundle}`, "bundle-before-search")
    await page.fill('form.search input[name="q"]', word)
    await Promise.all([page.waitForURL(/documents\?q=/), page.click("form.search button")])
    await shotOnly("documents-search")
    const hrefs = await page.locator("#documents tbody a").evaluateAll((as) => as.map((a) => a.getAttribute("href")))
    expect(hrefs).toContain(`/ui/bundles/${nearBundle}/documents/${doc!.id}`)
    // Each result shows the words around its match, the match marked.
    for (const m of await page.locator("#documents tr.snippet mark").allTextContents()) expect(m.toLowerCase()).toBe(word.toLowerCase())
    expect(await page.locator("#documents tr.snippet mark").count()).toBeGreaterThan(0)
    const { n } = await one<{ n: number }>(`SELECT count(*) AS n FROM ${shardsOf(dir)} WHERE text ILIKE ${sqlString(`%${word}%`)} OR source_path ILIKE ${sqlString(`%${word}%`)}`)
    expect(numberIn((await page.locator("#result-count").textContent())!.split(" ")[0]!)).toBe(n)

    // "_" is a literal underscore (not "any character"), "%" a literal percent sign; a quote is just text.
    for (const [q, literal] of [["_", "_"], ["%", "%"], ["' OR '1'='1", "' OR '1'='1"]] as const) {
      await visit(`/ui/bundles/${nearBundle}/documents?q=${encodeURIComponent(q)}`, "documents-search-literal")
      const { n: expected } = await one<{ n: number }>(`SELECT count(*) AS n FROM ${shardsOf(dir)} WHERE contains(lower(text), lower(${sqlString(literal)})) OR contains(lower(source_path), lower(${sqlString(literal)}))`)
      expect(numberIn((await page.locator("#result-count").textContent())!.split(" ")[0]!), q).toBe(expected)
    }
  })

  it("shows a document's text as text (script and markup inert), with reader, routing and runner-up", async () => {
    await visit(`/ui/bundles/${injectionBundle}/documents/${injectionId}`, "document")
    expect(await page.locator("#text").textContent()).toBe(INJECTION)
    expect(await page.evaluate(() => (globalThis as unknown as { __injected?: number }).__injected)).toBeUndefined()
    expect(await page.locator("#text script, #text img, h1 b").count()).toBe(0)
    expect(await page.locator("h1").textContent()).toBe("Injection <b>title</b>")
    expect(await page.locator('[data-field="reader"]').textContent()).toContain("jsonl")
    const [routing] = await sql<{ route_reason: string; route_second: string | null }>(
      `SELECT route_reason, route_second FROM read_parquet(${sqlString(path.join(work, "classify", "*.parquet"))}) WHERE id = ${sqlString(injectionId)}`
    )
    expect(await page.locator('[data-field="routing"]').textContent()).toContain(routing!.route_reason)
    expect(await page.locator('[data-field="runner-up"]').textContent()).toContain(routing!.route_second ?? "none")
    expect(JSON.parse((await page.locator("#metadata").textContent())!).reader.id).toBe("jsonl")

    // A document with a runner-up shows it with its score.
    const second = await one<{ id: string; bundle: string; route_second: string; route_second_score: number }>(
      `SELECT id, bundle, route_second, route_second_score FROM read_parquet(${sqlString(path.join(work, "classify", "*.parquet"))}) WHERE route_second IS NOT NULL AND bundle <> 'unrouted' ORDER BY id LIMIT 1`
    )
    await visit(`/ui/bundles/${second.bundle}/documents/${second.id}`, "document-runner-up")
    expect(await page.locator('[data-field="runner-up"]').textContent()).toBe(`${second.route_second} (score ${second.route_second_score.toLocaleString("en-US", { maximumFractionDigits: 3 })})`)
  })

  it("pages a long document's text in parts of 20,000 characters", async () => {
    const { text } = await one<{ text: string }>(`SELECT text FROM ${shardsOf(path.join(bundles, longBundle))} WHERE id = ${sqlString(longId)}`)
    await visit(`/ui/bundles/${longBundle}/documents/${longId}`, "document-long")
    expect(await page.locator("#text").textContent()).toBe(text!.slice(0, 20_000))
    await Promise.all([page.waitForURL(/page=2/), page.locator('a[rel="next"]').first().click()])
    await shotOnly("document-long-page-2")
    expect(await page.locator("#text").textContent()).toBe(text!.slice(20_000, 40_000))
  })

  it("lists what was left out per reason with samples, and the duplicate clusters", async () => {
    await visit("/ui/left-out", "left-out")
    const rejects = readRejects(path.join(work, "ingest"))
    const byReason = new Map<string, number>()
    for (const r of rejects) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1)
    expect(byReason.size).toBeGreaterThan(2)
    for (const [reason, count] of byReason) expect(numberIn(await page.locator(`#rejects tr[data-reason="${reason}"] td.num`).textContent()), reason).toBe(count)
    expect(await page.locator("#rejects .samples").first().textContent()).toContain("sample/")
    expect(await page.locator('#filtered tr[data-reason="too-short"]').count()).toBe(1)
    expect(await page.locator("#filtered").textContent()).toContain("ui/tiny.txt")
    // A quality stage's removal: its reason, the removed document's text and its scores.
    expect(await page.locator('#filtered tr[data-reason="lorem-ipsum"]').count()).toBe(1)
    const loremRow = page.locator("#filtered .samples tr", { hasText: "ui/placeholder.txt" })
    expect(await loremRow.locator("td.excerpt").textContent()).toContain("Lorem ipsum dolor sit amet")
    expect(await loremRow.locator(".scores").textContent()).toMatch(/lorem_ipsum [1-9]/)
    const removed = sqlString(path.join(work, "dedup", "_removed", "*.parquet"))
    const { clusters, minhash } = await one<{ clusters: number; minhash: number }>(
      `SELECT count(DISTINCT cluster_id) AS clusters, count(*) FILTER (WHERE method = 'minhash') AS minhash FROM read_parquet(${removed})`
    )
    expect(minhash).toBeGreaterThan(0)
    expect(await page.locator("#clusters tbody tr").count()).toBe(clusters)

    // One reason's full list.
    await Promise.all([page.waitForURL(/reason=/), page.locator('#rejects tr[data-reason="corrupt-pdf"] a').click()])
    await shotOnly("left-out-reason")
    expect(await page.locator(".samples tbody tr").count()).toBe(byReason.get("corrupt-pdf"))
  })

  it("shows a near-duplicate cluster's kept and removed copies side by side with the differing words marked", async () => {
    const [cluster] = await sql<{ cluster_id: string; kept_id: string; id: string }>(
      `SELECT cluster_id, kept_id, id FROM read_parquet(${sqlString(path.join(work, "dedup", "_removed", "*.parquet"))}) WHERE method = 'minhash' LIMIT 1`
    )
    // Reached from the bundle that kept the copy.
    await visit(`/ui/bundles/${nearBundle}`, "bundle-before-duplicates")
    await Promise.all([page.waitForURL(/left-out\?bundle=/), page.click("#duplicates-link")])
    await shotOnly("left-out-bundle-duplicates")
    await Promise.all([page.waitForURL(/\/ui\/duplicates\//), page.locator(`#clusters a[href="/ui/duplicates/${cluster!.cluster_id}"]`).click()])
    await shotOnly("duplicate")
    const kept = (await page.locator(".pair .kept pre").textContent())!
    const removedCopy = (await page.locator(".pair .removed pre").textContent())!
    const texts = [kept, removedCopy].sort()
    expect(texts).toEqual([NEAR_BASE, NEAR_COPY].sort())
    const marked = [...(await page.locator(".pair .diff-del").allTextContents()), ...(await page.locator(".pair .diff-add").allTextContents())].join(" ")
    const [keptText, otherText] = kept === NEAR_BASE ? [NEAR_BASE, NEAR_COPY] : [NEAR_COPY, NEAR_BASE]
    expect(await page.locator(".pair .kept .diff-del").count()).toBeGreaterThan(0)
    expect(await page.locator(".pair .removed .diff-add").count()).toBeGreaterThan(0)
    for (const w of ["Zeolite", "Zeolitic", "methane", "propane", "indeed"]) expect(marked, w).toContain(w)
    expect(keptText).not.toBe(otherText)
    // The kept copy's document page links to the cluster.
    await visit(`/ui/bundles/${nearBundle}/documents/${cluster!.kept_id}`, "document-kept-copy")
    expect(await page.locator(`[data-field="duplicates"] a[href="/ui/duplicates/${cluster!.cluster_id}"]`).textContent()).toBe("1 minhash copy")
    // The removed copy's own id leads to the same cluster.
    await visit(`/ui/duplicates/${cluster!.id}`, "duplicate-by-removed-id")
    expect(await page.locator(".pair").count()).toBeGreaterThan(0)
  })

  it("compares the bundle with its copy in release v1: added, removed and changed documents by id, and deltas", async () => {
    await visit(`/ui/bundles/${nearBundle}`, "bundle-before-compare")
    await Promise.all([page.waitForURL(/\/ui\/compare\?/), page.locator("#compare-links a").first().click()])
    await shotOnly("compare")
    // Named from the innermost served root, never as a filesystem path.
    expect(new URL(page.url()).searchParams.get("a")).toBe(`releases/v1/bundles/${nearBundle}`)
    const a = path.join(work, "releases", "v1", "bundles", nearBundle)
    const b = path.join(bundles, nearBundle)
    const docs = async (dir: string) => await sql<{ id: string; key: string }>(`SELECT id, source_path || '#' || source_index AS key FROM ${shardsOf(dir)}`)
    const [before, after] = [await docs(a), await docs(b)]
    const onlyA = before.filter((d) => !after.some((x) => x.id === d.id))
    const onlyB = after.filter((d) => !before.some((x) => x.id === d.id))
    const changed = onlyA.filter((d) => onlyB.some((x) => x.key === d.key))
    expect(changed.length).toBeGreaterThan(0)
    expect(numberIn(await page.locator('[data-count="changed"]').textContent())).toBe(changed.length)
    expect(numberIn(await page.locator('[data-count="added"]').textContent())).toBe(onlyB.filter((d) => !changed.some((x) => x.key === d.key)).length)
    expect(numberIn(await page.locator('[data-count="removed"]').textContent())).toBe(onlyA.length - changed.length)
    expect(numberIn(await page.locator('[data-count="added"]').textContent())).toBeGreaterThan(0)
    const [ma, mb] = [manifestOf(a), manifestOf(b)]
    expect(numberIn(await page.locator('[data-delta="tokens"]').textContent())).toBe(mb.totals.tokens - ma.totals.tokens)
    expect(numberIn(await page.locator('[data-delta="documents"]').textContent())).toBe(mb.totals.documents - ma.totals.documents)
  })

  it("answers unknown bundles and documents with a 404 page, folders outside the served roots with a 400, never a stack trace", async () => {
    const zeros = "0".repeat(64)
    for (const [url, status] of [
      ["/ui/bundles/no-such-bundle", 404],
      [`/ui/bundles/${nearBundle}/documents/${zeros}`, 404],
      [`/ui/duplicates/${zeros}`, 404],
      ["/ui/nothing-here", 404],
      [`/ui/compare?a=work/../../..&b=${nearBundle}`, 400],
      [`/ui/compare?a=etc/passwd&b=${nearBundle}`, 400],
      [`/ui/compare?a=${encodeURIComponent(path.resolve("/etc"))}&b=${nearBundle}`, 400]
    ] as const) {
      const r = await fetch(`${base}${url}`)
      const body = await r.text()
      expect(r.status, url).toBe(status)
      expect(body).toContain('class="error"')
      expect(body).not.toMatch(/\n\s+at /)
    }
    // A bundle whose shard is not Parquet: its page is an error page naming the cause, not a stack trace.
    const broken = path.join(bundles, "zz-broken")
    fs.cpSync(path.join(bundles, nearBundle), broken, { recursive: true })
    const shard = manifestOf(broken).shards[0].path
    fs.rmSync(path.join(broken, shard))
    fs.writeFileSync(path.join(broken, shard), "not parquet at all")
    const r = await fetch(`${base}/ui/bundles/zz-broken`)
    const body = await r.text()
    expect(r.status).toBe(500)
    expect(body).toContain('class="error"')
    expect(body).toContain("zz-broken")
    expect(body).not.toMatch(/\n\s+at /)
    // A bundle whose shard is gone still has a page, saying which shard is missing.
    fs.rmSync(path.join(broken, shard))
    const missing = await fetch(`${base}/ui/bundles/zz-broken`)
    expect(missing.status).toBe(200)
    expect(await missing.text()).toMatch(new RegExp(`id="missing-shards">[^<]*${shard.replace(/[.]/g, "\\.")}`))
  })
})
