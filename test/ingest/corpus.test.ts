/**
 * Real data from the shared corpus (beside the repository, never copied into it). Skips, loudly,
 * where the corpus is absent.
 */
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { documentId, normalizeText } from "../../src/core/text.ts"
import type { Extracted } from "../../src/ingest/extract.ts"
import { corpusRoot, defaultOptions, expectDocument, extractAll, extractOne, hasCorpus, reasonOf } from "./support.ts"

if (!hasCorpus) console.warn(`[scicurate] ${corpusRoot} not found: skipping the real-corpus ingest tests`)

/** file name → sha256, from the corpus's own provenance table. */
function sourceHashes(): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of readFileSync(path.join(corpusRoot, "SOURCES.md"), "utf8").split("\n")) {
    const m = /^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$/.exec(line)
    if (m) out.set(m[1]!, m[2]!)
  }
  return out
}

/** Page counts (from poppler's pdfinfo), used when pdfinfo is not installed. */
const KNOWN_PAGES: Record<string, number> = {
  "0807.3577.pdf": 15,
  "0908.0054.pdf": 4,
  "MullenJSSv18i03.pdf": 46,
  "PMC7814029.pdf": 11,
  "PMC8068737.pdf": 4,
  "PMC9135278.pdf": 10,
  "ZFN-A-054-0304-0272.pdf": 2,
  "bicriteria-scheduling-sample-1.pdf": 8,
  "cermine_complex.pdf": 18,
  "cermine_example3.pdf": 13,
  "cermine_test1.pdf": 4,
  "cermine_test3.pdf": 4,
  "cermine_test6.pdf": 16,
  "submission_363.pdf": 1,
  "tracemonkey-pldi-09.pdf": 14
}

const pdfinfoPages = (abs: string): number | null => {
  try {
    const out = execFileSync("pdfinfo", [abs], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    const m = /^Pages:\s+(\d+)/m.exec(out)
    return m ? Number(m[1]) : null
  } catch {
    return null // not installed
  }
}

/** Expected ids computed independently of the extractor: sha256 of the normalised `text` of each line. */
function expectedJsonl(abs: string): Array<{ line: number; id: string; sourceId: unknown }> {
  const out: Array<{ line: number; id: string; sourceId: unknown }> = []
  let line = 0
  // Split on LF only: readline would also split on U+2028/U+2029 and lone CRs inside records.
  for (const l of readFileSync(abs, "utf8").split("\n")) {
    line++
    if (l.trim() === "") continue
    const rec = JSON.parse(l) as { text: string; id: unknown }
    out.push({ line, id: documentId(normalizeText(rec.text)), sourceId: rec.id })
  }
  return out
}

describe.skipIf(!hasCorpus)("shared corpus: text/ JSONL", () => {
  it.each([
    ["pubmedqa_ori_pqal.jsonl", 1000],
    ["scitldr_A_train.jsonl", 1992]
  ])("%s yields %i documents with content ids", async (name, count) => {
    const abs = path.join(corpusRoot, "text", name)
    const items = await extractAll(abs, { ...defaultOptions, minChars: 1, maxFileBytes: 1 << 30 }, `text/${name}`)
    expect(items).toHaveLength(count)
    const docs = items.map(expectDocument)
    const expected = expectedJsonl(abs)
    expect(docs.map((d) => [d.source_index, d.id])).toEqual(expected.map((e) => [e.line, e.id]))
    expect(docs.map((d) => JSON.parse(d.metadata).source_id)).toEqual(expected.map((e) => e.sourceId))
    const sha = sourceHashes().get(name)
    expect(new Set(docs.map((d) => d.source_sha256))).toEqual(new Set([sha]))
    expect(docs.every((d) => d.format === "jsonl" && d.kind === "text" && d.source_path === `text/${name}`)).toBe(true)
    expect(docs.every((d) => !("text" in JSON.parse(d.metadata)))).toBe(true)
  }, 60_000)
})

describe.skipIf(!hasCorpus)("shared corpus: papers/", () => {
  const papersDir = path.join(corpusRoot, "papers")
  const results = new Map<string, Extracted>()
  const load = async (): Promise<Map<string, Extracted>> => {
    if (results.size === 0) {
      for (const name of readdirSync(papersDir).filter((n) => n.endsWith(".pdf")).sort()) {
        results.set(name, await extractOne(path.join(papersDir, name), { ...defaultOptions, minChars: 200, maxFileBytes: 1 << 30 }, `papers/${name}`))
      }
    }
    return results
  }

  it("the scanned abstract without a text layer → no-text-layer", async () => {
    const item = (await load()).get("cermine_simple_scanned.pdf")
    expect(reasonOf(item)).toBe("Rejected:no-text-layer")
    expect(item?._tag !== "Document" && item?.detail).toMatch(/^1 page\(s\) with \d+ letters/)
  }, 120_000)

  it("every other paper → one document with substantial text, the right page count and file hash", async () => {
    const all = await load()
    const hashes = sourceHashes()
    const others = [...all.keys()].filter((n) => n !== "cermine_simple_scanned.pdf")
    expect(others).toHaveLength(15)
    for (const name of others) {
      const doc = expectDocument(all.get(name))
      expect(doc, name).toMatchObject({ kind: "paper", format: "pdf", source_index: 0, source_path: `papers/${name}` })
      expect(doc.text.length, name).toBeGreaterThan(1500)
      expect(doc.source_sha256, name).toBe(hashes.get(name))
      const meta = JSON.parse(doc.metadata) as { pages: number }
      const expectedPages = pdfinfoPages(path.join(papersDir, name)) ?? KNOWN_PAGES[name]
      expect(meta.pages, name).toBe(expectedPages)
    }
  }, 120_000)

  it("tracemonkey: known phrases, hyphenation joined across line breaks", async () => {
    const doc = expectDocument((await load()).get("tracemonkey-pldi-09.pdf"))
    expect(doc.text).toContain("Trace-based Just-in-Time Type Specialization for Dynamic")
    // In the PDF these are broken as "com-|pile" and "al-|ternative" at line ends.
    expect(doc.text).toContain("more difficult to compile than statically typed ones")
    expect(doc.text).toContain("We present an alternative compilation technique")
    expect(doc.text).not.toMatch(/\bcom-\s+pile\b|\bal-\s+ternative\b|\bspe-\s+cialization\b/)
    // A capitalised continuation is a real hyphen and stays.
    // "Trace-" + "Monkey" at a line end: joined because the paper spells TraceMonkey whole elsewhere.
    expect(doc.text).not.toContain("Trace- Monkey")
    expect(doc.text).toContain("TraceMonkey")
  }, 120_000)

  it("titles from the layout (Info titles that are file names ignored); DOIs and arXiv ids found", async () => {
    const all = await load()
    const doc = (n: string) => expectDocument(all.get(n))
    const meta = (n: string) => JSON.parse(doc(n).metadata) as { doi: string | null; arxiv_id: string | null; pdf_info: Record<string, string> }
    expect(doc("0807.3577.pdf").title).toBe("Apparent and average accelerations of the Universe")
    // Info titles "Microsoft Word - 02. 206.doc", "p020-dutot.dvi", "OECS12_Matthiesen-Atature": the
    // title comes from the largest text on the first page instead.
    expect(doc("cermine_test3.pdf").title).toBe("Phytochemical and Biological investigations of Phoenix paludosa Roxb.")
    expect(meta("cermine_test3.pdf").pdf_info.Title).toBe("Microsoft Word - 02. 206.doc")
    expect(doc("bicriteria-scheduling-sample-1.pdf").title).toMatch(/^Bi-criteria Algorithm for Scheduling Jobs on Cluster/)
    expect(doc("submission_363.pdf").title).toBe("COHERENCE PROPERTIES OF QUANTUM DOT RESONANCE FLUORESCENCE")
    // A noisy OCR layer (scanned journal page) has no reliable largest-text title and no Info title.
    expect(doc("cermine_complex.pdf").title).not.toBe("paper.dvi")
    expect(meta("0807.3577.pdf").doi).toBe("10.1088/1475-7516/2008/10/003")
    expect(meta("cermine_test6.pdf").doi).toBe("10.7717/peerj-cs.118")
    expect(meta("0908.0054.pdf").arxiv_id).toBe("0908.0054")
  }, 120_000)
})

describe.skipIf(!hasCorpus)("shared corpus: simulation/", () => {
  const simDir = path.join(corpusRoot, "simulation")
  const names = hasCorpus ? readdirSync(simDir).sort() : []

  it.each([
    ["ri_wave_2010.h5", "hdf5"],
    ["kappa-m111111_si_pbesol.hdf5", "hdf5"],
    ["CRM032_test1.nc", "netcdf-classic"],
    ["issue671.nc", "netcdf4"]
  ])("%s → a simulation document (%s), recognised by content", async (name, format) => {
    const doc = expectDocument(await extractOne(path.join(simDir, name)))
    expect(doc).toMatchObject({ kind: "simulation", format })
  })

  it("every text output → a simulation document of its program (CSV → table), never plain text or Markdown", async () => {
    const textual = names.filter((n) => !/\.(h5|hdf5|nc)$/.test(n))
    expect(textual.length).toBeGreaterThan(20)
    for (const name of textual) {
      const doc = expectDocument(await extractOne(path.join(simDir, name)))
      expect(doc.kind, name).toBe("simulation")
      if (name.endsWith(".csv")) expect(doc.format, name).toBe("csv")
      else expect(doc.format, name).not.toMatch(/^(plain-text|markdown|text-log)$/)
      // A summary, not the log: even the 1.8 MB trajectory becomes a few kilobytes.
      expect(doc.text.length, name).toBeLessThan(40_000)
    }
  }, 60_000)
})
