/**
 * PDF extraction quality on the shared corpus's real papers (needs ../shared/corpus; the agreement
 * test also needs poppler's pdftotext, installed by `make test` via `make system-deps`).
 */
import { execFileSync, spawnSync } from "node:child_process"
import { readdirSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import type { Document } from "../../src/core/document.ts"
import { wordAgreement } from "../../src/ingest/pdf/compare.ts"
import { DEFAULT_PDF_OPTIONS } from "../../src/ingest/pdf/options.ts"
import { readFileSync, statSync } from "node:fs"
import { extractPdf } from "../../src/ingest/pdf/extract.ts"
import { requirePresent, tempDir } from "../helpers.ts"
import { hasQpdf } from "./pdf-fixtures.ts"
import { corpusRoot, defaultOptions, expectDocument, extractOne, hasCorpus } from "./support.ts"

const papersDir = path.join(corpusRoot, "papers")
const hasPdftotext = requirePresent("pdftotext (Debian poppler-utils; make system-deps)", spawnSync("pdftotext", ["-v"]).error === undefined, "the agreement test against pdftotext")
if (!hasCorpus) console.warn(`[scicurate] ${corpusRoot} not found: skipping the PDF quality tests on real papers`)

const SCANNED = "cermine_simple_scanned.pdf"
interface Meta {
  pages: number
  authors: string[]
  abstract: string | null
  sections: string[]
  references: string | null
  doi: string | null
  arxiv_id: string | null
  quality: { score: number; flagged: boolean }
  removed: { running_lines: number; page_numbers: number; line_numbers: number; running_texts: Array<{ text: string; times: number }> }
}

const cache = new Map<string, Promise<Document>>()
const paper = (name: string, options = defaultOptions): Promise<Document> => {
  const key = `${name}:${JSON.stringify(options.pdf ?? null)}`
  let p = cache.get(key)
  if (p === undefined) {
    p = extractOne(path.join(papersDir, name), options, `papers/${name}`).then(expectDocument)
    cache.set(key, p)
  }
  return p
}
const metaOf = (doc: Document) => JSON.parse(doc.metadata) as Meta
const textLayerPapers = () => readdirSync(papersDir).filter((f) => f.endsWith(".pdf") && f !== SCANNED).sort()

describe.skipIf(!hasCorpus)("PDF text quality on the shared corpus's papers", () => {
  it.skipIf(!hasPdftotext)("agrees with pdftotext -layout word for word (bag-of-words F1 >= 0.97), no word split at a line break", async () => {
    const papers = textLayerPapers()
    expect(papers).toHaveLength(15)
    for (const name of papers) {
      const doc = await paper(name)
      const meta = metaOf(doc)
      const reference = execFileSync("pdftotext", ["-layout", path.join(papersDir, name), "-"], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] }).toString()
      // Compare text + the separated references with the reference minus the running headers we report.
      const ours = `${doc.text}\n${meta.references ?? ""}`
      const agreement = wordAgreement(ours, reference, meta.removed.running_texts)
      expect(agreement.f1, `${name}: missing ${JSON.stringify(agreement.missing)} extra ${JSON.stringify(agreement.extra)}`).toBeGreaterThanOrEqual(0.97)
      // Without the allowance for the running headers we report as removed, the figure stays close.
      expect(wordAgreement(ours, reference).f1, name).toBeGreaterThan(0.94)
      // Counting letter-and-digit tokens, equation indices weigh in ("s02" here, "s2" and "0" there):
      // cermine_complex.pdf, a glyph-by-glyph dvips preprint full of equations, is at ~0.96 that way.
      expect(wordAgreement(ours, reference, meta.removed.running_texts, "alnum").f1, name).toBeGreaterThan(0.95)
      // "spe- cialization": a line-break hyphen left in. Allowed only where the PDF itself has "word- word"
      // inside a line ("stationary phase- silica gel"), or a suspended hyphen ("first- and second-order").
      const flat = reference.replace(/\s+/g, " ")
      for (const m of doc.text.matchAll(/(\p{L}+)[-\u00AD] (\p{Ll}+)/gu)) {
        if (/^(and|or|to|as|vs|nor)$/.test(m[2]!)) continue
        expect(flat, `${name}: "${m[0]}" is a word split by a line-break hyphen`).toContain(m[0])
      }
    }
  }, 300_000)

  it("reads two-column papers in order: sentences that cross a column break come out whole", async () => {
    const doc = await paper("tracemonkey-pldi-09.pdf")
    // Page 1: the left column ends "...the de facto standard for client-side web programming"; the
    // right column goes on "and is used for the application logic..." (an ACM copyright block sits
    // between them at the foot of the left column).
    expect(doc.text).toContain("the de facto standard for client-side web programming and is used for the application logic of browser-based productivity applications")
    // Page 2: "...If an exit becomes hot, the VM can record a branch" | "trace starting at the exit".
    expect(doc.text).toContain("the VM can record a branch trace starting at the exit to cover the new path")
    // Left column before right column on page 1: the introduction starts before the compiled-trace paragraph.
    expect(doc.text.indexOf("Dynamic languages such as JavaScript, Python, and Ruby")).toBeLessThan(doc.text.indexOf("Each compiled trace covers one path"))
  }, 120_000)

  it("drops running headers, footers and page numbers", async () => {
    const peerj = await paper("cermine_test6.pdf")
    // Every page but the first carries "Webb et al. (2017), PeerJ Comput. Sci., DOI 10.7717/peerj-cs.118 N/16".
    expect(peerj.text).not.toMatch(/PeerJ Comput\. Sci\., DOI 10\.7717\/peerj-cs\.118 \d+\/16/)
    expect(metaOf(peerj).removed.running_lines).toBeGreaterThanOrEqual(15)
    const jss = await paper("MullenJSSv18i03.pdf")
    // Alternating headers "2 TIMP: Modeling Multi-way Spectroscopic Measurements in R" / "Journal of Statistical Software 3".
    expect(jss.text).not.toMatch(/Journal of Statistical Software \d+/)
    expect(jss.text).not.toMatch(/\n\d+ TIMP: Modeling Multi-way Spectroscopic Measurements in R\n/)
    expect(jss.text).toContain("TIMP") // the package name in the body stays
    const plos = await paper("PMC9135278.pdf")
    expect(plos.text).not.toMatch(/\d+ \/ 1\d\b/) // "2 / 17" page footers
    const jcap = await paper("0807.3577.pdf")
    expect(jcap.text).not.toContain("JCAP10(2008)003")
  }, 120_000)

  it("finds the title, authors, abstract, sections, DOI and arXiv id", async () => {
    const tm = await paper("tracemonkey-pldi-09.pdf")
    const tmMeta = metaOf(tm)
    expect(tm.title).toBe("Trace-based Just-in-Time Type Specialization for Dynamic Languages")
    expect(tmMeta.authors.slice(0, 3)).toEqual(["Andreas Gal", "Brendan Eich", "Mike Shaver"])
    expect(tmMeta.authors).toHaveLength(16)
    expect(tmMeta.abstract).toMatch(/^Dynamic languages such as JavaScript are more difficult to compile than statically typed ones\./)
    expect(tmMeta.sections).toEqual(expect.arrayContaining(["1. Introduction", "3.1 Traces", "9. Conclusions"]))
    expect(tm.text).toContain("\n\n## 2. Overview: Example Tracing Run\n\n")
    const jcap = await paper("0807.3577.pdf")
    expect(jcap.title).toBe("Apparent and average accelerations of the Universe")
    expect(metaOf(jcap).authors).toEqual(["Krzysztof Bolejko", "Lars Andersson"])
    expect(metaOf(jcap).doi).toBe("10.1088/1475-7516/2008/10/003")
    expect(metaOf(await paper("0908.0054.pdf")).arxiv_id).toBe("0908.0054")
    expect(metaOf(await paper("cermine_test6.pdf")).doi).toBe("10.7717/peerj-cs.118")
    // The Info title, printed on page 1, wins over the largest text ("OPEN Complex networks of marine").
    expect((await paper("PMC7814029.pdf")).title).toBe("Complex networks of marine heatwaves reveal abrupt transitions in the global ocean")
    const bmc = await paper("cermine_test1.pdf")
    expect(bmc.title).toBe("Complications related to deep venous thrombosis prophylaxis in trauma: a systematic review of the literature")
    expect(metaOf(bmc).authors).toContain("Indraneel Datta")
    // Headings in a bold face of the body's family, and the references split off after them.
    expect(metaOf(bmc).sections).toEqual(expect.arrayContaining(["Abstract", "Introduction", "Methods", "Conclusion", "Authors’ contributions", "Competing interests"]))
    expect(metaOf(bmc).references).toMatch(/^1\. Kudsk KA, Fabian TC/)
    expect(bmc.text).not.toContain("Kudsk KA, Fabian TC")
    const jss = metaOf(await paper("MullenJSSv18i03.pdf")).sections
    expect(jss).toEqual(expect.arrayContaining(["1.1. Interactive scientific model-discovery", "2.1. The role of S4 classes and methods in TIMP", "5.1. Model for the decay of components"]))
    // Code set in a monospace face is not a heading.
    expect(jss.filter((h) => h.startsWith("R>"))).toEqual([])
  }, 120_000)

  it("keeps the references apart by default, and in or out of the text on request", async () => {
    const separate = await paper("tracemonkey-pldi-09.pdf")
    const refs = metaOf(separate).references
    expect(refs).toMatch(/^\[1\] LuaJIT roadmap 2008/)
    expect(separate.text).not.toContain("LuaJIT roadmap 2008")
    const keep = await paper("tracemonkey-pldi-09.pdf", { ...defaultOptions, pdf: { ...DEFAULT_PDF_OPTIONS, references: "keep" } })
    expect(keep.text).toContain("## References")
    expect(keep.text).toContain("LuaJIT roadmap 2008")
    const drop = await paper("tracemonkey-pldi-09.pdf", { ...defaultOptions, pdf: { ...DEFAULT_PDF_OPTIONS, references: "drop" } })
    expect(drop.text).toBe(separate.text)
    expect(JSON.parse(drop.metadata)).not.toHaveProperty("references")
  }, 120_000)

  it("flags a garbage text layer with a low quality score (noisy OCR of a scanned page)", async () => {
    const scores = new Map<string, number>()
    for (const name of textLayerPapers()) scores.set(name, metaOf(await paper(name)).quality.score)
    // ZFN-A-054-0304-0272.pdf: page images with an ABBYY OCR layer that mangled the equations.
    const noisy = metaOf(await paper("ZFN-A-054-0304-0272.pdf")).quality
    expect(noisy.flagged).toBe(true)
    for (const [name, score] of scores) if (name !== "ZFN-A-054-0304-0272.pdf") expect(score, name).toBeGreaterThan(noisy.score + 0.15)
    expect([...scores].filter(([, s]) => s < 0.6).map(([n]) => n)).toEqual(["ZFN-A-054-0304-0272.pdf"])
  }, 120_000)

  it.skipIf(!hasQpdf)("a long PDF read in several openings (to bound pdfjs' caches) loses and repeats no text", async () => {
    // Three papers joined into one 33-page PDF, read reopening every 5 pages and in one go. The text
    // must hold the same words; headings may differ, since the body font is found per opening.
    const joined = path.join(tempDir(), "joined.pdf")
    const parts = ["tracemonkey-pldi-09.pdf", "0807.3577.pdf", "PMC8068737.pdf"].map((n) => path.join(papersDir, n))
    execFileSync("qpdf", ["--empty", "--pages", ...parts, "--", joined])
    const file = { absPath: joined, sourcePath: "joined.pdf", size: statSync(joined).size, license: null, domain: null }
    const once = expectDocument(await extractPdf(readFileSync(joined), file, defaultOptions, 1000))
    const often = expectDocument(await extractPdf(readFileSync(joined), file, defaultOptions, 5))
    expect(JSON.parse(once.metadata).pages).toBe(33)
    const all = (d: Document) => `${d.text}\n${JSON.parse(d.metadata).references ?? ""}`
    const agreement = wordAgreement(all(often), all(once), [], "alnum")
    expect([agreement.precision, agreement.recall]).toEqual([1, 1])
    // And reading it twice the same way gives the same bytes.
    expect(expectDocument(await extractPdf(readFileSync(joined), file, defaultOptions, 5))).toEqual(often)
  }, 120_000)
})
