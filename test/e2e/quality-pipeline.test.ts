/**
 * The quality stages end to end, through `scicurate run`, on real abstracts from the shared corpus with
 * planted junk, a German text, personal identifiers, and a real case of contamination: the PubMedQA
 * abstracts of the shared corpus contain the long answers of the PubMedQA evaluation set, so
 * decontaminating against PubMedQA (question + long answer) must find every one of them.
 * Checked: every input accounted for per stage and reason; removed documents kept whole in
 * `_filtered/` with reason and scores; identifiers replaced in the bundle shards (and the ids follow the
 * text); the manifest and card state what the quality stages did, including the evaluation set's
 * sha256; a rerun redoes nothing; the quality report agrees with the filter stage; a text-changing stage
 * after tokenize is refused.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { cli, completedStages, corpusDir, doneMarkers, expectNothingRedone, hasCorpus, query, repoRoot, tempDir } from "../helpers.ts"

if (!hasCorpus) console.warn("[scicurate tests] ../shared/corpus absent: the quality pipeline tests are skipped")

const lines = (file: string, n: number): string[] => fs.readFileSync(file, "utf8").split("\n").filter(Boolean).slice(0, n)

const GERMAN =
  "Die Proteinfaltung ist ein grundlegender Prozess in lebenden Zellen. In dieser Arbeit untersuchen wir, wie sich die " +
  "Temperatur auf die Stabilität kleiner Proteine auswirkt, und vergleichen Messungen mit Molekulardynamik-Simulationen. " +
  "Unsere Ergebnisse zeigen, dass die Entfaltung bei höheren Temperaturen schneller verläuft, als bisherige Modelle " +
  "vorhergesagt haben, und dass Wasserstoffbrücken dabei eine zentrale Rolle spielen. Wir diskutieren die Folgen für " +
  "das Verständnis von Krankheiten, die mit fehlgefalteten Proteinen zusammenhängen."

const EMAIL = "jane.doe@physik.uni-heidelberg.de"
const PHONE = "+1 (617) 555-0142"
const DOI = "10.1021/ja00051a040"
const ORCID = "0000-0002-1825-0097"

function writeCorpus(root: string): { docs: string; pipeline: string; abstracts: string[] } {
  const docs = path.join(root, "docs")
  fs.mkdirSync(docs, { recursive: true })
  const scitldr = lines(path.join(corpusDir, "text/scitldr_A_train.jsonl"), 300)
  const abstracts = scitldr.map((l) => (JSON.parse(l) as { text: string }).text)
  fs.writeFileSync(path.join(docs, "scitldr.jsonl"), scitldr.join("\n") + "\n")
  fs.writeFileSync(path.join(docs, "pubmedqa.jsonl"), lines(path.join(corpusDir, "text/pubmedqa_ori_pqal.jsonl"), 60).join("\n") + "\n")
  const numbers = Array.from({ length: 400 }, (_, i) => `${(i * 0.731).toFixed(6)} ${(Math.sin(i) * 1e3).toFixed(5)} ${(i * i) % 997} ${(1 / (i + 1)).toExponential(6)}`).join("\n")
  const lorem = Array.from({ length: 30 }, () => "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.").join(" ")
  const junk = [
    { text: numbers, id: "junk-numbers" },
    { text: lorem, id: "junk-lorem" },
    { text: Array.from({ length: 60 }, () => "Click here to accept cookies. Privacy policy. Terms of use.").join("\n"), id: "junk-boilerplate" }
  ]
  fs.writeFileSync(path.join(docs, "junk.jsonl"), junk.map((j) => JSON.stringify(j)).join("\n") + "\n")
  fs.writeFileSync(path.join(docs, "proteinfaltung.txt"), `${GERMAN}\n`)
  fs.writeFileSync(
    path.join(docs, "contact.txt"),
    `${abstracts[0]}\n\nCorrespondence: ${EMAIL}, phone ${PHONE}. ORCID ${ORCID}. See doi:${DOI} and arXiv:0807.3577 for the data.\n`
  )
  const pipeline = path.join(root, "quality.yaml")
  fs.writeFileSync(
    pipeline,
    [
      "name: quality-e2e",
      "inputs:",
      "  - path: docs",
      "    license: CC-BY-4.0",
      "work: work",
      "tokenizer: o200k_base",
      "stages:",
      "  - stage: ingest",
      "    tasks: 2",
      "  - stage: dedup",
      "    tasks: 2",
      "  - stage: filter",
      "    tasks: 2",
      "  - stage: language",
      "    tasks: 2",
      "    keep: [en]",
      "  - stage: pii",
      "    tasks: 2",
      "  - stage: decontaminate",
      "    tasks: 2",
      `    against: [${path.join(corpusDir, "text/pubmedqa_ori_pqal.jsonl")}]`,
      "    fields: [QUESTION, LONG_ANSWER]",
      "    id_field: id",
      "  - stage: tokenize",
      "    tasks: 2",
      "  - stage: classify",
      "    tasks: 2",
      "  - stage: bundle",
      "    tasks: 2",
      "    version: 0.1.0",
      "    validation_fraction: 0.05",
      ""
    ].join("\n")
  )
  return { docs, pipeline, abstracts }
}

interface Ledger {
  source_path: string
  stage: string
  reason: string
  detail: string
  location?: string
  id?: string
  scores?: Record<string, number>
}

const ledger = (stageDir: string): Ledger[] =>
  fs.existsSync(path.join(stageDir, "_filtered"))
    ? fs
        .readdirSync(path.join(stageDir, "_filtered"))
        .filter((f) => f.endsWith(".jsonl"))
        .sort()
        .flatMap((f) => fs.readFileSync(path.join(stageDir, "_filtered", f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Ledger))
    : []

const stats = (stageDir: string) =>
  fs.readdirSync(path.join(stageDir, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(stageDir, "_stats", f), "utf8")) as { records_in: number; documents_out: number; filtered: number; reasons: Record<string, number> })

describe.skipIf(!hasCorpus)("the quality stages in a pipeline (needs ../shared/corpus)", () => {
  const root = tempDir()
  const { pipeline } = writeCorpus(root)
  const work = path.join(root, "work")
  const run = cli(["run", pipeline, "--workers", "2"])

  it("runs, and every document entering a quality stage leaves it kept or filtered with a reason", () => {
    expect(run.status, run.stderr).toBe(0)
    for (const stage of ["filter", "language", "pii", "decontaminate"]) {
      const s = stats(path.join(work, stage))
      const sum = (k: "records_in" | "documents_out" | "filtered") => s.reduce((n, x) => n + x[k], 0)
      expect(sum("records_in"), stage).toBe(sum("documents_out") + sum("filtered"))
      expect(ledger(path.join(work, stage)).length, stage).toBe(sum("filtered"))
    }
  })

  it("filter removes the planted junk, keeps the abstracts, and keeps the removed documents whole with reason and scores", async () => {
    const removed = ledger(path.join(work, "filter"))
    const removedSources = removed.map((r) => `${r.source_path}`)
    expect(removedSources.filter((s) => s.endsWith("junk.jsonl")).length).toBe(3)
    // Real abstracts pass: at most 2% of them may go (the bound for real data).
    expect(removedSources.filter((s) => s.endsWith("scitldr.jsonl")).length).toBeLessThanOrEqual(6)
    for (const r of removed) {
      expect(r.reason).toMatch(/^[a-z0-9-]+$/)
      expect(r.detail.length).toBeGreaterThan(0)
      expect(Object.keys(r.scores ?? {}).length).toBeGreaterThan(0)
    }
    const docs = await query<{ id: string; text: string; filter_reason: string; filter_scores: string }>(
      `SELECT id, text, filter_reason, filter_scores FROM read_parquet('${path.join(work, "filter/_filtered/*.parquet")}') ORDER BY id`
    )
    expect(docs.map((d) => d.id).sort()).toEqual(removed.map((r) => r.id).sort())
    expect(docs.some((d) => d.text.startsWith("Lorem ipsum"))).toBe(true)
    for (const d of docs) expect(JSON.parse(d.filter_scores)).toEqual(removed.find((r) => r.id === d.id)!.scores)
  })

  it("language removes the German text (keep: [en]) and tags every kept prose document as English", async () => {
    const removed = ledger(path.join(work, "language"))
    expect(removed.map((r) => r.source_path).filter((s) => s.endsWith("proteinfaltung.txt")).length).toBe(1)
    expect(removed.find((r) => r.source_path.endsWith("proteinfaltung.txt"))!.detail).toMatch(/\bde\b/)
    const tags = await query<{ code: string; n: bigint }>(
      `SELECT json_extract_string(metadata, '$.language.code') AS code, count(*) AS n FROM read_parquet('${path.join(work, "language/part-*.parquet")}') GROUP BY 1`
    )
    expect(tags.map((t) => t.code)).toEqual(["en"])
  })

  it("pii replaces the e-mail and phone number, leaves the DOI, ORCID and arXiv id alone, and the id follows the new text", async () => {
    const rows = await query<{ id: string; text: string; metadata: string }>(
      `SELECT id, text, metadata FROM read_parquet('${path.join(work, "bundles/*/data/*.parquet")}') WHERE text LIKE '%Correspondence%'`
    )
    expect(rows).toHaveLength(1)
    const doc = rows[0]!
    expect(doc.text).not.toContain(EMAIL)
    expect(doc.text).not.toContain("555-0142")
    expect(doc.text).toContain("<EMAIL>")
    expect(doc.text).toContain("<PHONE>")
    for (const kept of [DOI, ORCID, "0807.3577"]) expect(doc.text).toContain(kept)
    expect(doc.id).toBe(createHash("sha256").update(doc.text).digest("hex"))
    expect(JSON.parse(doc.metadata).pii).toMatchObject({ EMAIL: 1, PHONE: 1 })
    const s = stats(path.join(work, "pii"))
    expect(s.reduce((n, x) => n + (x.reasons["noted:pii:EMAIL"] ?? 0), 0)).toBe(1)
  })

  it("decontaminate finds every PubMedQA abstract that holds its evaluation item's long answer, naming the set and the item", () => {
    const removed = ledger(path.join(work, "decontaminate"))
    const pubmed = removed.filter((r) => r.source_path.endsWith("pubmedqa.jsonl"))
    // A 13-gram can only be shared when the long answer has 13 words or more (the question is not in the
    // abstract): those abstracts are all found, and no other.
    const items = lines(path.join(corpusDir, "text/pubmedqa_ori_pqal.jsonl"), 60).map((l, i) => ({ line: i + 1, ...(JSON.parse(l) as { id: string; LONG_ANSWER: string }) }))
    const findable = items.filter((it) => it.LONG_ANSWER.split(/\s+/).filter(Boolean).length >= 13)
    expect(findable.length).toBeGreaterThanOrEqual(55)
    expect(pubmed.map((r) => r.location).sort()).toEqual(findable.map((it) => `index ${it.line}`).sort())
    for (const r of pubmed) {
      expect(r.reason).toBe("contaminated")
      // Each abstract matched its own item (its line's id), not just some item.
      const own = items.find((it) => `index ${it.line}` === r.location)!
      expect(r.detail).toContain(`pubmedqa_ori_pqal item ${own.id} `)
    }
    expect(removed.filter((r) => r.source_path.endsWith("scitldr.jsonl"))).toHaveLength(0)
  })

  it("decontaminate in cut mode (the per-stage command) cuts the long answers out of the abstracts and keeps the rest", async () => {
    const out = path.join(root, "cut")
    const evalFile = path.join(corpusDir, "text/pubmedqa_ori_pqal.jsonl")
    const r = cli(["decontaminate", path.join(work, "pii"), "--out", out, "--against", evalFile, "--fields", "QUESTION,LONG_ANSWER", "--id_field", "id", "--mode", "cut"])
    expect(r.status, r.stderr).toBe(0)
    const s = stats(out)
    const cut = s.reduce((n, x) => n + (x.reasons["noted:decontamination-cut"] ?? 0), 0)
    const removed = s.reduce((n, x) => n + x.filtered, 0)
    expect(cut + removed).toBe(ledger(path.join(work, "decontaminate")).length)
    expect(cut).toBeGreaterThan(removed)
    const items = lines(evalFile, 60).map((l) => JSON.parse(l) as { id: string; LONG_ANSWER: string })
    const rows = await query<{ text: string; metadata: string }>(`SELECT text, metadata FROM read_parquet('${path.join(out, "*.parquet")}') WHERE json_extract(metadata, '$.decontamination') IS NOT NULL`)
    expect(rows).toHaveLength(cut)
    for (const row of rows) {
      const own = items.find((it) => row.metadata.includes(`"item":"${it.id}"`))!
      expect(own, "each cut abstract names its item").toBeDefined()
      expect(row.text).not.toContain(own.LONG_ANSWER.slice(0, 60))
      expect(row.text.length).toBeGreaterThan(100)
    }
  })

  it("the manifests and cards state what the quality stages did, with the evaluation set's sha256, and count removals per reason", () => {
    const removedPubmed = ledger(path.join(work, "decontaminate")).length
    expect(removedPubmed).toBeGreaterThanOrEqual(55)
    const bundles = fs.readdirSync(path.join(work, "bundles")).filter((b) => fs.existsSync(path.join(work, "bundles", b, "manifest.json")))
    expect(bundles.length).toBeGreaterThan(0)
    const evalSha = createHash("sha256").update(fs.readFileSync(path.join(corpusDir, "text/pubmedqa_ori_pqal.jsonl"))).digest("hex")
    for (const b of bundles) {
      const m = JSON.parse(fs.readFileSync(path.join(work, "bundles", b, "manifest.json"), "utf8"))
      expect(Object.keys(m.quality).sort()).toEqual(["decontaminate", "filter", "language", "pii"])
      expect(m.quality.decontaminate.facts.decontaminated_against).toEqual([{ name: "pubmedqa_ori_pqal", sha256: evalSha, items: 1000 }])
      expect(m.accounting.decontaminate.reasons["filtered:contaminated"]).toBe(removedPubmed)
      expect(m.accounting.language.reasons["filtered:language-not-kept"]).toBe(1)
      const card = fs.readFileSync(path.join(work, "bundles", b, "README.md"), "utf8")
      expect(card).toContain("decontaminated against pubmedqa_ori_pqal (1000 items")
      expect(card).toContain(`| decontaminate | contaminated | ${removedPubmed} |`)
    }
  })

  it("a rerun redoes nothing", () => {
    const before = { markers: doneMarkers(work), stages: completedStages(work) }
    const again = cli(["run", pipeline, "--workers", "2"])
    expect(again.status, again.stderr).toBe(0)
    expectNothingRedone(work, before, again.stdout + again.stderr)
  })

  it("quality-report measures the dedup output without removing anything, and agrees with the filter stage", () => {
    const out = path.join(root, "report")
    const r = cli(["quality-report", path.join(work, "dedup"), "--out", out, "--config", pipeline])
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(fs.readFileSync(path.join(out, "quality-report.json"), "utf8"))
    const filterStats = stats(path.join(work, "filter"))
    const filtered: Record<string, number> = {}
    for (const s of filterStats) for (const [k, v] of Object.entries(s.reasons)) if (k.startsWith("filtered:")) filtered[k.slice(9)] = (filtered[k.slice(9)] ?? 0) + v
    const reported: Record<string, number> = {}
    for (const perBundle of Object.values(report.filter_removed as Record<string, Record<string, number>>)) for (const [k, v] of Object.entries(perBundle)) reported[k] = (reported[k] ?? 0) + v
    expect(reported).toEqual(filtered)
    expect(report.documents).toBe(filterStats.reduce((n, s) => n + s.records_in, 0))
    expect(fs.readFileSync(path.join(out, "README.md"), "utf8")).toContain("## Rules")
    expect(fs.readFileSync(path.join(out, "index.html"), "utf8")).toContain("<svg")
  })

  it("refuses a pii stage placed after tokenize, naming the problem", () => {
    const bad = path.join(root, "bad.yaml")
    const text = fs.readFileSync(pipeline, "utf8")
    const piiBlock = "  - stage: pii\n    tasks: 2\n"
    fs.writeFileSync(bad, text.replace(piiBlock, "").replace("  - stage: classify\n", `${piiBlock}  - stage: classify\n`).replace("name: quality-e2e", "name: quality-bad").replace("work: work", "work: work-bad"))
    const r = cli(["run", bad])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("put the pii stage before tokenize")
  })
})

describe.skipIf(!hasCorpus)("per-bundle quality settings (needs ../shared/corpus)", () => {
  it("a bundle definition's thresholds apply to the documents routed to it, before classify as after", async () => {
    const root = tempDir()
    const { docs } = writeCorpus(root)
    const ingested = path.join(root, "ingested")
    expect(cli(["ingest", docs, "--out", ingested, "--workers", "2"]).status).toBe(0)
    // The shipped definitions, with computer science asking for abstracts of at least 150 words.
    const bundles = path.join(root, "bundles")
    fs.cpSync(path.join(repoRoot, "bundles"), bundles, { recursive: true })
    const cs = path.join(bundles, "computer-science-hpc.yaml")
    fs.appendFileSync(cs, "quality:\n  thresholds:\n    gopher.min_words: 150\n")
    const out = path.join(root, "filtered")
    const r = cli(["filter", ingested, "--out", out, "--bundles", bundles, "--workers", "2"])
    expect(r.status, r.stderr).toBe(0)
    const removed = ledger(out).filter((l) => l.reason === "too-few-words")
    expect(removed.length).toBeGreaterThan(10)
    for (const l of removed) expect(l.scores!.words).toBeLessThan(150)
    // Short documents of other bundles stay: the override is computer science's alone.
    const routed = path.join(root, "classified")
    expect(cli(["classify", out, "--out", routed, "--bundles", bundles, "--workers", "2"]).status).toBe(0)
    const short = await query<{ bundle: string; n: bigint }>(
      `SELECT bundle, count(*) AS n FROM read_parquet('${path.join(routed, "*.parquet")}') WHERE len(string_split(trim(text), ' ')) < 120 GROUP BY 1 ORDER BY 1`
    )
    expect(short.filter((s) => s.bundle === "computer-science-hpc")).toEqual([])
    expect(short.reduce((n, s) => n + Number(s.n), 0)).toBeGreaterThan(0)
    // The manifest of the plan says which bundles override what.
    const plan = JSON.parse(fs.readFileSync(path.join(out, "_plan.json"), "utf8"))
    expect(plan.provenance.summary).toContain("bundle computer-science-hpc overrides")
  })
})
