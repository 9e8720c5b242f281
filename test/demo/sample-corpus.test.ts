import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { abstractLines, abstractRecords, DUPLICATED_RECORDS } from "../../src/demo/abstracts.ts"
import { EXPECTED_REJECTS, SAMPLE_FILES, writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import type { Extracted } from "../../src/ingest/extract.ts"
import { expectDocument, extractAll, reasonOf, repoRoot } from "../ingest/support.ts"

let tmp: string
let first: string
let files: string[]
const results = new Map<string, Extracted[]>()

const listFiles = (root: string): string[] =>
  (readdirSync(root, { recursive: true }) as string[]).filter((p) => statSync(path.join(root, p)).isFile()).sort()

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "scicurate-demo-"))
  first = path.join(tmp, "one")
  files = (await writeSampleCorpus(first)).files
  for (const rel of files) {
    results.set(rel, await extractAll(path.join(first, rel), { minChars: 100, maxFileBytes: 1 << 20, maxRecordBytes: 64 * 1024 * 1024 }, rel))
  }
}, 60_000)
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

describe("writeSampleCorpus", () => {
  it("writes the listed files, and identical bytes every time", async () => {
    expect(listFiles(first)).toEqual(files)
    expect(files).toHaveLength(12)
    const second = path.join(tmp, "two")
    expect((await writeSampleCorpus(second)).files).toEqual(files)
    for (const rel of files) expect(readFileSync(path.join(second, rel)), rel).toEqual(readFileSync(path.join(first, rel)))
  })

  it("is runnable as `node src/demo/write-sample.ts DIR`", () => {
    const out = path.join(tmp, "cli")
    const stdout = execFileSync(process.execPath, [path.join(repoRoot, "src/demo/write-sample.ts"), out], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    expect(stdout.trim().split("\n")).toHaveLength(12)
    for (const rel of files) expect(readFileSync(path.join(out, rel)), rel).toEqual(readFileSync(path.join(first, rel)))
  })
})

describe("ingesting the sample corpus", () => {
  it("each note → one text document; Markdown ones titled", () => {
    for (const rel of SAMPLE_FILES.notes) {
      const doc = expectDocument(results.get(rel)?.[0])
      expect(results.get(rel), rel).toHaveLength(1)
      expect(doc.kind).toBe("text")
      expect(doc.text.length, rel).toBeGreaterThan(800)
      if (rel.endsWith(".md")) {
        expect(doc.format, rel).toBe("markdown")
        expect(doc.title, rel).toMatch(/^[A-Z]/)
      } else expect(doc).toMatchObject({ format: "plain-text", title: null })
    }
  })

  it("the JSONL → 45 documents (40 unique texts plus 5 exact duplicates) and 1 invalid-json line", () => {
    const items = results.get(SAMPLE_FILES.abstracts)!
    const { lines, kinds } = abstractLines()
    expect(items).toHaveLength(lines.length)
    expect(items).toHaveLength(46)
    const rejects = items.filter((i) => i._tag !== "Document")
    const invalidLine = kinds.indexOf("invalid") + 1
    expect(rejects).toEqual([expect.objectContaining({ _tag: "Rejected", reason: "invalid-json", location: `line ${invalidLine}` })])
    const docs = items.filter((i) => i._tag === "Document").map(expectDocument)
    expect(docs).toHaveLength(45)
    expect(new Set(docs.map((d) => d.id)).size).toBe(40)
    // Each duplicate line carries the id of the record it copies, at its own line number.
    const idByRecord = new Map(docs.map((d) => [JSON.parse(d.metadata).source_id as string, d.id]))
    const records = abstractRecords()
    kinds.forEach((kind, i) => {
      if (typeof kind === "object" && "duplicateOf" in kind) {
        const doc = docs.find((d) => d.source_index === i + 1)!
        expect(doc.id).toBe(idByRecord.get(records[kind.duplicateOf - 1]!.id))
      }
    })
    expect(kinds.filter((k) => typeof k === "object" && "duplicateOf" in k)).toHaveLength(DUPLICATED_RECORDS.length)
  })

  it("the tiny PDF → a 2-page paper whose text, title and DOI come out", () => {
    const doc = expectDocument(results.get(SAMPLE_FILES.pdf)?.[0])
    expect(doc).toMatchObject({ kind: "paper", format: "pdf", title: "Heat Capacity Anomalies in Layered Magnetic Crystals" })
    const meta = JSON.parse(doc.metadata)
    expect(meta).toMatchObject({ pages: 2, doi: "10.5555/scicurate.demo.2024", arxiv_id: null })
    expect(doc.text.startsWith("# Heat Capacity Anomalies in Layered Magnetic Crystals\n\nAbstract. Layered magnetic crystals")).toBe(true)
    expect(doc.text).toContain("measured by relaxation calorimetry between 2 and 300 kelvin")
    expect(doc.text).toContain("The phonon background was estimated")
    expect(doc.text).toContain("5. Conclusion. Heat capacity measurements")
    // Paragraphs are separated by a blank line, also across the page break.
    expect(doc.text).toMatch(/magnetic contribution\.\n\n3\. Results\./)
    expect(meta.abstract).toMatch(/^Layered magnetic crystals order/)
  })

  it("each bad input → its reject reason", () => {
    for (const [rel, reason] of Object.entries(EXPECTED_REJECTS)) {
      expect(results.get(rel)?.map(reasonOf), rel).toEqual([`Rejected:${reason}`])
    }
    expect(Object.keys(EXPECTED_REJECTS)).toHaveLength(3)
  })

  it("the Latin-1 note is decoded, with its encoding recorded", () => {
    const items = results.get(SAMPLE_FILES.latin1)!
    const doc = expectDocument(items[0])
    expect(doc.text).toContain("held at 25 \u00b0C during the whole run. The d\u00e9tecteur")
    expect(JSON.parse(doc.metadata).encoding).toMatch(/^(iso-8859-1|windows-1252)$/)
  })
})
