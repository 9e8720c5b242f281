/** Synthetic inputs, good and bad, written to a temp dir: every reject code and the JSONL record rules. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { documentId, normalizeText, sha256Hex } from "../../src/core/text.ts"
import { makeTinyPdf } from "../../src/demo/tiny-pdf.ts"
import { defaultOptions, expectDocument, extractAll, extractOne, reasonOf } from "./support.ts"

let dir: string
const file = (name: string, content: string | Uint8Array): string => {
  const p = path.join(dir, name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

const goodPdf = (): Uint8Array =>
  makeTinyPdf({
    heading: "A Test Paper on Thermal Transport",
    info: { Title: "A Test Paper on Thermal Transport" },
    pages: [["Phonons carry most of the heat in electrically insulating crystals, and their mean free path sets the thermal conductivity."]]
  })

/**
 * Add an /Encrypt dictionary through an incremental update. Its /U entry matches no password, so a
 * reader must ask for one: pdfjs throws PasswordException.
 */
function encryptedPdf(): Uint8Array {
  const base = Buffer.from(goodPdf())
  const text = base.toString("latin1")
  const prevXref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1])
  const size = Number(/\/Size (\d+)/.exec(text)![1])
  const hex = (b: number) => b.toString(16).padStart(2, "0").repeat(32)
  const objOffset = base.length
  const obj = `${size} 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <${hex(0x11)}> /U <${hex(0x22)}> /P -44 >>\nendobj\n`
  const xrefOffset = objOffset + obj.length
  const update =
    obj +
    `xref\n0 1\n0000000000 65535 f \n${size} 1\n${String(objOffset).padStart(10, "0")} 00000 n \n` +
    `trailer\n<< /Size ${size + 1} /Root 1 0 R /Prev ${prevXref} /Encrypt ${size} 0 R /ID [<${"ab".repeat(16)}> <${"ab".repeat(16)}>] >>\n` +
    `startxref\n${xrefOffset}\n%%EOF\n`
  return new Uint8Array(Buffer.concat([base, Buffer.from(update, "latin1")]))
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "scicurate-ingest-"))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe("whole-file rejects", () => {
  it("empty file → empty-file", async () => {
    expect(reasonOf(await extractOne(file("empty.txt", "")))).toBe("Rejected:empty-file")
  })

  it("too large → file-too-large, without reading the file", async () => {
    // The path does not exist: reading it would give read-error instead.
    const items = await extractAll(path.join(dir, "does-not-exist.jsonl"), { minChars: 1, maxFileBytes: 1000 }, "big.jsonl", { size: 5000 })
    expect(items.map(reasonOf)).toEqual(["Rejected:file-too-large"])
  })

  it("unreadable input → read-error (missing file, directory)", async () => {
    expect((await extractAll(path.join(dir, "missing.txt"), defaultOptions, "missing.txt", { size: 10 })).map(reasonOf)).toEqual(["Rejected:read-error"])
    mkdirSync(path.join(dir, "a-directory"), { recursive: true })
    expect((await extractAll(path.join(dir, "a-directory"), defaultOptions, "a-directory", { size: 4096 })).map(reasonOf)).toEqual(["Rejected:read-error"])
  })

  it("invalid UTF-8 → invalid-utf8 with the byte offset", async () => {
    const item = await extractOne(file("latin1.txt", Buffer.from("Temperature held at 25 \u00b0C all day", "latin1")))
    expect(reasonOf(item)).toBe("Rejected:invalid-utf8")
    expect(item._tag !== "Document" && item.detail).toContain("byte offset 23")
  })

  it("binary content → binary-file naming the type, whatever the extension", async () => {
    const nul = await extractOne(file("frames.txt", Buffer.from([0x41, 0x42, 0x00, 0x01, 0x02, 0x43])))
    expect(reasonOf(nul)).toBe("Rejected:binary-file")
    const png = await extractOne(file("figure.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])))
    expect(png._tag !== "Document" && png.detail).toBe("PNG file: no extractor for binary formats yet")
    const hdf5 = await extractOne(file("run.nc", Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])))
    expect(hdf5._tag !== "Document" && hdf5.detail).toMatch(/^netCDF-4 \(HDF5\) file/)
    const gzip = await extractOne(file("notes.jsonl", Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00])))
    expect(gzip._tag !== "Document" && gzip.detail).toMatch(/^gzip file/)
  })

  it("truncated PDF → corrupt-pdf", async () => {
    const pdf = goodPdf()
    expect(reasonOf(await extractOne(file("cut.pdf", pdf.slice(0, Math.floor(pdf.length / 2)))))).toBe("Rejected:corrupt-pdf")
  })

  it("garbage after a PDF header → corrupt-pdf", async () => {
    const item = await extractOne(file("garbage.pdf", "%PDF-1.4\nthis is not a pdf body at all\n%%EOF\n"))
    expect(reasonOf(item)).toBe("Rejected:corrupt-pdf")
  })

  it("password-protected PDF → encrypted-pdf", async () => {
    expect(reasonOf(await extractOne(file("locked.pdf", encryptedPdf())))).toBe("Rejected:encrypted-pdf")
  })

  it("PDF without text → no-text-layer", async () => {
    const blank = makeTinyPdf({ heading: "", pages: [[], []] })
    const item = await extractOne(file("scan.pdf", blank))
    expect(reasonOf(item)).toBe("Rejected:no-text-layer")
    expect(item._tag !== "Document" && item.detail).toMatch(/^2 page\(s\) with 0 letters/)
  })

  it("a good PDF → one paper document with metadata", async () => {
    const p = file("good.pdf", goodPdf())
    const doc = expectDocument(await extractOne(p))
    expect(doc).toMatchObject({ kind: "paper", format: "pdf", source_index: 0, title: "A Test Paper on Thermal Transport", bundle: null })
    expect(doc.text).toContain("Phonons carry most of the heat")
    expect(doc.source_sha256).toBe(sha256Hex(readFileSync(p)))
    expect(JSON.parse(doc.metadata)).toEqual({ pages: 1, pdf_info: { Title: "A Test Paper on Thermal Transport" }, doi: null, arxiv_id: null })
  })
})

describe("text and Markdown files", () => {
  it("plain text: normalised text, content id, file hash, license and domain from the input", async () => {
    const raw = "\ufeffCarbon   isotopes\r\nin tree rings\r\n\r\n\r\n\r\nrecord past climate.  \r\n"
    const p = file("notes.txt", raw)
    const items = await extractAll(p, defaultOptions, "inputs/notes.txt", { license: "CC-BY-4.0", domain: "climate" })
    const doc = expectDocument(items[0])
    expect(doc.text).toBe("Carbon   isotopes\nin tree rings\n\nrecord past climate.")
    expect(doc).toMatchObject({
      id: documentId(normalizeText(raw.slice(1))),
      kind: "text",
      format: "plain-text",
      source_path: "inputs/notes.txt",
      source_sha256: sha256Hex(readFileSync(p)),
      source_index: 0,
      license: "CC-BY-4.0",
      domain: "climate",
      title: null,
      metadata: "{}"
    })
  })

  it("Markdown by extension or by structure; title from the first # heading", async () => {
    const byExt = expectDocument(await extractOne(file("a.md", "Intro line\n\n# Glacier mass balance\n\nIce loss accelerates.\n")))
    expect(byExt).toMatchObject({ format: "markdown", title: "Glacier mass balance" })
    const byContent = expectDocument(await extractOne(file("README", "# Sediment cores\n\n- core A\n- core B\n\nBoth were dated by radiocarbon.\n")))
    expect(byContent).toMatchObject({ format: "markdown", title: "Sediment cores" })
    const log = expectDocument(await extractOne(file("run.log", "# LAMMPS input\nunits metal\n# minimise\nminimize 1e-8 1e-10 1000 10000\n")))
    expect(log).toMatchObject({ format: "plain-text", title: null })
  })

  it("too short after normalisation → Filtered too-short (whitespace-only too)", async () => {
    expect(reasonOf(await extractOne(file("tiny.txt", "ok\n"), { minChars: 10, maxFileBytes: 1e6 }))).toBe("Filtered:too-short")
    expect(reasonOf(await extractOne(file("blank.txt", " \n\t\n"), { minChars: 1, maxFileBytes: 1e6 }))).toBe("Filtered:too-short")
  })

  it("a .jsonl whose first line is not a JSON object is read as text", async () => {
    const doc = expectDocument(await extractOne(file("odd.jsonl", "{ this is prose in braces }\nand more prose\n")))
    expect(doc.format).toBe("plain-text")
  })
})

describe("JSONL", () => {
  const lines = [
    JSON.stringify({ id: 7, title: " Soil  respiration ", text: "Soil respiration doubles for every 10 degrees of warming.", year: 2020 }), // 1
    "", // 2: blank, skipped
    "   ", // 3: blank, skipped
    "{not json", // 4
    JSON.stringify({ id: "b", title: "no text here" }), // 5
    JSON.stringify([1, 2, 3]), // 6
    JSON.stringify({ text: 42 }), // 7
    JSON.stringify({ text: "short" }), // 8: too short
    JSON.stringify({ text: "Aerosols scatter sunlight and brighten clouds.", "source": { "x": [1] } }) // 9
  ]

  it("yields one item per non-blank line, in order, with the right reasons and locations", async () => {
    const bad = Buffer.from('{"text": "Latin-1 degree sign: 25 ', "utf8")
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]), // BOM
      Buffer.from(lines.join("\r\n") + "\r\n", "utf8"),
      bad,
      Buffer.from([0xb0]),
      Buffer.from('C"}', "utf8") // line 10, no final newline
    ])
    const p = file("records.txt", body) // recognised by content, not extension
    const items = await extractAll(p, { minChars: 10, maxFileBytes: 1e6 }, "records.txt")
    expect(items.map(reasonOf)).toEqual([
      "document",
      "Rejected:invalid-json",
      "Rejected:missing-text-field",
      "Rejected:missing-text-field",
      "Rejected:missing-text-field",
      "Filtered:too-short",
      "document",
      "Rejected:invalid-utf8"
    ])
    expect(items.map((i) => (i._tag === "Document" ? `line ${i.doc.source_index}` : i.location))).toEqual([
      "line 1", "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10"
    ])
    const first = expectDocument(items[0])
    const sha = sha256Hex(body)
    expect(first).toMatchObject({ kind: "text", format: "jsonl", source_index: 1, source_sha256: sha, title: "Soil respiration" })
    expect(first.id).toBe(documentId("Soil respiration doubles for every 10 degrees of warming."))
    // Every field but `text` is kept, in input order, with `id` renamed to `source_id`.
    expect(first.metadata).toBe('{"source_id":7,"title":" Soil  respiration ","year":2020}')
    expect(expectDocument(items[6])).toMatchObject({ source_sha256: sha, title: null, metadata: '{"source":{"x":[1]}}' })
    const utf8 = items[7]!
    expect(utf8._tag !== "Document" && utf8.detail).toContain(`byte offset ${body.length - 4}`)
  })

  it("is recognised past leading blank lines, and line numbers count them", async () => {
    const items = await extractAll(file("late.data", `\n  \n${JSON.stringify({ text: "Glaciers retreat as summers warm." })}\n`))
    expect(expectDocument(items[0])).toMatchObject({ format: "jsonl", source_index: 3 })
  })

  it("exact duplicate lines give identical ids at different line numbers", async () => {
    const rec = JSON.stringify({ text: "Sea ice extent reached a record low in September." })
    const items = await extractAll(file("dups.jsonl", `${rec}\n${rec}\n`))
    const [a, b] = items.map(expectDocument)
    expect(a!.id).toBe(b!.id)
    expect([a!.source_index, b!.source_index]).toEqual([1, 2])
  })

  it("streams: a long file with long lines yields every record", async () => {
    const pad = "x".repeat(3000)
    const content = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: i, text: `record ${i} ${pad}` })).join("\n")
    const items = await extractAll(file("long.jsonl", content))
    expect(items).toHaveLength(2000)
    expect(expectDocument(items[1999]).source_index).toBe(2000)
    expect(JSON.parse(expectDocument(items[1234]).metadata)).toEqual({ source_id: 1234 })
  })
})
