/**
 * Hard PDF inputs through the public extractor (`extractFile`) and the CLI: scans with and without
 * OCR, password and permissions encryption, truncation, a damaged middle, garbage after a PDF header,
 * CJK text in non-embedded fonts, and a run that meets bad PDFs among good ones. The inputs are built
 * at test time in a temp dir, from the real corpus PDFs where possible (test/ingest/pdf-fixtures.ts).
 *
 * Needs ../shared/corpus, Debian's qpdf (encryption) and tesseract (OCR); each group is skipped with a
 * message when its requirement is missing (`make system-deps` installs the tools).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { cleanOcrText, ocrPage, ocrScale, tesseractAvailable, tesseractArgs } from "../../src/ingest/pdf/ocr.ts"
import { DEFAULT_PDF_OPTIONS } from "../../src/ingest/pdf/options.ts"
import { cli, readRejects, tempDir } from "../helpers.ts"
import * as fx from "./pdf-fixtures.ts"
import { corpusRoot, defaultOptions, expectDocument, extractOne, hasCorpus, reasonOf } from "./support.ts"

const papers = path.join(corpusRoot, "papers")
const paper = (name: string): string => path.join(papers, name)
const SCANNED = "cermine_simple_scanned.pdf"
/** Small, born-digital, one page: the "good PDF" of the runs below. */
const SMALL = "submission_363.pdf"
const corpusPdfs = (): string[] => (hasCorpus ? readdirSync(papers).filter((n) => n.endsWith(".pdf")).sort() : [])

const skipNote = (what: string, missing: string) => console.warn(`[scicurate tests] ${missing}: skipping ${what}`)
if (!hasCorpus) skipNote("the hard-case PDF tests built from the shared corpus", `${corpusRoot} not found`)
if (!fx.hasQpdf) skipNote("the encrypted-PDF tests", "qpdf not found (Debian package qpdf; `make system-deps`)")
if (!fx.hasTesseract) skipNote("the OCR tests", "tesseract not found (Debian package tesseract-ocr; `make system-deps`)")

const withOcr = { ...defaultOptions, pdf: { ...DEFAULT_PDF_OPTIONS, ocr: true } }
/** Words of the scanned abstract ("Hydrogen incorporation in a-Si:H - growth studies on an Expanding Thermal Plasma"). */
const SCANNED_WORDS = ["Hydrogen", "plasma", "deposited", "Eindhoven", "silane"]

const detailOf = (item: { _tag: string; detail?: string }): string => item.detail ?? ""

/**
 * Order matters in this group. The scan is a CCITT fax image, which pdfjs 6 decodes with WebAssembly
 * fetched from `wasmUrl`; once fetched, the decoder stays in the process for every later document,
 * opened with `wasmUrl` or not. So the control experiment (no wasmUrl → blank page) and the extractor
 * test (does extract.ts pass wasmUrl?) run before anything in this file loads the decoder.
 */
describe.skipIf(!hasCorpus)("scanned PDF without a text layer (needs ../shared/corpus)", () => {
  it("without OCR → no-text-layer", async () => {
    const item = await extractOne(paper(SCANNED))
    expect(reasonOf(item)).toBe("Rejected:no-text-layer")
  })

  it.skipIf(!fx.hasTesseract)("control: pdfjs opened without wasmUrl cannot decode the CCITT scan, so OCR sees a blank page", async () => {
    const bytes = new Uint8Array(readFileSync(paper(SCANNED)))
    const text = await fx.withPdfjs(bytes, { wasm: false }, async (doc) => ocrPage(await doc.getPage(1), DEFAULT_PDF_OPTIONS))
    expect(text).toBe("")
  })

  it.skipIf(!fx.hasTesseract)("with ocr: true → a document with the abstract's words and the OCR recorded in the metadata (needs tesseract)", async () => {
    const engine = await tesseractAvailable()
    expect(engine).not.toBeNull()
    const doc = expectDocument(await extractOne(paper(SCANNED), withOcr))
    for (const word of SCANNED_WORDS) expect(doc.text).toContain(word)
    const meta = JSON.parse(doc.metadata) as { pages: number; ocr?: unknown }
    expect(meta.pages).toBe(1)
    expect(meta.ocr).toEqual({ engine: "tesseract", version: engine!.version, pages: [1] })
  })
})

describe.skipIf(!hasCorpus || !fx.hasTesseract)("ocrPage on the scanned abstract (needs ../shared/corpus and tesseract)", () => {
  const scanned = () => new Uint8Array(readFileSync(paper(SCANNED)))

  it("renders the page and returns its text as paragraphs", async () => {
    const text = await fx.withPdfjs(scanned(), {}, async (doc) => ocrPage(await doc.getPage(1), { ...DEFAULT_PDF_OPTIONS, ocr: true }))
    for (const word of SCANNED_WORDS) expect(text).toContain(word)
    // The title is two printed lines in one block: joined into one paragraph line.
    expect(text).toMatch(/Hydrogen incorporation in a-Si:H\b[^\n]*growth studies/)
    expect(text).not.toContain("\f")
  })

  it("fails with a clear message for a language tesseract does not have, or a malformed one", async () => {
    await fx.withPdfjs(scanned(), {}, async (doc) => {
      const page = await doc.getPage(1)
      await expect(ocrPage(page, { ...DEFAULT_PDF_OPTIONS, ocrLanguages: "xyz" })).rejects.toThrow(/tesseract .*exited with code 1.*Failed loading language 'xyz'/)
      await expect(ocrPage(page, { ...DEFAULT_PDF_OPTIONS, ocrLanguages: "eng --psm" })).rejects.toThrow(/OCR languages must be tesseract codes/)
      await expect(ocrPage(page, { ...DEFAULT_PDF_OPTIONS, ocrDpi: 0 })).rejects.toThrow(/positive number of dpi/)
    })
  })
})

describe("OCR helpers", () => {
  it("cleanOcrText joins a block's lines, rejoins hyphenated words, keeps list items and drops form feeds", () => {
    const raw = "Trace-based Just-in-Time Type spe-\ncialization for dynamic\nlanguages\n\n1. In the first\nexperiment\n2. In the second\n\nFig. 3-\nA shows  the a-Si:H -\ngrowth\n\f"
    expect(cleanOcrText(raw)).toBe(
      "Trace-based Just-in-Time Type specialization for dynamic languages\n\n" +
        "1. In the first experiment\n2. In the second\n\n" +
        "Fig. 3- A shows the a-Si:H - growth"
    )
    expect(cleanOcrText("\f")).toBe("")
    expect(cleanOcrText("page one\n\fpage two\r\n")).toBe("page one\n\npage two")
  })

  it("ocrScale renders at the requested dpi, and poster-sized pages at less", () => {
    expect(ocrScale(595, 842, 300)).toBeCloseTo(300 / 72)
    const poster = ocrScale(72 * 100, 72 * 100, 300) // 100 x 100 inches
    expect(72 * 100 * poster * 72 * 100 * poster).toBeLessThanOrEqual(40_000_000 * 1.0001)
    expect(tesseractArgs("eng+deu", 299.6)).toEqual(["stdin", "stdout", "-l", "eng+deu", "--psm", "1", "--dpi", "300", "-c", "thresholding_method=1"])
  })
})

describe.skipIf(!hasCorpus || !fx.hasQpdf)("encrypted PDFs (needs ../shared/corpus and qpdf)", () => {
  it("a user password → encrypted-pdf", async () => {
    const dir = tempDir()
    for (const name of [SMALL, "cermine_test3.pdf"]) {
      const dst = path.join(dir, name)
      fx.encryptWithUserPassword(paper(name), dst)
      expect(reasonOf(await extractOne(dst)), name).toBe("Rejected:encrypted-pdf")
    }
  })

  it("an owner password only (empty user password) → the same document text as the original", async () => {
    const dir = tempDir()
    for (const name of [SMALL, "ZFN-A-054-0304-0272.pdf"]) {
      const dst = path.join(dir, name)
      fx.encryptOwnerOnly(paper(name), dst)
      const original = expectDocument(await extractOne(paper(name)))
      const opened = expectDocument(await extractOne(dst))
      expect(opened.text, name).toBe(original.text)
      expect(opened.id, name).toBe(original.id)
      expect(opened.source_sha256, name).not.toBe(original.source_sha256)
    }
  })
})

describe.skipIf(!hasCorpus)("damaged PDFs built from the corpus (needs ../shared/corpus)", () => {
  it("truncated at 50% and at 90% → corrupt-pdf, saying truncated (every corpus PDF)", async () => {
    const dir = tempDir()
    for (const name of corpusPdfs()) {
      for (const fraction of [0.5, 0.9]) {
        const dst = path.join(dir, `${fraction}-${name}`)
        fx.truncate(paper(name), dst, fraction)
        const item = await extractOne(dst)
        expect(reasonOf(item), `${name} at ${fraction}`).toBe("Rejected:corrupt-pdf")
        expect(detailOf(item), `${name} at ${fraction}`).toMatch(/truncated/i)
      }
    }
  })

  /**
   * What pdfjs does with the middle 60% overwritten: the xref offsets point into noise, so it rebuilds
   * the xref by scanning for `N 0 obj` and finds only the objects outside the damage. Depending on what
   * survived, opening fails ("Invalid Root reference"), or pages are read until one whose dictionary or
   * resources are gone ("Bad (uncompressed) XRef entry", "Page dictionary kid reference points to wrong
   * type of object"): corrupt-pdf. A one-page file whose page object survived but whose content stream
   * did not has no text left: no-text-layer. Never a document.
   *
   * PMC9135278.pdf is left to the CLI test below: its damaged copy makes pdfjs reject a prefetch
   * promise nobody awaits (Catalog.getPageDict caches `xref.fetchAsync(kid)` for every page), an
   * unhandled rejection that vitest would report against this whole file.
   */
  it("the middle overwritten with noise → rejected, never a document (corrupt-pdf when pages cannot be read)", async () => {
    const dir = tempDir()
    const onePage = new Set([SMALL, SCANNED])
    for (const name of corpusPdfs().filter((n) => n !== "PMC9135278.pdf")) {
      const dst = path.join(dir, name)
      fx.corruptMiddle(paper(name), dst)
      const item = await extractOne(dst)
      expect(item._tag, `${name}: ${reasonOf(item)}`).toBe("Rejected")
      expect(reasonOf(item), name).toBe(onePage.has(name) ? "Rejected:no-text-layer" : "Rejected:corrupt-pdf")
    }
  })
})

describe("synthetic PDFs", () => {
  it("a PDF header, random bytes and %%EOF → corrupt-pdf", async () => {
    const file = path.join(tempDir(), "garbage.pdf")
    fx.garbagePdf(file)
    const item = await extractOne(file)
    expect(reasonOf(item)).toBe("Rejected:corrupt-pdf")
    expect(detailOf(item)).not.toMatch(/truncated/i)
  })

  it("CJK text in non-embedded CID fonts is decoded through pdfjs' bundled cMaps", async () => {
    const bytes = fx.cjkPdf()
    // The control experiment: without cMapUrl pdfjs cannot map the UCS-2 codes and drops the text.
    const [withoutCMaps] = await fx.pdfjsPageTexts(bytes, { cMaps: false })
    expect(withoutCMaps).not.toContain(fx.CJK_JAPANESE)
    expect(withoutCMaps).not.toContain(fx.CJK_CHINESE)
    const [withCMaps] = await fx.pdfjsPageTexts(bytes, { cMaps: true })
    expect(withCMaps).toContain(fx.CJK_JAPANESE)
    expect(withCMaps).toContain(fx.CJK_CHINESE)

    const file = path.join(tempDir(), "cjk.pdf")
    writeFileSync(file, bytes)
    const doc = expectDocument(await extractOne(file))
    expect(doc.text).toContain(fx.CJK_JAPANESE)
    expect(doc.text).toContain(fx.CJK_CHINESE)
  })
})

/** Documents written by an ingest run, from its per-task stats. */
const documentsOut = (out: string): number =>
  readdirSync(path.join(out, "_stats")).reduce((n, f) => n + (JSON.parse(readFileSync(path.join(out, "_stats", f), "utf8")) as { documents_out: number }).documents_out, 0)

describe.skipIf(!hasCorpus || !fx.hasQpdf)("bad PDFs among good ones through the CLI (needs ../shared/corpus and qpdf)", () => {
  it("a truncated and an encrypted copy are rejected by name and reason; the run succeeds with the good one", () => {
    const root = tempDir()
    const input = path.join(root, "papers")
    mkdirSync(input)
    copyFileSync(paper(SMALL), path.join(input, "good.pdf"))
    fx.truncate(paper("cermine_test3.pdf"), path.join(input, "cut.pdf"), 0.5)
    fx.encryptWithUserPassword(paper(SMALL), path.join(input, "locked.pdf"))
    const out = path.join(root, "ingest")
    const r = cli(["ingest", input, "--out", out, "--workers", "2"])
    expect(r.status, r.stderr).toBe(0)
    expect(documentsOut(out)).toBe(1)
    const rejects = readRejects(out).map((x) => [x.source_path, x.reason])
    expect(rejects.sort()).toEqual([
      ["papers/cut.pdf", "corrupt-pdf"],
      ["papers/locked.pdf", "encrypted-pdf"]
    ])
  })

  it("a damaged PDF on which pdfjs leaves an unhandled promise rejection does not crash the worker", () => {
    const root = tempDir()
    const input = path.join(root, "papers")
    mkdirSync(input)
    copyFileSync(paper(SMALL), path.join(input, "good.pdf"))
    fx.corruptMiddle(paper("PMC9135278.pdf"), path.join(input, "damaged.pdf"))
    const out = path.join(root, "ingest")
    const r = cli(["ingest", input, "--out", out, "--tasks", "1", "--workers", "1"])
    expect(r.status, r.stderr).toBe(0)
    expect(documentsOut(out)).toBe(1)
    expect(readRejects(out).map((x) => [x.source_path, x.reason])).toEqual([["papers/damaged.pdf", "corrupt-pdf"]])
  })
})
