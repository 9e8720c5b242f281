/**
 * Routing accuracy (src/classify/accuracy.ts): the scoring rules on hand-made documents, and the real
 * bundles/ on the shared corpus — its labelled papers and simulation files ingested with the CLI must
 * route to an acceptable bundle for at least 90% of the files (one vote per file).
 *
 * The corpus check is a REGRESSION check, not a measure of accuracy: the 51 labelled files are the ones
 * the lexicons were tuned against, and many labels accept several bundles, so it says "routing still
 * does what it did on these files". How routing does on files it was not tuned on is the generalisation
 * figure of `make bench BENCH_ARGS=--only=generalisation` (bench/generalisation.ts, a held-out set fixed
 * in advance), which is much lower.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { UNROUTED_VOTE, formatAccuracyReport, readDatasetDocuments, routingAccuracy, scoreRouting, type LabelledDocument } from "../../src/classify/accuracy.ts"
import { loadBundleDefinitions, type BundleDefinition } from "../../src/classify/definitions.ts"
import { readSourceLabels } from "../../src/classify/labels.ts"
import { compileClassifier } from "../../src/classify/route.ts"
import { cli, corpusDir, hasCorpus, repoRoot, tempDir } from "../helpers.ts"

const def = (name: string, lexicon: Record<string, number>): BundleDefinition => ({ name, title: name, description: name, kinds: ["paper", "text", "simulation"], lexicon, sampling_weight: 1 })
const ldoc = (source_path: string, text: string, kind = "paper"): LabelledDocument => ({ kind, format: "x", title: null, text, metadata: "{}", domain: null, license: null, source_path })

describe("routingAccuracy", () => {
  const classifier = compileClassifier([def("astrophysics-cosmology", { galaxy: 5 }), def("chemistry", { solvent: 5 }), def("medicine-health", { patients: 5 })])
  const labels = [
    { file: "papers/a.pdf", label: "physics/astronomy" },
    { file: "simulation/arch.tar", label: "chemistry" },
    { file: "simulation/none.out", label: "chemistry" },
    { file: "papers/missing.pdf", label: "chemistry" },
    { file: "text/abstracts.jsonl", label: "biology/medicine" }
  ]
  const docs = [
    ldoc("corpus/papers/a.pdf", "galaxy"),
    // an archive: two of three members vote chemistry
    ldoc("simulation/arch.tar", "solvent"),
    ldoc("simulation/arch.tar", "galaxy"),
    ldoc("simulation/arch.tar", "solvent"),
    ldoc("simulation/none.out", "nothing here"),
    ldoc("text/abstracts.jsonl", "patients", "text"),
    ldoc("text/abstracts.jsonl", "patients", "text"),
    ldoc("text/abstracts.jsonl", "solvent", "text"),
    ldoc("other/unlabelled.txt", "galaxy")
  ]
  const report = routingAccuracy(docs, labels, classifier)

  it("gives each file one vote by majority, scores text records one by one", () => {
    expect(report.files).toEqual({ total: 3, correct: 2, accuracy: 2 / 3 })
    expect(report.text).toEqual({ total: 3, correct: 2, accuracy: 2 / 3 })
    const arch = report.fileResults.find((r) => r.file === "simulation/arch.tar")!
    expect(arch).toMatchObject({ bundle: "chemistry", correct: true, documents: 3, votes: { chemistry: 2, "astrophysics-cosmology": 1 } })
    expect(report.fileResults.find((r) => r.file === "simulation/none.out")).toMatchObject({ bundle: UNROUTED_VOTE, correct: false })
    expect(report.missing).toEqual(["papers/missing.pdf"])
    expect(report.unlabelled).toBe(1)
  })

  it("builds confusion tables and a report naming the misrouted files", () => {
    expect(report.confusion).toEqual({ "physics/astronomy": { "astrophysics-cosmology": 1 }, chemistry: { chemistry: 1, [UNROUTED_VOTE]: 1 } })
    expect(report.textConfusion).toEqual({ "biology/medicine": { "medicine-health": 2, chemistry: 1 } })
    const text = formatAccuracyReport(report)
    expect(text).toContain("files (papers + simulation, one vote per file): 2/3 = 66.7%")
    expect(text).toContain("simulation/none.out [chemistry; acceptable: chemistry] → (unrouted)")
    expect(text).toContain("✗ chemistry 1")
  })
})

describe.skipIf(!hasCorpus)("routing regression check on the shared corpus's tuned-on labelled files", () => {
  it("still routes ≥ 90% of the labelled papers and simulation files (the lexicons' tuning set) to an acceptable bundle", async () => {
    const out = path.join(tempDir(), "ingest")
    const r = cli(["ingest", path.join(corpusDir, "papers"), path.join(corpusDir, "simulation"), "--out", out, "--workers", "2"])
    expect(r.status, r.stderr).toBe(0)
    const labels = readSourceLabels(fs.readFileSync(path.join(corpusDir, "SOURCES.md"), "utf8")).filter((l) => !l.file.startsWith("text/"))
    const classifier = compileClassifier(loadBundleDefinitions(path.join(repoRoot, "bundles")))
    const report = routingAccuracy(await readDatasetDocuments(out), labels, classifier)
    const table = formatAccuracyReport(report)
    // Every labelled file but those ingest rejects (a scanned PDF without a text layer) is scored.
    expect(report.files.total, table).toBeGreaterThanOrEqual(labels.length - 2)
    expect(report.files.accuracy, `routing regression on the tuned-on files (below 90%):\n${table}`).toBeGreaterThanOrEqual(0.9)
  })
})
if (!hasCorpus) console.warn(`[scicurate tests] accuracy.test.ts: ${corpusDir} is absent; the shared-corpus accuracy check is skipped`)

describe("scoreRouting on labels the field table cannot read", () => {
  it("lists a label naming no known field instead of failing, and scores the rest", () => {
    const labels = [
      { file: "papers/a.pdf", label: "economics" },
      { file: "papers/b.pdf", label: "chemistry/folklore" }
    ]
    const report = scoreRouting(
      [
        { source_path: "papers/a.pdf", bundle: "chemistry", score: 5, reason: "r", second: null, secondScore: 0 },
        { source_path: "papers/b.pdf", bundle: "chemistry", score: 5, reason: "r", second: null, secondScore: 0 }
      ],
      labels
    )
    expect(report.unscorable).toEqual(["papers/a.pdf: economics"])
    expect(report.unknownWords).toEqual(["folklore"])
    expect(report.files).toEqual({ total: 1, correct: 1, accuracy: 1 })
    expect(formatAccuracyReport(report)).toMatch(/labels naming no known field \(files not scored\): papers\/a\.pdf: economics/)
  })
})
